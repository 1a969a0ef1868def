// Field metrics as the reference computes them (spec §6), per sample and channel over the spatial axes,
// and the ensemble metrics of one truth against K emulated members (ensembleMetrics, ensembleSpectra).
// Arrays are C-contiguous (B, C, *space) float32.
import type { Tensor } from '../data/types.js';
import { SpectralPlan, bandBins, binMean } from './spectrum.js';

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

// ---------------------------------------------------------------------------------------------
// Ensemble metrics (spec §6, experiments/eval.py): one truth field u against K emulated members v_k,
// per channel over the spatial axes. v̄ = mean_k v_k, ⟨·⟩ the spatial mean.

export const ENSEMBLE_METRICS = ['rmse', 'nrmse', 'vrmse', 'spread', 'spread_skill', 'crps', 'mass_error', 'psd_low', 'psd_mid', 'psd_high', 'psd_sub', 'xcorr_low', 'xcorr_mid', 'xcorr_high'] as const;
export type EnsembleMetricName = (typeof ENSEMBLE_METRICS)[number];
/**
 * - rmse (the skill) = sqrt⟨(u − v̄)²⟩; nrmse = sqrt(mse / (⟨u²⟩ + ε)); vrmse = sqrt(mse / (var(u) + ε)),
 *   var unbiased (so predicting u's own mean gives sqrt((n − 1)/n), not exactly 1).
 * - spread = sqrt((K + 1)/(K − 1) · ⟨mean_k (v_k − v̄)²⟩), 0 when K = 1.
 * - spread_skill = (spread + 1e-3)/(rmse + 1e-3). The reference plots 0 for the deterministic neural
 *   solver; that is the caller's business (here K identical copies give 1e-3/(rmse + 1e-3)).
 * - crps = ⟨mean_k |v_k − u| − Σ_{k,l} |v_k − v_l| / (2K²)⟩ (the ensemble "energy" estimator; K = 1 → MAE).
 * - mass_error = 1 − Σv̄/Σu (relative total-mass error; ±Infinity or NaN when Σu = 0).
 * - psd_<band> = sqrt(mean_bins (1 − (p_v + 1e-6)/(p_u + 1e-6))²), p_v the mean over members of the
 *   binned power spectra; xcorr_<band> = sqrt(mean_bins (1 − (c_uv + 1e-6)/sqrt(p_u p_v + 1e-12))²),
 *   c_uv the mean over members of the binned cross spectra. Bins and bands as lib/eval/spectrum.ts;
 *   a band without bins gives NaN. These 1e-6 / 1e-12 are fixed (the `eps` option is for nrmse/vrmse).
 */
export type EnsembleMetrics = Record<EnsembleMetricName, number>;

interface EnsembleLayout {
  K: number;
  C: number;
  space: number[];
  n: number;
}

function ensembleLayout(truth: Tensor, members: Tensor, what: string): EnsembleLayout {
  const t = JSON.stringify(truth.shape), m = JSON.stringify(members.shape);
  if (truth.shape.length < 2) throw new Error(`${what}: truth must be (C, *space), got shape ${t}`);
  const [C, ...space] = truth.shape as [number, ...number[]];
  const expected = JSON.stringify(['K', ...truth.shape]);
  if (members.shape.length !== truth.shape.length + 1 || members.shape.slice(1).join() !== truth.shape.join()) {
    throw new Error(`${what}: members must be (K, C, *space) = ${expected} to match truth ${t}, got ${m}`);
  }
  const K = members.shape[0]!;
  for (const s of members.shape) if (!Number.isInteger(s) || s < 1) throw new Error(`${what}: sizes must be positive integers, got members ${m} and truth ${t}`);
  const n = space.reduce((a, b) => a * b, 1);
  if (truth.data.length !== C * n) throw new Error(`${what}: truth shape ${t} needs ${C * n} values, got ${truth.data.length}`);
  if (members.data.length !== K * C * n) throw new Error(`${what}: members shape ${m} needs ${K * C * n} values, got ${members.data.length}`);
  if (n < 2) throw new Error(`${what}: need at least 2 spatial points, got truth ${t}`);
  return { K, C, space, n };
}

interface ChannelSpectra {
  k: Float64Array;
  truth: Float64Array;
  emulated: Float64Array;
  cross: Float64Array;
}

/**
 * Binned spectra of channel `c`: the truth and the K members go through the FFT two real fields at a
 * time (SpectralPlan.powerPair); the member means are taken per point before binning (binning is
 * linear), and |F(u)·conj(F(v))| = |F(u)|·|F(v)|.
 */
function channelSpectra(plan: SpectralPlan, truth: Tensor, members: Tensor, L: EnsembleLayout, c: number, work: SpectralWork): ChannelSpectra {
  const { K, C, n } = L;
  const { powU, magU, powA, powB, pow, cross } = work;
  pow.fill(0);
  cross.fill(0);
  const add = (p: Float64Array) => {
    for (let q = 0; q < n; q++) { pow[q] = pow[q]! + p[q]!; cross[q] = cross[q]! + magU[q]! * Math.sqrt(p[q]!); }
  };
  // The truth with member 0 (or alone when K is even), then the remaining members by pairs.
  const first = K % 2 === 1;
  plan.powerPair(truth.data, c * n, first ? members.data : null, c * n, powU, first ? powA : null);
  for (let q = 0; q < n; q++) magU[q] = Math.sqrt(powU[q]!);
  if (first) add(powA);
  for (let k = first ? 1 : 0; k < K; k += 2) {
    plan.powerPair(members.data, (k * C + c) * n, members.data, ((k + 1) * C + c) * n, powA, powB);
    add(powA);
    add(powB);
  }
  for (let q = 0; q < n; q++) { pow[q] = pow[q]! / K; cross[q] = cross[q]! / K; }
  return { k: plan.binning.k, truth: binMean(plan.binning, powU), emulated: binMean(plan.binning, pow), cross: binMean(plan.binning, cross) };
}

