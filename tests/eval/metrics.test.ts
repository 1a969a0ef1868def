import { fieldMetrics } from '../../lib/eval/metrics.js';

test('VRMSE, RMSE and NRMSE against hand-computed values', () => {
  // u = [1, 2, 3, 4] (mean 2.5, unbiased var 5/3, mean square 7.5), v = u + [1, -1, 1, -1] → mse 1.
  const u = { data: Float32Array.from([1, 2, 3, 4]), shape: [1, 1, 4] };
  const v = { data: Float32Array.from([2, 1, 4, 3]), shape: [1, 1, 4] };
  const m = fieldMetrics(u, v);
  expect(m.rmse[0]![0]).toBeCloseTo(1, 12);
  expect(m.vrmse[0]![0]).toBeCloseTo(Math.sqrt(1 / (5 / 3 + 1e-6)), 12);
  expect(m.nrmse[0]![0]).toBeCloseTo(Math.sqrt(1 / (7.5 + 1e-6)), 12);
  // Predicting the mean gives VRMSE sqrt((n-1)/n) = sqrt(3/4).
  const mean = { data: Float32Array.from([2.5, 2.5, 2.5, 2.5]), shape: [1, 1, 4] };
  expect(fieldMetrics(u, mean).vrmse[0]![0]).toBeCloseTo(Math.sqrt(3 / 4), 6);
  expect(() => fieldMetrics(u, { data: new Float32Array(3), shape: [1, 1, 3] })).toThrow(/differ in shape/);
});

// ---------------------------------------------------------------------------------------------
// Spectra and ensemble metrics (spec §6).

import { ENSEMBLE_METRICS, ensembleMetrics, ensembleSpectra } from '../../lib/eval/metrics.js';
import { bandBins, bandEdges, crossSpectrum, fftn, isotropicBinning, isotropicSpectrum } from '../../lib/eval/spectrum.js';

/** Seeded uniform (mulberry32) and standard normal (Box–Muller) draws. */
function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** Direct N-D DFT, X[m] = Σ_x f[x] e^(−2πi m·x/n) / √N, straight from the definition. */
function naiveDft(re: ArrayLike<number>, im: ArrayLike<number>, shape: number[]): { re: Float64Array; im: Float64Array } {
  const N = shape.reduce((a, b) => a * b, 1);
  const coords = (q: number) => {
    const c: number[] = [];
    for (let a = shape.length - 1; a >= 0; a--) { c.unshift(q % shape[a]!); q = Math.floor(q / shape[a]!); }
    return c;
  };
  const outRe = new Float64Array(N), outIm = new Float64Array(N);
  for (let m = 0; m < N; m++) {
    const cm = coords(m);
    for (let x = 0; x < N; x++) {
      const cx = coords(x);
      let phase = 0;
      for (let a = 0; a < shape.length; a++) phase += (cm[a]! * cx[a]!) / shape[a]!;
      const w = -2 * Math.PI * phase;
      outRe[m] += re[x]! * Math.cos(w) - im[x]! * Math.sin(w);
      outIm[m] += re[x]! * Math.sin(w) + im[x]! * Math.cos(w);
    }
    outRe[m] /= Math.sqrt(N);
    outIm[m] /= Math.sqrt(N);
  }
  return { re: outRe, im: outIm };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0);

