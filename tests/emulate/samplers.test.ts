// The samplers against the exact denoiser of a Gaussian N(m, diag(v)): every sampler reproduces the mean and
// variance; the deterministic ones converge to the exact probability-flow solution at their order (AB3 clearly
// faster than Euler); MaskedDenoiser returns observed values unchanged.
import { native } from '../../lib/native/loader.js';
import { tensor } from '../../lib/tensor.js';

const M = [0.5, -1, 2, 0];
const V = [1, 0.25, 4, 0.01];
const SIGMA_MIN = 1e-3;
const SIGMA_MAX = 1e3;

function f64(values: number[], shape: number[]) {
  return tensor(Float64Array.from(values), shape, 'float64');
}

function moments(x: Float64Array | Float32Array, K: number, E: number) {
  const mean = new Array(E).fill(0);
  const variance = new Array(E).fill(0);
  for (let k = 0; k < K; k++) for (let e = 0; e < E; e++) mean[e] += x[k * E + e]! / K;
  for (let k = 0; k < K; k++) for (let e = 0; e < E; e++) variance[e] += (x[k * E + e]! - mean[e]) ** 2 / (K - 1);
  return { mean, variance };
}

describe('Gaussian data: every sampler reproduces mean and variance', () => {
  const K = 4000;
  const cases: Array<[string, Record<string, number | string>]> = [
    ['euler', { steps: 256 }],
    ['heun', { steps: 64 }],
    ['ddpm', { steps: 256 }],
    ['ddim', { steps: 256, eta: 0.5 }],
    ['ab', { steps: 64, order: 3 }],
    ['ab', { steps: 64, order: 2 }],
    ['eab', { steps: 64, order: 3 }],
    ['pc', { steps: 256 }],
    ['ab', { steps: 64, schedule: 'log_linear' }],
  ];
  test.each(cases)('%s %j', async (sampler, extra) => {
    const r = await native().gaussianSample(f64(M, [4]), f64(V, [4]), { sampler, members: K, seed: 7, ...extra } as never);
    expect(r.samples.shape).toEqual([K, 4]);
    const steps = extra.steps as number;
    expect(r.evaluations).toBe(sampler === 'heun' || sampler === 'pc' ? 2 * steps : steps);
    const { mean, variance } = moments(r.samples.dataSync() as Float64Array, K, 4);
    for (let e = 0; e < 4; e++) {
      expect(Math.abs(mean[e] - M[e]!)).toBeLessThan(0.1 * Math.sqrt(V[e]!));
      expect(Math.abs(variance[e] / V[e]! - 1)).toBeLessThan(0.1);
    }
  });
});

describe('deterministic samplers converge at their order', () => {
  const K = 64;
  const E = 4;
  const x1 = Float64Array.from({ length: K * E }, (_, i) => 1000 * Math.sin(i * 12.9898 + 0.5));
  // The probability-flow ODE maps x1 exactly: m + (x1 − m) sqrt(v + σmin²) / sqrt(v + σmax²) (α ≡ 1).
  const exact = Float64Array.from(x1, (x, i) => M[i % E]! + (x - M[i % E]!) * Math.sqrt(V[i % E]! + SIGMA_MIN ** 2) / Math.sqrt(V[i % E]! + SIGMA_MAX ** 2));

  async function error(sampler: string, steps: number, order = 3): Promise<number> {
    const r = await native().gaussianSample(f64(M, [E]), f64(V, [E]), { sampler, steps, order, members: K, init: f64(Array.from(x1), [K, E]) });
    const x = r.samples.dataSync() as Float64Array;
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - exact[i]!));
    return worst;
  }

  async function slope(sampler: string, order = 3): Promise<{ rate: number; at64: number }> {
    const e32 = await error(sampler, 32, order);
    const e64 = await error(sampler, 64, order);
    const e128 = await error(sampler, 128, order);
    return { rate: Math.log2(e32 / e128) / 2, at64: e64 };
  }

  test('Euler and DDIM(η=0) are first order; Heun, AB2, AB3 and EAB3 higher; AB3 clearly beats Euler', async () => {
    const euler = await slope('euler');
    const ddim = await slope('ddim');
    const heun = await slope('heun');
    const ab1 = await slope('ab', 1);
    const ab2 = await slope('ab', 2);
    const ab3 = await slope('ab', 3);
    const eab3 = await slope('eab', 3);
    expect(euler.rate).toBeGreaterThan(0.85);
    expect(euler.rate).toBeLessThan(1.2);
    expect(ddim.at64).toBeCloseTo(euler.at64, 10); // DDIM(η=0) is Euler in ρ
    expect(ab1.at64).toBeCloseTo(euler.at64, 10); // AB1 is Euler
    expect(heun.rate).toBeGreaterThan(1.8);
    expect(ab2.rate).toBeGreaterThan(1.5);
    // AB3 starts with an Euler and an AB2 step (as the reference), which caps the global order near 2 at these step counts.
    expect(ab3.rate).toBeGreaterThan(1.8);
    expect(eab3.rate).toBeGreaterThan(1.8);
    expect(ab3.at64).toBeLessThan(euler.at64 / 5);
    expect(ab3.at64).toBeLessThan(ab2.at64);
  });
});

describe('MaskedDenoiser', () => {
  test('observed elements come back unchanged, the others follow the (independent) prior', async () => {
    const K = 2000;
    const observed = f64([3.25, 0, -7.5, 0], [4]);
    const mask = tensor(Uint8Array.from([1, 0, 1, 0]), [4], 'bool');
    for (const sampler of ['ab', 'ddpm', 'heun', 'pc']) {
      const r = await native().gaussianSample(f64(M, [4]), f64(V, [4]), { sampler, steps: 64, members: K, seed: 3, observed, mask });
      const x = r.samples.dataSync() as Float64Array;
      for (let k = 0; k < K; k++) {
        expect(x[4 * k]).toBe(3.25);
        expect(x[4 * k + 2]).toBe(-7.5);
      }
      const { mean, variance } = moments(x, K, 4);
      expect(Math.abs(mean[1] - M[1]!)).toBeLessThan(0.1 * Math.sqrt(V[1]!));
      expect(Math.abs(variance[1] / V[1]! - 1)).toBeLessThan(0.15);
    }
  });

  test('bad sampler options are refused before any compute', async () => {
    const m = f64(M, [4]);
    const v = f64(V, [4]);
    expect(() => native().gaussianSample(m, v, { sampler: 'rk4', steps: 8 })).toThrow(/unknown sampler "rk4"/);
    expect(() => native().gaussianSample(m, v, { sampler: 'ab', steps: 0 })).toThrow(/steps must be a positive integer/);
    expect(() => native().gaussianSample(m, v, { sampler: 'ab', steps: -3 })).toThrow(/steps must be a positive integer/);
    expect(() => native().gaussianSample(m, v, { sampler: 'ab', steps: 8, order: 4 })).toThrow(/order must be 1, 2 or 3/);
  });
});
