// Where the time goes, fp32 against bf16: libtorch's profiler (profileOps) around a few DCAE train steps (the
// model and batch of dcae-eager.mjs) and around one rollout window of the denoiser (rollout.mjs's model, K
// members, BENCH_PROFILE_STEPS sampler steps), on the compute thread: the top operators by self time with
// their calls and share of all op time. BENCH_PROFILE_SHAPES=1 splits the rows by input shapes and types
// (which aten::copy_ is the expensive one; recording them slows every call, so read the shares).
import { profileOps } from '../../dist/profile.js';
import { dcaeInput, dcaeModel, TRAIN_WARMUP } from './dcae-eager.mjs';
import { rolloutInputs, rolloutModel } from './rollout.mjs';

const STEPS = Number(process.env.BENCH_PROFILE_STEPS ?? 2);
const SHAPES = process.env.BENCH_PROFILE_SHAPES === '1';
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 12);

function summary(p, per) {
  return {
    wall_ms: +(p.wallMs / per).toFixed(1),
    ops_share_of_wall: +(p.opsMs / p.wallMs).toFixed(3),
    top: p.ops.map((o) => ({ name: o.name, ...(o.inputs ? { inputs: o.inputs } : {}), calls: o.calls / per, self_ms: +(o.selfMs / per).toFixed(2), share: +o.share.toFixed(4) })),
  };
}

function print(title, s, unit) {
  console.log(`${title}: ${s.wall_ms} ms/${unit} (profiled${SHAPES ? ', with shapes' : ''}), ops ${(100 * s.ops_share_of_wall).toFixed(1)} % of wall; top ${TOP} by self time:`);
  for (const o of s.top) console.log(`  ${(100 * o.share).toFixed(1).padStart(5)} %  ${String(o.calls).padStart(6)} calls/${unit}  ${o.name}${o.inputs ? `  ${o.inputs}` : ''}`);
}

export async function run(report) {
  const x = dcaeInput();
  const results = {};
  for (const precision of ['float32', 'bfloat16']) {
    const ae = dcaeModel(precision);
    await ae.benchLoop(x, 'train', TRAIN_WARMUP, 1e-5); // warm-up outside the profile
    const p = await profileOps(() => ae.benchLoop(x, 'train', STEPS, 1e-5), { top: TOP, shapes: SHAPES });
    results[precision] = { steps: STEPS, ...summary(p, STEPS) };
    print(`DCAE train step ${precision}`, results[precision], 'step');
  }
  const { context, label, options, window: states } = rolloutInputs();
  const window = { ...options, length: states, steps: STEPS }; // one window: `steps` denoiser calls
  for (const precision of ['float32', 'bfloat16']) {
    const model = rolloutModel(precision);
    await model.rollout(context, label, window); // warm-up (and the kept tables) outside the profile
    const p = await profileOps(() => model.rollout(context, label, window), { top: TOP, shapes: SHAPES });
    results[`rollout_${precision}`] = { calls: STEPS, members: options.members, ...summary(p, STEPS) };
    print(`denoiser call in a rollout, ${precision}, ${options.members} members`, results[`rollout_${precision}`], 'call');
  }
  report('profile', results);
}

if (import.meta.url === `file://${process.argv[1]}`) await run((name, value) => console.log(JSON.stringify({ [name]: value }, null, 2)));