describe('fftn', () => {
  test.each([[[7]], [[16]], [[12, 20]], [[8, 8]], [[4, 6, 8]], [[3, 4, 5]]])('agrees with a direct DFT and inverts, shape %j', (shape) => {
    const N = shape.reduce((a, b) => a * b, 1);
    const r = rng(N);
    const re0 = Float64Array.from({ length: N }, r.normal), im0 = Float64Array.from({ length: N }, r.normal);
    const re = re0.slice(), im = im0.slice();
    fftn(re, im, shape);
    const ref = naiveDft(re0, im0, shape);
    expect(maxDiff(re, ref.re)).toBeLessThan(1e-10);
    expect(maxDiff(im, ref.im)).toBeLessThan(1e-10);
    fftn(re, im, shape, true);
    expect(maxDiff(re, re0)).toBeLessThan(1e-12);
    expect(maxDiff(im, im0)).toBeLessThan(1e-12);
  });

  test('Parseval with norm="ortho": Σ|F|² = Σx² (2-D and 3-D), and the power spectrum sums back', () => {
    for (const shape of [[32, 32], [12, 20], [8, 8, 8]]) {
      const N = shape.reduce((a, b) => a * b, 1);
      const r = rng(7);
      const x = Float64Array.from({ length: N }, r.normal);
      const re = x.slice(), im = new Float64Array(N);
      fftn(re, im, shape);
      const energy = sum(x.map((v) => v * v));
      expect(sum(re.map((v, i) => v * v + im[i]! * im[i]!))).toBeCloseTo(energy, 9);
      // Σ_bins power·count + DC = Σ|F|².
      const s = isotropicSpectrum(x, shape);
      const b = isotropicBinning(shape);
      const binned = sum(s.power.map((p, i) => p * b.counts[i + 1]!));
      expect(binned + re[0]! ** 2).toBeCloseTo(energy, 9);
    }
  });

  test('bad sizes throw naming the shape', () => {
    expect(() => fftn(new Float64Array(5), new Float64Array(5), [2, 3])).toThrow(/\[2,3\].*6.*5/);
    expect(() => isotropicSpectrum(new Float32Array(10), [3, 4])).toThrow(/\[3,4\] needs 12 values, got 10/);
    expect(() => isotropicSpectrum(new Float32Array(1), [1])).toThrow(/too small/);
  });
});

