// The diffusion noise schedules (spec §4.3) as plain functions of t ∈ [0, 1], the same formulas as the
// native samplers (native/models/denoiser.cc Schedule), so a sampler or a guidance term written in
// TypeScript walks the same noise levels. Both are VE-form: α(t) ≡ 1.
//   log_logit:  σ(t) = exp(a·logit(u) + b), u = t_min + t (t_max − t_min), t_min = σ_min/(1+σ_min),
//               t_max = σ_max/(1+σ_max)   (so σ(0) = σ_min, σ(1) = σ_max when a = 1, b = 0)
//   log_linear: σ(t) = exp((1 − t) ln σ_min + t ln σ_max)

export interface NoiseScheduleConfig {
  name: 'log_logit' | 'log_linear';
  sigma_min: number;
  sigma_max: number;
  /** log_logit a (default 1). */
  scale?: number;
  /** log_logit b (default 0). */
  shift?: number;
}

export interface NoiseSchedule {
  alpha(t: number): number;
  sigma(t: number): number;
}

export function noiseSchedule(c: NoiseScheduleConfig): NoiseSchedule {
  if (!(c.sigma_min > 0) || !(c.sigma_max > c.sigma_min)) throw new Error(`noise schedule needs 0 < sigma_min < sigma_max, got ${c.sigma_min}, ${c.sigma_max}`);
  if (c.name === 'log_linear') {
    const lo = Math.log(c.sigma_min), hi = Math.log(c.sigma_max);
    return { alpha: () => 1, sigma: (t) => Math.exp((1 - t) * lo + t * hi) };
  }
  if (c.name !== 'log_logit') throw new Error(`unknown noise schedule '${String(c.name)}' (log_logit or log_linear)`);
  const a = c.scale ?? 1, b = c.shift ?? 0;
  const tMin = c.sigma_min / (1 + c.sigma_min), tMax = c.sigma_max / (1 + c.sigma_max);
  return {
    alpha: () => 1,
    sigma: (t) => {
      const u = tMin + t * (tMax - tMin);
      return Math.exp(a * Math.log(u / (1 - u)) + b);
    },
  };
}

/** The samplers' time grid: linspace(1, 0, steps + 1). */
export function timesteps(steps: number): number[] {
  return Array.from({ length: steps + 1 }, (_, i) => 1 - i / steps);
}
