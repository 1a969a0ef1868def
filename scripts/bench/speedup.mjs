// Speed against the solver (issue 15): ms per emulated state — rollout plus decode, per ensemble member — of the
// demo's cpu emulator (DCAE dcae_f8c16_cpu, r = 8, and the ViT vit_tiny_cpu at width 128, 2 heads, as in
// configs/demo/cpu.yaml) for the teacher's sampler at 16 steps (Adams–Bashforth 3) and a distilled student at 1, 2
// and 4 steps (deterministic DDIM: what `--sampler distilled` runs; the cost does not depend on the weights), against
// the built-in Euler solver's ms per state (2 stored steps of Δt 0.015, the demo's stride) at the same resolution,
// all in this run. Random weights (the cost of a state is the same trained or not). Asserts nothing.
// 256² (BENCH_SPEEDUP_SIZES=64,128,256): 5,120 tokens per window make the teacher ~30× the 64² cost per state, so
// there one member emulates one window (4 states) in a single pass; ms per state is per member either way.
import { Rng } from '../../dist/data/rng.js';
import { Autoencoder } from '../../dist/models/autoencoder.js';
import { Denoiser } from '../../dist/models/denoiser.js';
import { native } from '../../dist/native/loader.js';
import { advanceEuler, drawQuadrantProblem, quadrantInitialState } from '../../dist/solvers/euler.js';
import { tensor } from '../../dist/tensor.js';

const SIZES = (process.env.BENCH_SPEEDUP_SIZES ?? '64,128').split(',').map(Number);
const FIELDS = 5; // Euler: density, energy, pressure, momentum x, y
const LATENT = 16; // dcae_f8c16_cpu
const RATE = 8;
const LABEL = 5;
// Per size: members, states per rollout after the context (windows of 5 with overlap 1), interleaved passes.
const plan = (N) => (N >= 256 ? { members: 1, emulated: 4, passes: 1 } : { members: 4, emulated: 20, passes: 2 });
const STRIDE = 2;
const VARIANTS = [
  { name: 'teacher AB3 16 steps', sampler: 'ab', steps: 16 },
  { name: 'student 4 steps', sampler: 'ddim', steps: 4 },
  { name: 'student 2 steps', sampler: 'ddim', steps: 2 },
  { name: 'student 1 step', sampler: 'ddim', steps: 1 },
];

function values(n, seed) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 0.013 + seed) + 0.1 * Math.cos(i * 0.37);
  return out;
}

async function solverMs(N) {
  const { Tensor } = native();
  const gamma = 1.4;
  let state = new Tensor(quadrantInitialState(drawQuadrantProblem(new Rng('bench/speedup')), gamma, N), [1, 4, N, N], 'float64');
  const dt = 0.015;
  let r = await advanceEuler(state, [gamma], { boundary: 'open', t0: 0, t1: dt });  // warm-up
  state.dispose();
  state = r.state;
  r.snapshot.dispose();
  const start = process.hrtime.bigint();
  const states = 2;
  for (let k = 1; k <= states * STRIDE; k++) {
    r = await advanceEuler(state, [gamma], { boundary: 'open', t0: dt * k, t1: dt * (k + 1) });
    state.dispose();
    state = r.state;
    r.snapshot.dispose();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  state.dispose();
  return (seconds / states) * 1000;
}

/** ms per emulated state per member: one rollout of K members and the decode of its K × EMULATED states. */
async function emulatorMs(model, ae, n, variant, { members: MEMBERS, emulated: EMULATED }) {
  const context = tensor(values(LATENT * n * n, 1), [1, 1, LATENT, n, n]);
  const label = tensor(values(LABEL, 2), [LABEL]);
  const start = process.hrtime.bigint();
  const r = await model.rollout(context, label, { length: 1 + EMULATED, members: MEMBERS, sampler: variant.sampler, steps: variant.steps, seed: 1 });
  const rolled = Number(process.hrtime.bigint() - start) / 1e9;
  const all = r.states.dataSync();
  r.states.dispose();
  const size = LATENT * n * n;
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < MEMBERS; k++) {
    const from = (k * (1 + EMULATED) + 1) * size;
    const z = tensor(all.slice(from, from + EMULATED * size), [EMULATED, LATENT, n, n]);
    (await ae.decode(z)).dispose();
    z.dispose();
  }
  const decoded = Number(process.hrtime.bigint() - t0) / 1e9;
  return { ms: ((rolled + decoded) / (MEMBERS * EMULATED)) * 1000, rolloutMs: (rolled / (MEMBERS * EMULATED)) * 1000, evaluations: r.evaluations };
}

export async function run(report) {
  const results = { stride: STRIDE, threads: native().getNumThreads(), sizes: {} };
  for (const N of SIZES) {
    const n = N / RATE;
    const ae = Autoencoder.create('dcae_f8c16_cpu', { pix_channels: FIELDS }).eval();
    const model = Denoiser.create('vit_tiny_cpu', {
      channels: LATENT,
      label_features: LABEL,
      spatial: 2,
      overrides: { hid_channels: 128, attention_heads: 2, emb_features: 64 },
    }).eval();
    const p = plan(N);
    await emulatorMs(model, ae, n, { sampler: 'ddim', steps: 1 }, { members: 1, emulated: 4 });  // warm-up
    // Interleaved passes; the faster of each is kept (the machine may be shared).
    const best = {};
    let solver = Infinity;
    for (let pass = 0; pass < p.passes; pass++) {
      solver = Math.min(solver, await solverMs(N));
      for (const v of VARIANTS) {
        const m = await emulatorMs(model, ae, n, v, p);
        if (!best[v.name] || m.ms < best[v.name].ms) best[v.name] = m;
      }
    }
    const teacher = best[VARIANTS[0].name].ms;
    const rows = {};
    console.log(`${N}² (latent ${LATENT}×${n}×${n}), K = ${p.members}, ${p.emulated} states, ${p.passes} pass(es): built-in solver ${solver.toFixed(1)} ms per state`);
    for (const v of VARIANTS) {
      const m = best[v.name];
      rows[v.name] = {
        ms_per_state: +m.ms.toFixed(2),
        rollout_ms_per_state: +m.rolloutMs.toFixed(2),
        calls_per_window: v.steps,
        speedup_vs_solver: +(solver / m.ms).toFixed(2),
        speedup_vs_teacher: +(teacher / m.ms).toFixed(2),
      };
      console.log(`  ${v.name.padEnd(22)} ${m.ms.toFixed(2).padStart(8)} ms/state (rollout ${m.rolloutMs.toFixed(2)})  ×${(solver / m.ms).toFixed(1)} vs solver  ×${(teacher / m.ms).toFixed(2)} vs teacher`);
    }
    results.sizes[N] = { members: p.members, emulated_states: p.emulated, passes: p.passes, solver_ms_per_state: +solver.toFixed(2), emulators: rows };
  }
  report('speedup', results);
}