type SpectralWork = Record<'powU' | 'magU' | 'powA' | 'powB' | 'pow' | 'cross', Float64Array>;

function spectralWork(n: number): SpectralWork {
  const f = () => new Float64Array(n);
  return { powU: f(), magU: f(), powA: f(), powB: f(), pow: f(), cross: f() };
}

function bandRms(bins: number[], term: (i: number) => number): number {
  if (bins.length === 0) return NaN;
  let s = 0;
  for (const i of bins) s += term(i) ** 2;
  return Math.sqrt(s / bins.length);
}

/** truth (C, *space), members (K, C, *space) → one record per channel. */
export function ensembleMetrics(truth: Tensor, members: Tensor, options: { eps?: number } = {}): EnsembleMetrics[] {
  const eps = options.eps ?? 1e-6;
  const L = ensembleLayout(truth, members, 'ensembleMetrics');
  const { K, C, n, space } = L;
  const plan = new SpectralPlan(space);
  const bands = bandBins(plan.binning.k);
  const work = spectralWork(n);
  const u = truth.data, v = members.data;
  const x = new Float64Array(K);
  const out: EnsembleMetrics[] = [];
  for (let c = 0; c < C; c++) {
    const uOff = c * n;
    let uMean = 0;
    for (let q = 0; q < n; q++) uMean += u[uOff + q]!;
    uMean /= n;
    let se = 0, uVar = 0, uSq = 0, spread2 = 0, crps = 0, sumU = 0, sumV = 0;
    for (let q = 0; q < n; q++) {
      const uq = u[uOff + q]!;
      // Gather the K members at this point, insertion-sorted (K is small), with their mean and |v − u|.
      let mean = 0, abs = 0;
      for (let k = 0; k < K; k++) {
        const val = v[(k * C + c) * n + q]!;
        mean += val;
        abs += Math.abs(val - uq);
        let j = k;
        while (j > 0 && x[j - 1]! > val) { x[j] = x[j - 1]!; j--; }
        x[j] = val;
      }
      mean /= K;
      // Σ_{k,l} |x_k − x_l| = 2 Σ_i (2i − K + 1) x_(i) over the sorted values; also Σ (x − mean)².
      let pairs = 0, dev = 0;
      for (let i = 0; i < K; i++) {
        pairs += (2 * i - K + 1) * x[i]!;
        dev += (x[i]! - mean) ** 2;
      }
      crps += abs / K - pairs / (K * K);
      spread2 += dev / K;
      const d = uq - mean;
      se += d * d;
      uVar += (uq - uMean) ** 2;
      uSq += uq * uq;
      sumU += uq;
      sumV += mean;
    }
    const mse = se / n;
    const rmse = Math.sqrt(mse);
    const spread = K > 1 ? Math.sqrt(((K + 1) / (K - 1)) * (spread2 / n)) : 0;
    const s = channelSpectra(plan, truth, members, L, c, work);
    const psd = (i: number) => 1 - (s.emulated[i]! + 1e-6) / (s.truth[i]! + 1e-6);
    const xcorr = (i: number) => 1 - (s.cross[i]! + 1e-6) / Math.sqrt(s.truth[i]! * s.emulated[i]! + 1e-12);
    out.push({
      rmse,
      nrmse: Math.sqrt(mse / (uSq / n + eps)),
      vrmse: Math.sqrt(mse / (uVar / (n - 1) + eps)),
      spread,
      spread_skill: (spread + 1e-3) / (rmse + 1e-3),
      crps: crps / n,
      mass_error: 1 - sumV / sumU,
      psd_low: bandRms(bands.low, psd),
      psd_mid: bandRms(bands.mid, psd),
      psd_high: bandRms(bands.high, psd),
      psd_sub: bandRms(bands.sub, psd),
      xcorr_low: bandRms(bands.low, xcorr),
      xcorr_mid: bandRms(bands.mid, xcorr),
      xcorr_high: bandRms(bands.high, xcorr),
    });
  }
  return out;
}

/** Per channel: k, truth power, mean-over-members power (p_v), and cross spectrum mean over members. */
export function ensembleSpectra(truth: Tensor, members: Tensor): Array<{ k: number[]; truth: number[]; emulated: number[]; cross: number[] }> {
  const L = ensembleLayout(truth, members, 'ensembleSpectra');
  const plan = new SpectralPlan(L.space);
  const work = spectralWork(L.n);
  const out: Array<{ k: number[]; truth: number[]; emulated: number[]; cross: number[] }> = [];
  for (let c = 0; c < L.C; c++) {
    const s = channelSpectra(plan, truth, members, L, c, work);
    out.push({ k: Array.from(s.k), truth: Array.from(s.truth), emulated: Array.from(s.emulated), cross: Array.from(s.cross) });
  }
  return out;
}