describe('isotropic spectrum', () => {
  test('1-D: bins are the integer frequencies m/n; a sinusoid lands in its bin and band', () => {
    const n = 64;
    const b = isotropicBinning([n]);
    // B = floor(√1·64/2) = 32, k_max = 0.5: every k = m/64 lies on edge m and goes to bin m (right=False).
    expect(b.bins).toBe(32);
    expect(Array.from(b.k)).toEqual(Array.from({ length: 32 }, (_, i) => (i + 1) / 64));
    expect(b.counts[0]).toBe(1);
    for (let m = 1; m < 32; m++) expect(b.counts[m]).toBe(2); // ±m
    expect(b.counts[32]).toBe(1); // Nyquist, −32 only
    // cos(2π·5x/64): ortho |F|² = n/4 at ±5 → bin 5 (kept index 4) averages (16 + 16)/2.
    const x = Float32Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * 5 * i) / n));
    const s = isotropicSpectrum(x, [n]);
    expect(s.k[4]).toBe(5 / 64);
    expect(s.power[4]).toBeCloseTo(16, 5);
    expect(sum(s.power) - s.power[4]!).toBeLessThan(1e-9);
    // Bands: edges 2^-6, 2^(-6+5/3), 2^(-6+10/3), 2^-1 → low m ≤ 3, mid 4..10, high 11..32, sub m = 32.
    const e = bandEdges(1 / 64);
    expect(e[1]).toBeCloseTo(2 ** (-13 / 3), 15);
    expect(e[2]).toBeCloseTo(2 ** (-8 / 3), 15);
    const bands = bandBins(s.k);
    expect(bands.low).toEqual([0, 1, 2]);
    expect(bands.mid).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(bands.high).toEqual(Array.from({ length: 22 }, (_, i) => i + 10));
    expect(bands.sub).toEqual([31]);
    expect(bands.mid).toContain(4);
  });

  test('2-D: a sinusoid at (0, 4)/32 lands in bin 4 of 22, mid band; a checkerboard in the sub band', () => {
    const H = 32, W = 32;
    const b = isotropicBinning([H, W]);
    // B = floor(√2·16) = 22, bin width s = √0.5/22. Bin 4 holds 3s < |k| ≤ 4s, i.e. 32²|k|² ∈ (9.52, 16.93]:
    // integer (a, b) with a² + b² ∈ {10, 13, 16} → 8 + 8 + 4 = 20 points.
    expect(b.bins).toBe(22);
    expect(b.k[21]).toBeCloseTo(Math.SQRT1_2, 15);
    expect(b.counts[4]).toBe(20);
    const wave = Float32Array.from({ length: H * W }, (_, q) => Math.cos((2 * Math.PI * 4 * (q % W)) / W));
    const s = isotropicSpectrum(wave, [H, W]);
    // Σx² = N/2 = 512, all at (0, ±4) → bin 4 (kept index 3) averages 512/20.
    expect(s.power[3]).toBeCloseTo(512 / 20, 4);
    expect(sum(s.power) - s.power[3]!).toBeLessThan(1e-8);
    const bands = bandBins(s.k);
    expect(bands.mid).toContain(3);
    expect(bands.low).not.toContain(3);
    expect(bands.high).not.toContain(3);
    // Checkerboard (−1)^(y+x): all N = 1024 of power at (−16, −16), |k| = √0.5, the last bin, which
    // also holds (−16, ±15) and (±15, −16) (|k|·32 = 21.93 > 21.6): 5 points.
    const checker = Float32Array.from({ length: H * W }, (_, q) => ((Math.floor(q / W) + (q % W)) % 2 ? -1 : 1));
    const c = isotropicSpectrum(checker, [H, W]);
    expect(c.power[21]).toBeCloseTo(1024 / 5, 4);
    expect(bands.sub).toContain(21);
    expect(bands.high).not.toContain(21);
    // sub = k ≥ 0.5: upper edges i·s ≥ 0.5 ⇔ i ≥ 15.56 → bins 16..22.
    expect(bands.sub).toEqual([15, 16, 17, 18, 19, 20, 21]);
  });

  test('the binning matches bucketize(k, linspace(0, k_max, B+1), right=False) on a 12×20 grid', () => {
    const shape = [12, 20];
    const b = isotropicBinning(shape);
    const f = (j: number, n: number) => (j < Math.ceil(n / 2) ? j : j - n) / n;
    const ks: number[] = [];
    for (let y = 0; y < 12; y++) for (let x = 0; x < 20; x++) ks.push(Math.hypot(f(y, 12), f(x, 20)));
    const kMax = Math.max(...ks);
    expect(b.bins).toBe(Math.floor((Math.SQRT2 * 12) / 2)); // 8
    ks.forEach((k, q) => {
      const i = b.index[q]!;
      expect(k <= b.edges[i]! + 1e-12).toBe(true);
      if (i > 0) expect(k > b.edges[i - 1]! + 1e-12).toBe(true);
    });
    expect(b.edges[b.bins]).toBe(kMax);
    expect(sum(b.counts)).toBe(240);
  });

  test('cross spectrum of a field with itself is its power spectrum; with −u too', () => {
    const r = rng(3);
    const u = Float32Array.from({ length: 12 * 20 }, r.normal);
    const p = isotropicSpectrum(u, [12, 20]);
    expect(maxDiff(crossSpectrum(u, u, [12, 20]).power, p.power)).toBeLessThan(1e-12);
    expect(maxDiff(crossSpectrum(u, u.map((x) => -x), [12, 20]).power, p.power)).toBeLessThan(1e-12);
  });
});

