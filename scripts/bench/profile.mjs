// Where the DCAE train step's time goes, fp32 against bf16: libtorch's profiler around a few steps on the
// compute thread (profileOps), the top operators by self time with their calls and share of all op time.
// Same model and batch as dcae-eager.mjs (issue 15's shape).
import { profileOps } from '../../dist/profile.js';
import { dcaeInput, dcaeModel } from './dcae-eager.mjs';

const STEPS = Number(process.env.BENCH_PROFILE_STEPS ?? 2);
const TOP = 12;

export async function run(report) {
  const x = dcaeInput();
  const results = {};
  for (const precision of ['float32', 'bfloat16']) {
    const ae = dcaeModel(precision);
    await ae.benchLoop(x, 'train', 1, 1e-5); // warm-up outside the profile
    const p = await profileOps(() => ae.benchLoop(x, 'train', STEPS, 1e-5), { top: TOP });
    results[precision] = {
      steps: STEPS,
      wall_ms_per_step: +(p.wallMs / STEPS).toFixed(1),
      ops_share_of_wall: +(p.opsMs / p.wallMs).toFixed(3),
      top: p.ops.map((o) => ({ name: o.name, calls_per_step: o.calls / STEPS, self_ms_per_step: +(o.selfMs / STEPS).toFixed(2), share: +o.share.toFixed(4) })),
    };
    console.log(`DCAE train step ${precision}: ${results[precision].wall_ms_per_step} ms/step (profiled), ops ${(100 * p.opsMs / p.wallMs).toFixed(1)} % of wall; top ${TOP} by self time:`);
    for (const o of results[precision].top)
      console.log(`  ${(100 * o.share).toFixed(1).padStart(5)} %  ${String(o.calls_per_step).padStart(6)} calls/step  ${o.name}`);
  }
  report('profile', results);
}

if (import.meta.url === `file://${process.argv[1]}`) await run((name, value) => console.log(JSON.stringify({ [name]: value }, null, 2)));
