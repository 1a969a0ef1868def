// Per-channel statistics after the transforms (before normalisation) over N random states, as the
// reference's get_stats does: mean = E[x], std = sqrt(E[x²] − E[x]²).
import { WellDataset, type WellDatasetOptions } from './dataset.js';
import { Rng } from './rng.js';

export interface ChannelStats {
  name: string;
  mean: number;
  std: number;
}

export async function computeStats(options: Omit<WellDatasetOptions, 'steps' | 'normalize' | 'augment'>, samples = 1024, seed = 0): Promise<{ states: number; stats: ChannelStats[] }> {
  const ds = await WellDataset.open({ ...options, steps: 1, stride: 1, normalize: false, augment: false });
  try {
    const rng = new Rng(`stats:${seed}`);
    const C = ds.channels.length;
    const sum = new Float64Array(C);
    const sq = new Float64Array(C);
    let count = 0;
    const n = Math.min(samples, ds.length);
    for (let k = 0; k < n; k++) {
      const { state } = ds.item(rng.int(ds.length), rng);
      const per = state.data.length / C;
      for (let c = 0; c < C; c++) {
        let s = 0;
        let q = 0;
        for (let i = c * per; i < (c + 1) * per; i++) {
          const v = state.data[i]!;
          s += v;
          q += v * v;
        }
        sum[c]! += s;
        sq[c]! += q;
      }
      count += per;
    }
    const stats = ds.channels.map((name, c) => {
      const mean = sum[c]! / count;
      return { name, mean, std: Math.sqrt(Math.max(0, sq[c]! / count - mean * mean)) };
    });
    return { states: n, stats };
  } finally {
    ds.close();
  }
}
