// The Euler multi-quadrants solver (MUSCL–Hancock + HLLC): conservation with periodic boundaries,
// convergence to the exact Riemann solution (Sod) along x and along y, symmetry, positivity near
// vacuum, and clear refusals of bad input.
import { advanceEuler, conservedFromPrimitive, drawQuadrantProblem, quadrantInitialState, simulateEuler, type GasState, type QuadrantProblem } from '../../lib/solvers/euler.js';
import { Rng } from '../../lib/data/rng.js';
import { native } from '../../lib/native/loader.js';
import { getNumThreads, setNumThreads } from '../../lib/runtime.js';
import { exactDensityAverages, starState, type Primitive1D } from './exact-riemann.js';

// These grids are small: one libtorch thread is fastest and does not fight other test workers.
let threads = 1;
beforeAll(() => {
  threads = getNumThreads();
  setNumThreads(1);
});
afterAll(() => setNumThreads(threads));

const f64 = (data: Float64Array, shape: number[]) => new (native().Tensor)(data, shape, 'float64');

function totals(state: Float64Array, B: number, n: number): number[][] {
  return Array.from({ length: B }, (_, b) => [0, 1, 2, 3].map((c) => state.subarray((b * 4 + c) * n, (b * 4 + c + 1) * n).reduce((s, v) => s + v, 0)));
}

describe('Euler conservation', () => {
  test('periodic boundaries conserve mass, momentum and energy to round-off', async () => {
    const N = 32;
    const B = 2;
    const gamma = [1.4, 1.13];
    const initial = new Float64Array(B * 4 * N * N);
    for (let b = 0; b < B; b++) quadrantInitialState(drawQuadrantProblem(new Rng(`conservation/${b}`)), gamma[b]!, N, N, initial, b * 4 * N * N);
    const before = totals(initial, B, N * N);
    const x0 = f64(initial, [B, 4, N, N]);
    const r = await advanceEuler(x0, gamma, { boundary: 'periodic', t1: 0.1 });
    const after = totals(r.state.dataSync() as Float64Array, B, N * N);
    const scale = Array.from({ length: B }, (_, b) => [0, 1, 2, 3].map((c) => initial.subarray((b * 4 + c) * N * N, (b * 4 + c + 1) * N * N).reduce((s, v) => s + Math.abs(v), 0)));
    for (let b = 0; b < B; b++) {
      expect(r.steps[b]).toBeGreaterThan(10);
      for (let c = 0; c < 4; c++) expect(Math.abs(after[b]![c]! - before[b]![c]!)).toBeLessThan(1e-13 * scale[b]![c]! * r.steps[b]!);
    }
  });
});

// Sod's shock tube, γ = 1.4, discontinuity at 0.5, t = 0.2 (the waves stay inside the domain).
const sodL: Primitive1D = { rho: 1, u: 0, p: 1 };
const sodR: Primitive1D = { rho: 0.125, u: 0, p: 0.1 };

const sodRuns = new Map<string, Float64Array>();

async function sodDensity(n: number, axis: 'x' | 'y'): Promise<Float64Array> {
  const key = `${axis}${n}`;
  if (!sodRuns.has(key)) sodRuns.set(key, await runSod(n, axis));
  return sodRuns.get(key)!;
}

async function runSod(n: number, axis: 'x' | 'y'): Promise<Float64Array> {
  const [nx, ny] = axis === 'x' ? [n, 4] : [4, n];
  const state = (i: number, j: number): GasState => {
    const s = (axis === 'x' ? (i + 0.5) / nx : (j + 0.5) / ny) < 0.5 ? sodL : sodR;
    return { density: s.rho, velocityX: 0, velocityY: 0, pressure: s.p };
  };
  const r = await advanceEuler(f64(conservedFromPrimitive(1.4, nx, ny, state), [1, 4, nx, ny]), [1.4], { boundary: 'open', t1: 0.2 });
  const data = r.state.dataSync() as Float64Array;
  // Density along the axis, from the first row/column (all rows are the same 1-D problem).
  return Float64Array.from({ length: n }, (_, k) => (axis === 'x' ? data[k * ny]! : data[k]!));
}

describe('Euler Sod shock tube', () => {
  test("the exact solver gives the known star state of Sod's problem (p* = 0.30313, u* = 0.92745)", () => {
    const { p, u } = starState(sodL, sodR, 1.4);
    expect(p).toBeCloseTo(0.30313, 5);
    expect(u).toBeCloseTo(0.92745, 5);
  });

  for (const axis of ['x', 'y'] as const) {
    test(`converges to the exact Riemann solution along ${axis}`, async () => {
      const errors: number[] = [];
      for (const n of [64, 128, 256]) {
        const rho = await sodDensity(n, axis);
        const exact = exactDensityAverages(sodL, sodR, 1.4, 0.5, 0.2, n);
        errors.push(rho.reduce((s, v, i) => s + Math.abs(v - exact[i]!), 0) / n);
      }
      // Discontinuities limit the L1 rate to about 1 (smooth parts converge at 2).
      expect(errors[0]).toBeLessThan(0.012);
      expect(errors[1]!).toBeLessThan(0.75 * errors[0]!);
      expect(errors[2]!).toBeLessThan(0.75 * errors[1]!);
    });
  }

  test('the y run is the x run transposed', async () => {
    const x = await sodDensity(64, 'x');
    const y = await sodDensity(64, 'y');
    for (let i = 0; i < 64; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-12);
  });
});

