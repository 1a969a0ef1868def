// Field metrics as the reference computes them (spec §6), per sample and channel over the spatial axes.
// Arrays are C-contiguous (B, C, *space) float32.
import type { Tensor } from '../data/types.js';

export interface ChannelMetrics {
  /** Root mean squared error, the "skill". */
  rmse: number[][];
  /** sqrt(⟨(u − v)²⟩ / (var(u) + ε)), var unbiased, ε = 1e-6. */
  vrmse: number[][];
  /** sqrt(⟨(u − v)²⟩ / (⟨u²⟩ + ε)). */
  nrmse: number[][];
}

/** Per (sample, channel) metrics of a prediction `v` against the truth `u`, both (B, C, *space). */
export function fieldMetrics(u: Tensor, v: Tensor, eps = 1e-6): ChannelMetrics {
  if (u.shape.join() !== v.shape.join()) throw new Error(`metrics: truth ${JSON.stringify(u.shape)} and prediction ${JSON.stringify(v.shape)} differ in shape`);
  const [batch, channels, ...space] = u.shape;
  const n = space.reduce((a, b) => a * b, 1);
  if (n < 2) throw new Error('metrics: need at least 2 spatial points for a variance');
  const out: ChannelMetrics = { rmse: [], vrmse: [], nrmse: [] };
  for (let b = 0; b < batch!; b++) {
    out.rmse.push([]);
    out.vrmse.push([]);
    out.nrmse.push([]);
    for (let c = 0; c < channels!; c++) {
      const offset = (b * channels! + c) * n;
      let mean = 0;
      for (let i = 0; i < n; i++) mean += u.data[offset + i]!;
      mean /= n;
      let se = 0, ss = 0, sq = 0;
      for (let i = 0; i < n; i++) {
        const x = u.data[offset + i]!;
        const d = x - v.data[offset + i]!;
        se += d * d;
        ss += (x - mean) * (x - mean);
        sq += x * x;
      }
      const mse = se / n;
      out.rmse[b]!.push(Math.sqrt(mse));
      out.vrmse[b]!.push(Math.sqrt(mse / (ss / (n - 1) + eps)));
      out.nrmse[b]!.push(Math.sqrt(mse / (sq / n + eps)));
    }
  }
  return out;
}
