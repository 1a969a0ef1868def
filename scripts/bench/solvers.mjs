// Solver cost, the "numerical simulator" side of an emulator's speed-up: core-seconds per stored
// state of the Euler multi-quadrants solver (one stored state = Δt 0.015) and of the Rayleigh–Bénard
// solver (Δt 0.25, Ra = 1e6, Pr = 1, on a developed flow), at 64², 128², 256² (Euler also 512²; RB at
// Nx × Nx/4), one trajectory at a time, with libtorch on 1 thread (core-seconds = seconds) and on all
// threads (core-seconds = seconds × threads), and the scaling exponent of the cost with resolution
// (a least-squares slope of log cost against log N; ~3 is expected: N² cells × N steps). Asserts nothing.
import { availableParallelism } from 'node:os';
import { native } from '../../dist/native/loader.js';
import { Rng } from '../../dist/data/rng.js';
import { advanceEuler, drawQuadrantProblem, quadrantInitialState } from '../../dist/solvers/euler.js';
import { RayleighBenardSolver, rayleighBenardInitialBuoyancy, chebyshevNodes } from '../../dist/solvers/rayleigh-benard.js';

const DEVICE = process.env.BENCH_DEVICE ?? 'cpu';

function slope(ns, costs) {
  const xs = ns.map(Math.log), ys = costs.map(Math.log);
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  return xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
}

async function eulerCost(N, states) {
  const { Tensor } = native();
  const gamma = 1.4;
  const initial = quadrantInitialState(drawQuadrantProblem(new Rng('bench/euler')), gamma, N);
  let state = new Tensor(initial, [1, 4, N, N], 'float64');
  // Warm-up interval (allocations, first-touch), then the timed ones.
  let r = await advanceEuler(state, [gamma], { boundary: 'open', t0: 0, t1: 0.015, device: DEVICE });
  state = r.state;
  const start = process.hrtime.bigint();
  let steps = 0;
  for (let k = 1; k <= states; k++) {
    r = await advanceEuler(state, [gamma], { boundary: 'open', t0: 0.015 * k, t1: 0.015 * (k + 1), device: DEVICE });
    state.dispose();
    state = r.state;
    steps += r.steps[0];
    r.snapshot.dispose();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  state.dispose();
  return { secondsPerState: seconds / states, stepsPerState: steps / states };
}

async function rbCost(N, states) {
  const nx = N, ny = N / 4;
  const solver = new RayleighBenardSolver({ nx, ny, rayleigh: 1e6, prandtl: 1, device: DEVICE });
  // A developed flow: conductive profile plus rolls and noise, spun up to t = 10 (not timed).
  const b = rayleighBenardInitialBuoyancy(new Rng('bench/rb'), { nx, ny }, 1e-2);
  const y = chebyshevNodes(ny);
  for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) b[i * ny + j] += 0.05 * Math.cos((8 * Math.PI * i) / nx) * Math.sin(Math.PI * y[j]);
  await solver.setState(b, 1);
  (await solver.advance(10)).snapshot.dispose();
  const start = process.hrtime.bigint();
  let steps = 0;
  for (let k = 1; k <= states; k++) {
    const r = await solver.advance(10 + 0.25 * k);
    steps += r.steps;
    r.snapshot.dispose();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { secondsPerState: seconds / states, stepsPerState: steps / states };
}

export async function run(report) {
  const addon = native();
  const allThreads = addon.getNumThreads();
  const results = { device: DEVICE, threads: allThreads, cores: availableParallelism() };
  const plans = {
    euler: { fn: eulerCost, sizes: [64, 128, 256, 512], states: { 64: 4, 128: 2, 256: 1, 512: 1 } },
    rayleigh_benard: { fn: rbCost, sizes: [64, 128, 256], states: { 64: 4, 128: 2, 256: 1 } },
  };
  for (const [name, plan] of Object.entries(plans)) {
    const rows = {};
    for (const threads of DEVICE === 'cpu' ? [1, allThreads] : [allThreads]) {
      addon.setNumThreads(threads);
      for (const N of plan.sizes) {
        if (N === 512 && threads !== 1 && DEVICE === 'cpu') continue; // the 1-thread run is the per-core figure
        const r = await plan.fn(N, plan.states[N]);
        const key = `${N}`;
        rows[key] ??= { steps_per_state: +r.stepsPerState.toFixed(1) };
        rows[key][threads === 1 ? 'core_s_per_state_1thread' : `core_s_per_state_${threads}threads`] = +(r.secondsPerState * threads).toFixed(4);
        rows[key][threads === 1 ? 'wall_s_per_state_1thread' : `wall_s_per_state_${threads}threads`] = +r.secondsPerState.toFixed(4);
        const grid = name === 'euler' ? `${N}x${N}` : `${N}x${N / 4}`;
        console.log(`${name.padEnd(16)} ${grid.padEnd(9)} ${String(threads).padStart(2)} thread(s): ${(r.secondsPerState * threads).toFixed(3).padStart(8)} core-s/state  (${r.secondsPerState.toFixed(3)} s wall, ${r.stepsPerState.toFixed(0)} steps/state)`);
      }
    }
    addon.setNumThreads(allThreads);
    const ns = Object.keys(rows).map(Number);
    const exponent = slope(ns, ns.map((n) => rows[n].core_s_per_state_1thread ?? rows[n][`core_s_per_state_${allThreads}threads`]));
    console.log(`${name}: cost ∝ N^${exponent.toFixed(2)} (1 thread)`);
    results[name] = { per_resolution: rows, scaling_exponent: +exponent.toFixed(2) };
  }
  report('solvers', results);
}
