// MMPS guidance on a linear-Gaussian toy, where the posterior is known exactly: prior x ~ N(m, diag v),
// observation y = A x + N(0, var_y I) ⇒ x | y ~ N(P (m/v + Aᵀy/var_y), P), P = (diag(1/v) + AᵀA/var_y)⁻¹.
// With the exact denoiser the Tweedie covariance is exact, so guided sampling must reproduce that
// posterior once the linear solve is exact (enough Krylov iterations).
import { native } from '../../lib/native/loader.js';
import { tensor } from '../../lib/tensor.js';

const M = [0.5, -1, 2, 0];
const V = [1, 0.25, 4, 0.5];
const E = M.length;

const f64 = (values: number[], shape: number[]) => tensor(Float64Array.from(values), shape, 'float64');

/** Inverse of a small symmetric positive-definite matrix (Gauss–Jordan). */
function inverse(a: number[][]): number[][] {
  const n = a.length;
  const w = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    const p = w[c]![c]!;
    for (let j = 0; j < 2 * n; j++) w[c]![j]! /= p;
    for (let r = 0; r < n; r++) if (r !== c) { const f = w[r]![c]!; for (let j = 0; j < 2 * n; j++) w[r]![j]! -= f * w[c]![j]!; }
  }
  return w.map((row) => row.slice(n));
}

function exactPosterior(A: number[][], y: number[], varY: number) {
  const precision = Array.from({ length: E }, (_, i) => Array.from({ length: E }, (_, j) => (i === j ? 1 / V[i]! : 0) + A.reduce((s, row) => s + row[i]! * row[j]!, 0) / varY));
  const P = inverse(precision);
  const b = M.map((m, i) => m / V[i]! + A.reduce((s, row, k) => s + row[i]! * y[k]!, 0) / varY);
  return { mean: P.map((row) => row.reduce((s, p, j) => s + p * b[j]!, 0)), variance: P.map((row, i) => row[i]!) };
}

function moments(x: Float64Array, K: number) {
  const mean = new Array<number>(E).fill(0), variance = new Array<number>(E).fill(0);
  for (let k = 0; k < K; k++) for (let e = 0; e < E; e++) mean[e]! += x[k * E + e]! / K;
  for (let k = 0; k < K; k++) for (let e = 0; e < E; e++) variance[e]! += (x[k * E + e]! - mean[e]!) ** 2 / (K - 1);
  return { mean, variance };
}

const K = 2000;
const cases: Array<[string, number[][], number[], Record<string, number | string>]> = [
  // subsample: observe entries 0 and 2 (A Σ Aᵀ diagonal but not ∝ I: 2 iterations make the solve exact)
  ['subsample, GMRES 2', [[1, 0, 0, 0], [0, 0, 1, 0]], [1.5, -0.5], { iterations: 2 }],
  // block average over pairs (downscale by 2)
  ['block average, GMRES 2', [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]], [0.2, 1.8], { iterations: 2 }],
  ['block average, CG 2', [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]], [0.2, 1.8], { iterations: 2, solver: 'cg' }],
  // a dense operator, 3 observations, 3 iterations
  ['dense, GMRES 3', [[1, -1, 0.5, 0], [0.2, 0.3, 0, 1], [0, 1, 1, 1]], [0.3, -0.2, 1], { iterations: 3 }],
];

test.each(cases)('%s: guided samples have the exact posterior mean and variance', async (_, A, y, extra) => {
  const varY = 0.05;
  const out = await native().gaussianGuidedSample(f64(M, [E]), f64(V, [E]), f64(A.flat(), [A.length, E]), f64(y, [y.length]), {
    var_y: varY, sampler: 'ab', steps: 48, members: K, seed: 3, ...extra,
  });
  expect(out.shape).toEqual([K, E]);
  const got = moments(out.dataSync() as Float64Array, K);
  const want = exactPosterior(A, y, varY);
  for (let e = 0; e < E; e++) {
    const se = Math.sqrt(want.variance[e]! / K);
    expect(Math.abs(got.mean[e]! - want.mean[e]!)).toBeLessThan(4.5 * se + 2e-3);
    expect(got.variance[e]! / want.variance[e]!).toBeGreaterThan(1 - 4.5 * Math.sqrt(2 / K) - 0.02);
    expect(got.variance[e]! / want.variance[e]!).toBeLessThan(1 + 4.5 * Math.sqrt(2 / K) + 0.02);
  }
  // The observations pull the samples: the prior mean is far from the posterior's somewhere.
  expect(Math.max(...want.mean.map((w, e) => Math.abs(w - M[e]!) / Math.sqrt(want.variance[e]! / K)))).toBeGreaterThan(20);
});

test('one GMRES iteration is exact when A Σ Aᵀ ∝ I (equal prior variances, a selection)', async () => {
  const varY = 0.05;
  const run = (A: number[][], y: number[], iterations: number) =>
    native().gaussianGuidedSample(f64(M, [E]), f64([1, 1, 1, 1], [E]), f64(A.flat(), [A.length, E]), f64(y, [y.length]), { var_y: varY, steps: 48, members: K, seed: 5, iterations });
  // Equal prior variances and a selection: A Σ_x Aᵀ is a multiple of I at every t, one iteration solves it.
  const A = [[1, 0, 0, 0], [0, 0, 1, 0]];
  const one = moments((await run(A, [1.5, -0.5], 1)).dataSync() as Float64Array, K);
  const precision = 1 / 1 + 1 / varY;
  expect(one.mean[0]!).toBeCloseTo((M[0]! + 1.5 / varY) / precision, 1);
  expect(one.mean[2]!).toBeCloseTo((M[2]! - 0.5 / varY) / precision, 1);
});

test('bad input is refused before any compute, naming the argument', async () => {
  const A = f64([1, 0, 0, 0], [1, E]);
  const call = (opts: Record<string, unknown>, a = A, y = f64([1], [1])) => native().gaussianGuidedSample(f64(M, [E]), f64(V, [E]), a, y, opts as never);
  expect(() => call({}, f64([1, 0, 0], [1, 3]))).toThrow(/A must be \(m, E\) = \(1, 4\), got \[1, 3\]/);
  expect(() => call({ solver: 'lsqr' })).toThrow(/guidance solver must be gmres or cg, got "lsqr"/);
  expect(() => call({ iterations: 0 })).toThrow(/guidance iterations must be 1\.\.64, got 0/);
  expect(() => call({ var_y: 0 })).toThrow(/var_y must be positive/);
});