describe('ensembleMetrics', () => {
  const t = (data: number[], shape: number[]) => ({ data: Float32Array.from(data), shape });

  test('has the documented keys', () => {
    const m = ensembleMetrics(t([1, 2, 3, 4], [1, 4]), t([1, 2, 3, 4], [1, 1, 4]))[0]!;
    expect(Object.keys(m).sort()).toEqual([...ENSEMBLE_METRICS].sort());
  });

  test('VRMSE of the spatial mean as prediction is sqrt((n−1)/n) (var unbiased), → 1 for large fields', () => {
    // u = 0..15 on 4×4: mean 7.5, ⟨(u − ū)²⟩ = (16² − 1)/12 = 21.25, unbiased var 22.666…
    const u = Array.from({ length: 16 }, (_, i) => i);
    const m = ensembleMetrics(t(u, [1, 4, 4]), t(Array(16).fill(7.5), [1, 1, 4, 4]))[0]!;
    expect(m.rmse).toBeCloseTo(Math.sqrt(21.25), 6);
    expect(m.vrmse).toBeCloseTo(Math.sqrt(15 / 16), 6);
    const r = rng(11), n = 64 * 64;
    const big = Float32Array.from({ length: n }, () => 3 + 2 * r.normal());
    const mean = sum(big) / n;
    const m2 = ensembleMetrics({ data: big, shape: [1, 64, 64] }, { data: new Float32Array(2 * n).fill(mean), shape: [2, 1, 64, 64] })[0]!;
    expect(m2.vrmse).toBeCloseTo(Math.sqrt((n - 1) / n), 5);
    expect(Math.abs(m2.vrmse - 1)).toBeLessThan(2e-4);
    expect(m2.spread).toBe(0);
  });

  test('identical members have zero spread; one member gives spread 0 and CRPS = MAE', () => {
    const u = [0, 1, 2, 3, 4, 5, 6, 7], v = [1, 1, 0, 3, 6, 5, 7, 7];
    const mae = sum(u.map((x, i) => Math.abs(x - v[i]!))) / 8; // (1 + 0 + 2 + 0 + 2 + 0 + 1 + 0)/8
    const rmse = Math.sqrt((1 + 4 + 4 + 1) / 8);
    const one = ensembleMetrics(t(u, [1, 8]), t(v, [1, 1, 8]))[0]!;
    expect(one.spread).toBe(0);
    expect(one.crps).toBeCloseTo(mae, 12);
    expect(one.rmse).toBeCloseTo(rmse, 12);
    const four = ensembleMetrics(t(u, [1, 8]), t([...v, ...v, ...v, ...v], [4, 1, 8]))[0]!;
    expect(four.spread).toBe(0);
    expect(four.crps).toBeCloseTo(mae, 12);
    expect(four.spread_skill).toBeCloseTo(1e-3 / (rmse + 1e-3), 12);
  });

  test('two-member ensemble against hand-computed values', () => {
    // u = [0, 1, 2, 3], v1 = [1, 1, 0, 5], v2 = [−1, 3, 0, 2].
    // CRPS per point = (|v1−u| + |v2−u|)/2 − 2|v1−v2|/(2·2²): 1 − .5, 1 − .5, 2 − 0, 1.5 − .75 → mean 0.9375.
    // v̄ = [0, 2, 0, 3.5], u − v̄ = [0, −1, 2, −.5] → mse 5.25/4; mean_k (v_k − v̄)² = [1, 1, 0, 2.25].
    const m = ensembleMetrics(t([0, 1, 2, 3], [1, 4]), t([1, 1, 0, 5, -1, 3, 0, 2], [2, 1, 4]))[0]!;
    expect(m.crps).toBeCloseTo(0.9375, 12);
    expect(m.rmse).toBeCloseTo(Math.sqrt(5.25 / 4), 12);
    expect(m.spread).toBeCloseTo(Math.sqrt((3 / 1) * (4.25 / 4)), 12);
    expect(m.spread_skill).toBeCloseTo((Math.sqrt(3.1875) + 1e-3) / (Math.sqrt(1.3125) + 1e-3), 12);
    expect(m.mass_error).toBeCloseTo(1 - 5.5 / 6, 12);
    expect(m.nrmse).toBeCloseTo(Math.sqrt(1.3125 / (14 / 4 + 1e-6)), 12);
    expect(m.vrmse).toBeCloseTo(Math.sqrt(1.3125 / (5 / 3 + 1e-6)), 12);
  });

  test('CRPS by sorting equals the O(K²) definition (odd K, ties, several channels)', () => {
    const r = rng(5), K = 7, C = 3, n = 6 * 10;
    const truth = Float32Array.from({ length: C * n }, r.normal);
    const members = Float32Array.from({ length: K * C * n }, () => Math.round(2 * r.normal()) / 2);
    const got = ensembleMetrics({ data: truth, shape: [C, 6, 10] }, { data: members, shape: [K, C, 6, 10] });
    for (let c = 0; c < C; c++) {
      let crps = 0;
      for (let q = 0; q < n; q++) {
        const u = truth[c * n + q]!, v = Array.from({ length: K }, (_, k) => members[(k * C + c) * n + q]!);
        let a = 0, pairs = 0;
        for (const x of v) { a += Math.abs(x - u); for (const y of v) pairs += Math.abs(x - y); }
        crps += a / K - pairs / (2 * K * K);
      }
      expect(got[c]!.crps).toBeCloseTo(crps / n, 10);
    }
  });

  test('a calibrated Gaussian ensemble (K = 16) has spread/skill ≈ 1 and CRPS ≈ (K+1)/(K√π)', () => {
    const r = rng(2024), K = 16, n = 128 * 128;
    const truth = Float32Array.from({ length: n }, r.normal);
    const members = Float32Array.from({ length: K * n }, r.normal);
    const m = ensembleMetrics({ data: truth, shape: [1, 128, 128] }, { data: members, shape: [K, 1, 128, 128] })[0]!;
    // E rmse² = 1 + 1/K; E spread² = (K+1)/(K−1)·(K−1)/K = 1 + 1/K.
    expect(m.rmse).toBeCloseTo(Math.sqrt(17 / 16), 1);
    expect(Math.abs(m.spread_skill - 1)).toBeLessThan(0.03);
    // E|X − Y| = 2/√π for independent N(0,1): CRPS = 2/√π − (K−1)/(2K)·2/√π.
    expect(Math.abs(m.crps / (17 / 16 / Math.sqrt(Math.PI)) - 1)).toBeLessThan(0.02);
    // An under-dispersed ensemble (members shrunk ×0.5 about 0) has spread/skill well below 1.
    const shrunk = ensembleMetrics({ data: truth, shape: [1, 128, 128] }, { data: members.map((x) => x / 2), shape: [K, 1, 128, 128] })[0]!;
    expect(shrunk.spread_skill).toBeLessThan(0.6);
  });

  test('mass error of a 10 % scaled prediction is −0.1', () => {
    const r = rng(9), n = 16 * 16;
    const u = Float32Array.from({ length: n }, () => 1 + r.uniform());
    const d = Float32Array.from({ length: n }, r.normal);
    const members = new Float32Array(2 * n);
    for (let q = 0; q < n; q++) { members[q] = 1.1 * u[q]! + d[q]!; members[n + q] = 1.1 * u[q]! - d[q]!; }
    const m = ensembleMetrics({ data: u, shape: [1, 16, 16] }, { data: members, shape: [2, 1, 16, 16] })[0]!;
    expect(m.mass_error).toBeCloseTo(-0.1, 6);
  });

  test('power-spectrum errors: 0 for a perfect ensemble, 3 for a doubled one (whose xcorr stays 0)', () => {
    const r = rng(13), K = 3, H = 32, W = 32;
    const u = Float32Array.from({ length: 2 * H * W }, r.normal);
    const same = new Float32Array(K * u.length);
    for (let k = 0; k < K; k++) same.set(u, k * u.length);
    for (const m of ensembleMetrics({ data: u, shape: [2, H, W] }, { data: same, shape: [K, 2, H, W] })) {
      // 0 up to rounding: the FFTs pair fields differently for the truth and the members.
      for (const x of [m.psd_low, m.psd_mid, m.psd_high, m.psd_sub]) expect(x).toBeLessThan(1e-12);
      // (p + 1e-6)/sqrt(p² + 1e-12) = 1 + O(1e-6/p): the ε's keep xcorr from being exactly 0.
      for (const x of [m.xcorr_low, m.xcorr_mid, m.xcorr_high]) expect(x).toBeLessThan(1e-5);
      expect(m.rmse).toBe(0);
      expect(m.spread).toBe(0);
      expect(m.mass_error).toBeCloseTo(0, 5);
    }
    // p_v = 4 p_u → |1 − 4| = 3 (up to the 1e-6); c_uv = 2 p_u = sqrt(p_u p_v) → 0.
    const doubled = ensembleMetrics({ data: u, shape: [2, H, W] }, { data: same.map((x) => 2 * x), shape: [K, 2, H, W] });
    for (const m of doubled) {
      for (const x of [m.psd_low, m.psd_mid, m.psd_high, m.psd_sub]) expect(x).toBeCloseTo(3, 4);
      for (const x of [m.xcorr_low, m.xcorr_mid, m.xcorr_high]) expect(x).toBeLessThan(1e-5);
    }
  });

  test('1-D and 3-D fields work; an empty band gives NaN', () => {
    // 1-D n = 4: B = 2, k = [1/4, 1/2]; band edges [.25, .315, .397, .5] → low [0], mid none, high/sub [1].
    const m1 = ensembleMetrics(t([1, 2, 0, 5], [1, 4]), t([1, 2, 0, 4, 1, 3, 0, 5], [2, 1, 4]))[0]!;
    expect(bandBins([0.25, 0.5])).toEqual({ low: [0], mid: [], high: [1], sub: [1] });
    expect(m1.psd_mid).toBeNaN();
    expect(m1.xcorr_mid).toBeNaN();
    expect(Number.isFinite(m1.psd_low) && Number.isFinite(m1.psd_high) && Number.isFinite(m1.psd_sub)).toBe(true);
    // 3-D 8×8×8: perfect members → 0; the corner band exists (k_max = √0.75).
    const r = rng(17), n = 512;
    const u = Float32Array.from({ length: n }, r.normal);
    const m3 = ensembleMetrics({ data: u, shape: [1, 8, 8, 8] }, { data: Float32Array.from([...u, ...u]), shape: [2, 1, 8, 8, 8] })[0]!;
    expect([m3.rmse, m3.spread, m3.crps]).toEqual([0, 0, 0]);
    for (const x of [m3.psd_low, m3.psd_mid, m3.psd_high, m3.psd_sub]) expect(x).toBeLessThan(1e-12);
    expect(bandBins(isotropicBinning([8, 8, 8]).k).sub.length).toBeGreaterThan(0);
  });

  test('ensembleSpectra = per-member spectra averaged (odd and even K, 12×20)', () => {
    for (const K of [3, 4]) {
      const r = rng(K), C = 2, shape = [12, 20], n = 240;
      const truth = Float32Array.from({ length: C * n }, r.normal);
      const members = Float32Array.from({ length: K * C * n }, r.normal);
      const s = ensembleSpectra({ data: truth, shape: [C, ...shape] }, { data: members, shape: [K, C, ...shape] });
      expect(s).toHaveLength(C);
      for (let c = 0; c < C; c++) {
        const u = truth.subarray(c * n, (c + 1) * n);
        const pu = isotropicSpectrum(u, shape);
        expect(s[c]!.k).toEqual(Array.from(pu.k));
        expect(maxDiff(s[c]!.truth, pu.power)).toBeLessThan(1e-9);
        const pv = new Float64Array(pu.k.length), cuv = new Float64Array(pu.k.length);
        for (let k = 0; k < K; k++) {
          const v = members.subarray((k * C + c) * n, (k * C + c + 1) * n);
          isotropicSpectrum(v, shape).power.forEach((p, i) => (pv[i] += p / K));
          crossSpectrum(u, v, shape).power.forEach((p, i) => (cuv[i] += p / K));
        }
        expect(maxDiff(s[c]!.emulated, pv)).toBeLessThan(1e-9);
        expect(maxDiff(s[c]!.cross, cuv)).toBeLessThan(1e-9);
      }
    }
  });

  test('bad shapes throw naming expected and got', () => {
    const z = (shape: number[]) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape });
    expect(() => ensembleMetrics(z([5, 8, 8]), z([16, 4, 8, 8]))).toThrow(/\["K",5,8,8\].*\[5,8,8\].*got \[16,4,8,8\]/);
    expect(() => ensembleMetrics(z([5, 8, 8]), z([5, 8, 8]))).toThrow(/got \[5,8,8\]/);
    expect(() => ensembleSpectra(z([5]), z([1, 5]))).toThrow(/\(C, \*space\), got shape \[5\]/);
    expect(() => ensembleMetrics({ data: new Float32Array(10), shape: [1, 4, 4] }, z([2, 1, 4, 4]))).toThrow(/truth shape \[1,4,4\] needs 16 values, got 10/);
    expect(() => ensembleMetrics(z([1, 4, 4]), { data: new Float32Array(16), shape: [2, 1, 4, 4] })).toThrow(/members shape \[2,1,4,4\] needs 32 values, got 16/);
    expect(() => ensembleMetrics(z([1, 1]), z([2, 1, 1]))).toThrow(/at least 2 spatial points/);
  });
});