describe('Euler symmetry and positivity', () => {
  test('data symmetric under x ↔ y stay symmetric', async () => {
    const N = 32;
    const a: GasState = { density: 1.5, velocityX: 0, velocityY: 0, pressure: 1.5 };
    const b: GasState = { density: 0.5323, velocityX: 1.206, velocityY: 0, pressure: 0.3 };
    const c: GasState = { density: 0.138, velocityX: 1.206, velocityY: 1.206, pressure: 0.029 };
    const problem: QuadrantProblem = { splitX: 0.5, splitY: 0.5, states: [c, b, { ...b, velocityX: b.velocityY, velocityY: b.velocityX }, a] };
    const r = await simulateEuler({ initial: quadrantInitialState(problem, 1.4, N), resolution: [N, N], gamma: [1.4], boundary: 'open', times: [0, 0.1, 0.2] });
    const s = r.trajectories[0]!.subarray(2 * 5 * N * N); // last state: energy, density, pressure, mx, my
    const at = (c: number, i: number, j: number) => s[c * N * N + i * N + j]!;
    let worst = 0;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        for (const ch of [0, 1, 2]) worst = Math.max(worst, Math.abs(at(ch, i, j) - at(ch, j, i)));
        worst = Math.max(worst, Math.abs(at(3, i, j) - at(4, j, i)));
      }
    }
    expect(worst).toBeLessThan(1e-5); // float32 output; the float64 fields agree to round-off
  });

  test('a near-vacuum double rarefaction keeps density and pressure positive', async () => {
    const N = 64;
    const state = (i: number): GasState => ({ density: 1, velocityX: (i + 0.5) / N < 0.5 ? -2 : 2, velocityY: 0, pressure: 0.4 });
    const r = await advanceEuler(f64(conservedFromPrimitive(1.4, N, 4, (i) => state(i)), [1, 4, N, 4]), [1.4], { boundary: 'open', t1: 0.1 });
    const snap = r.snapshot.dataSync() as Float32Array;
    const n = N * 4;
    for (let k = 0; k < n; k++) {
      expect(snap[n + k]!).toBeGreaterThan(0); // density
      expect(snap[2 * n + k]!).toBeGreaterThan(0); // pressure
    }
  });
});

describe('Euler bad input', () => {
  const N = 8;
  const ok = () => f64(quadrantInitialState(drawQuadrantProblem(new Rng(1)), 1.4, N), [1, 4, N, N]);
  test('gamma <= 1 is refused with the valid range', async () => {
    await expect(advanceEuler(ok(), [1], { boundary: 'open', t1: 0.01 })).rejects.toThrow(/gamma must be > 1/);
    await expect(simulateEuler({ initial: new Float64Array(4 * N * N), resolution: [N, N], gamma: [0.9], boundary: 'open', times: [0, 0.1] })).rejects.toThrow(/gamma must be a number > 1/);
  });
  test('a CFL number outside (0, 1) is refused', async () => {
    await expect(advanceEuler(ok(), [1.4], { boundary: 'open', t1: 0.01, cfl: 1.5 })).rejects.toThrow(/cfl must be in \(0, 1\)/);
  });
  test('a grid too small for the stencil is refused', async () => {
    const tiny = f64(quadrantInitialState(drawQuadrantProblem(new Rng(1)), 1.4, 2), [1, 4, 2, 2]);
    await expect(advanceEuler(tiny, [1.4], { boundary: 'open', t1: 0.01 })).rejects.toThrow(/resolution must be at least 4/);
  });
  test('an unphysical state stops with the trajectory, time and cell', async () => {
    const data = quadrantInitialState(drawQuadrantProblem(new Rng(1)), 1.4, N);
    data[3 * N * N + 2 * N + 5] = -1; // negative energy in cell (2, 5)
    await expect(advanceEuler(f64(data, [1, 4, N, N]), [1.4], { boundary: 'open', t1: 0.01, ids: [17] })).rejects.toThrow(/trajectory 17 at t=0 in cell \(i=2, j=5/);
  });
  test('an unknown boundary is refused', async () => {
    await expect(advanceEuler(ok(), [1.4], { boundary: 'reflective' as never, t1: 0.01 })).rejects.toThrow(/boundary must be 'open' or 'periodic'/);
  });
});
