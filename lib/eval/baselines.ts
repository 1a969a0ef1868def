// The reference forecasts every evaluation scores beside the emulator (issue 12), in physical units with the
// same metrics, lead times and horizons:
//   persistence  the last context state x_{c−1}, repeated at every lead time;
//   climatology  the train split's mean state at the same time step, per field and grid point:
//                x̄_s = (1/N) Σ_n x_s^(n) over the N train trajectories (see climatology.ts).
// Both are deterministic (one member): spread is 0 and spread/skill is left empty (it does not apply).
import { numel, type Tensor } from '../data/types.js';
import { ENSEMBLE_METRICS, ensembleMetrics } from './metrics.js';

export const BASELINES = ['persistence', 'climatology'] as const;
export type BaselineName = (typeof BASELINES)[number];

/** rows[f][l] = the ENSEMBLE_METRICS of field f at lead l (NaN where a metric does not apply). */
export type BaselineRows = Record<BaselineName, number[][][] | null>;

/**
 * Scores the baselines of one trajectory. `truth` is (L, C, *space) in physical units, its first `context`
 * states known; `climatology` is the train mean at the same L time steps, or null (its rows are then null).
 */
export function baselineMetrics(truth: Tensor, climatology: Tensor | null, context: number): BaselineRows {
  const [L, C, ...space] = truth.shape as [number, number, ...number[]];
  if (!Number.isInteger(context) || context < 1 || context >= L) throw new Error(`baselines: context ${context} must be in [1, ${L - 1}] for ${L} states`);
  if (climatology && climatology.shape.join() !== truth.shape.join())
    throw new Error(`baselines: climatology ${JSON.stringify(climatology.shape)} and truth ${JSON.stringify(truth.shape)} differ in shape`);
  const size = C * numel(space);
  const state = (t: Tensor, s: number, members: boolean): Tensor => ({ data: t.data.subarray(s * size, (s + 1) * size), shape: members ? [1, C, ...space] : [C, ...space] });
  const score = (forecast: (s: number) => Tensor): number[][][] => {
    const rows: number[][][] = Array.from({ length: C }, () => []);
    for (let s = context; s < L; s++) {
      const m = ensembleMetrics(state(truth, s, false), forecast(s));
      for (let f = 0; f < C; f++) rows[f]!.push(ENSEMBLE_METRICS.map((name) => (name === 'spread_skill' ? NaN : m[f]![name])));
    }
    return rows;
  };
  return {
    persistence: score(() => state(truth, context - 1, true)),
    climatology: climatology ? score((s) => state(climatology, s, true)) : null,
  };
}
