// The open denoiser: `denoise` (posterior mean and EDM parts at any noise level), the schedule as
// functions, and a TypeScript Euler sampler over `denoise` that matches the native `euler` sampler.
import { Denoiser } from '../../lib/models/denoiser.js';
import { noiseSchedule, timesteps } from '../../lib/models/noise-schedule.js';
import { tensor } from '../../lib/tensor.js';
import { randomValues, tiny } from './helpers.js';

const B = 2, L = 5, C = 4, H = 4, W = 4;
const N = B * L * C * H * W;
const label = tensor(randomValues(B * 5, 3), [B, 5]);

test('the schedules: σ(0) = σ_min, σ(1) = σ_max, log_logit σ(½) = 1 (symmetric bounds), α ≡ 1', () => {
  const s = noiseSchedule({ name: 'log_logit', sigma_min: 1e-3, sigma_max: 1e3 });
  expect(s.sigma(0)).toBeCloseTo(1e-3, 12);
  expect(s.sigma(1)).toBeCloseTo(1e3, 9);
  expect(s.sigma(0.5)).toBeCloseTo(1, 12);
  expect(s.alpha(0.3)).toBe(1);
  // log_logit with a = 2, b = 1 at t = ½: u = ½ → σ = e^(2·0 + 1).
  expect(noiseSchedule({ name: 'log_logit', sigma_min: 1e-3, sigma_max: 1e3, scale: 2, shift: 1 }).sigma(0.5)).toBeCloseTo(Math.E, 12);
  const lin = noiseSchedule({ name: 'log_linear', sigma_min: 1e-2, sigma_max: 1e2 });
  expect(lin.sigma(0.25)).toBeCloseTo(10 ** -1, 12); // exp(¾ ln 1e-2 + ¼ ln 1e2)
  expect(timesteps(4)).toEqual([1, 0.75, 0.5, 0.25, 0]);
  expect(() => noiseSchedule({ name: 'log_logit', sigma_min: 1, sigma_max: 0.5 })).toThrow(/0 < sigma_min < sigma_max/);
});

describe('denoise', () => {
  const d = Denoiser.create(tiny);
  const x = tensor(randomValues(N, 5), [B, L, C, H, W]);

  test('the EDM parts per batch element, and the mean in the states layout', async () => {
    const r = await d.denoise(x, [0.5, 2], { label });
    expect(r.mean.shape).toEqual([B, L, C, H, W]);
    for (const [i, s] of [0.5, 2].entries()) {
      expect(r.c_skip[i]).toBeCloseTo(1 / (1 + s * s), 12);
      expect(r.c_in[i]).toBeCloseTo(1 / Math.sqrt(1 + s * s), 12);
      expect(r.c_out[i]).toBeCloseTo(s / Math.sqrt(1 + s * s), 12);
      expect(r.c_noise[i]).toBeCloseTo(10 * Math.log(s), 12);
    }
    // At σ → 0 the denoiser returns its input (c_skip → 1, c_out → 0).
    const small = await d.denoise(x, 1e-6, { label });
    const a = small.mean.dataSync() as Float32Array, b = x.dataSync() as Float32Array;
    for (let i = 0; i < N; i += 97) expect(a[i]).toBeCloseTo(b[i]!, 4);
  });

  test('with context and a mask: the known states come back as given, the rest depends on them', async () => {
    const context = tensor(randomValues(N, 9), [B, L, C, H, W]);
    const mask = [true, false, false, false, false];
    const r = await d.denoise(x, 3, { label, mask, context });
    const m = r.mean.dataSync() as Float32Array, c = context.dataSync() as Float32Array;
    const per = C * H * W;
    for (let b = 0; b < B; b++) for (let i = 0; i < per; i++) expect(m[b * L * per + i]).toBe(c[b * L * per + i]);
    const other = await d.denoise(x, 3, { label, mask, context: tensor(randomValues(N, 10), [B, L, C, H, W]) });
    expect(other.mean.dataSync()[per + 1]).not.toBeCloseTo(m[per + 1]!, 6);
  });

  test('bad input: shapes, sigma, mask, a context without a mask, a surrogate', async () => {
    await expect(d.denoise(tensor(randomValues(2 * 5 * 3 * 16), [2, 5, 3, 4, 4]), 1, { label })).rejects.toThrow(/x has 3 channels, the model expects 4/);
    expect(() => d.denoise(x, [1, 2, 3], { label })).toThrow(/sigma has 3 entries, expected one per batch element \(2\)/);
    expect(() => d.denoise(x, -1, { label })).toThrow(/sigma must be positive and finite/);
    expect(() => d.denoise(x, 1, { label, mask: [true, false] })).toThrow(/mask must be \(L\) = \(5\)/);
    expect(() => d.denoise(x, 1, { label, context: x })).toThrow(/context needs a mask/);
    await expect(d.denoise(x, 1)).rejects.toThrow(/label is required/);
  });
});

test('a TypeScript Euler sampler over denoise equals the native euler sampler (with clean context)', async () => {
  const d = Denoiser.create(tiny);
  const steps = 8;
  const sched = d.schedule;
  const context = tensor(randomValues(N, 11), [B, L, C, H, W]);
  const mask = [true, false, false, false, false];
  // x_1 = √(α_1² + σ_1²) ε
  const eps = randomValues(N, 13);
  const x1 = Float32Array.from(eps, (e) => Math.sqrt(1 + sched.sigma(1) ** 2) * e);

  // Euler on the probability-flow ODE d(x/α) = ε̂ dρ, ρ = σ/α, ε̂ = (x − α μ)/σ (spec §5).
  const t = timesteps(steps);
  let x = Float64Array.from(x1);
  for (let i = 0; i < steps; i++) {
    const [at, st] = [sched.alpha(t[i]!), sched.sigma(t[i]!)];
    const [as, ss] = [sched.alpha(t[i + 1]!), sched.sigma(t[i + 1]!)];
    const { mean } = await d.denoise(tensor(Float32Array.from(x), [B, L, C, H, W]), st, { label, mask, context, alpha: at });
    const mu = mean.dataSync() as Float32Array;
    x = x.map((v, k) => (as / at) * v + as * (ss / as - st / at) * ((v - at * mu[k]!) / st));
  }
  // The known state is the context itself at the end (as the native masked sampler returns it).
  const c = context.dataSync() as Float32Array;
  const per = C * H * W;
  for (let b = 0; b < B; b++) for (let k = 0; k < per; k++) x[b * L * per + k] = c[b * L * per + k]!;

  const native = (await d.sample(tensor(x1, [B, L, C, H, W]), { label, mask, context, sampler: 'euler', steps })).dataSync() as Float32Array;
  let worst = 0, scale = 0;
  for (let k = 0; k < N; k++) {
    worst = Math.max(worst, Math.abs(native[k]! - x[k]!));
    scale = Math.max(scale, Math.abs(native[k]!));
  }
  expect(scale).toBeGreaterThan(0.1);
  expect(worst).toBeLessThan(1e-4 * Math.max(1, scale));
  // And it is a different sample from another starting point.
  const other = (await d.sample(tensor(randomValues(N, 17), [B, L, C, H, W]), { label, mask, context, sampler: 'euler', steps })).dataSync() as Float32Array;
  expect(Math.abs(other[per * 2]! - native[per * 2]!)).toBeGreaterThan(1e-3);
});
