// Fourier helpers of the evaluation (spec §6, as lola/fourier.py and experiments/eval.py compute them):
// an N-D FFT with norm="ortho", the isotropic binning of the frequency grid, binned power and cross
// spectra, and the low / mid / high / sub frequency bands.
//
// Conventions (all fixed here, and relied on by lib/eval/metrics.ts):
// - Frequencies are k_i = fftfreq(n_i) in cycles per pixel and k = |k| over the grid; k_max is the
//   largest k on the grid (0.5·√D for even sizes).
// - B = floor(√D · min(shape) / 2) bins, edges = linspace(0, k_max, B + 1). A frequency k goes to the
//   bin i with edges[i−1] < k ≤ edges[i] (torch.bucketize, right=False); computed as
//   i = ceil(k·B/k_max − 1e-9) so that a k lying on an edge (as every k does in 1-D) goes to the
//   lower bin as in exact arithmetic, instead of wherever rounding would put it. Bin 0 holds only DC.
// - Each bin's value is the mean over the grid points in it (an empty bin gives 0); bin 0 (DC) is
//   dropped, so the B kept bins are 1..B and each is labelled by its UPPER edge, k = edges[1..B]
//   (what lola returns), not by its centre nor by the mean k of its points.
// - Bands (experiments/eval.py): e = [k_1, 2^(log2 k_1 + (log2 0.5 − log2 k_1)/3),
//   2^(log2 k_1 + 2(log2 0.5 − log2 k_1)/3), 0.5], k_1 = edges[1] the first kept bin's k, with the
//   end points set exactly. low = e0 ≤ k ≤ e1, mid = e1 ≤ k ≤ e2, high = e2 ≤ k ≤ e3,
//   sub = k ≥ 0.5 (the diagonal corners). The comparisons are inclusive on both sides as in the
//   reference, so a bin exactly on an edge belongs to both bands next to it.

/** A real field's values (C order) and its spatial shape. */
export type Field = ArrayLike<number>;

function checkShape(shape: readonly number[], what: string): number {
  if (shape.length < 1) throw new Error(`${what}: need at least one spatial axis, got shape ${JSON.stringify(shape)}`);
  let n = 1;
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 1) throw new Error(`${what}: spatial sizes must be positive integers, got shape ${JSON.stringify(shape)}`);
    n *= s;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// 1-D transforms: iterative radix-2 for powers of two, a direct DFT otherwise.

interface Plan1d {
  n: number;
  cos: Float64Array; // cos(2πj/n), j < n
  sin: Float64Array; // sin(2πj/n), j < n
  rev: Uint32Array | null; // bit reversal, radix-2 only
}

const plans1d = new Map<number, Plan1d>();

function plan1d(n: number): Plan1d {
  let p = plans1d.get(n);
  if (p) return p;
  const cos = new Float64Array(n), sin = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    cos[j] = Math.cos((2 * Math.PI * j) / n);
    sin[j] = Math.sin((2 * Math.PI * j) / n);
  }
  let rev: Uint32Array | null = null;
  if ((n & (n - 1)) === 0) {
    rev = new Uint32Array(n);
    const bits = Math.round(Math.log2(n));
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      rev[i] = r;
    }
  }
  p = { n, cos, sin, rev };
  plans1d.set(n, p);
  return p;
}

/** Unnormalised in-place DFT of one line: X[m] = Σ_j x[j] e^(∓2πi jm/n) (sign −1 forward). */
function dft1d(p: Plan1d, re: Float64Array, im: Float64Array, sign: number, tmpRe: Float64Array, tmpIm: Float64Array): void {
  const { n, cos, sin, rev } = p;
  if (n === 1) return;
  if (rev) {
    for (let i = 0; i < n; i++) {
      const j = rev[i]!;
      if (j > i) {
        const tr = re[i]!, ti = im[i]!;
        re[i] = re[j]!; im[i] = im[j]!;
        re[j] = tr; im[j] = ti;
      }
    }
    for (let size = 2; size <= n; size <<= 1) {
      const half = size >> 1, step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let j = 0, t = 0; j < half; j++, t += step) {
          const wr = cos[t]!, wi = sign * sin[t]!;
          const a = start + j, b = a + half;
          const xr = re[b]!, xi = im[b]!;
          const tr = wr * xr - wi * xi, ti = wr * xi + wi * xr;
          re[b] = re[a]! - tr; im[b] = im[a]! - ti;
          re[a] = re[a]! + tr; im[a] = im[a]! + ti;
        }
      }
    }
    return;
  }
  for (let m = 0; m < n; m++) {
    let sr = 0, si = 0;
    for (let j = 0, t = 0; j < n; j++) {
      const wr = cos[t]!, wi = sign * sin[t]!, xr = re[j]!, xi = im[j]!;
      sr += wr * xr - wi * xi;
      si += wr * xi + wi * xr;
      t += m;
      if (t >= n) t -= n;
    }
    tmpRe[m] = sr; tmpIm[m] = si;
  }
  re.set(tmpRe.subarray(0, n)); im.set(tmpIm.subarray(0, n));
}

/**
 * In-place N-D DFT over all axes of a C-ordered complex array (`re`, `im`, each of numel(shape)),
 * norm="ortho": forward X = Σ x e^(−2πi k·x) / √N, and `inverse` its exact inverse.
 */
export function fftn(re: Float64Array, im: Float64Array, shape: readonly number[], inverse = false): void {
  const total = checkShape(shape, 'fftn');
  if (re.length !== total || im.length !== total) throw new Error(`fftn: shape ${JSON.stringify(shape)} needs ${total} values, got re ${re.length} and im ${im.length}`);
  const longest = Math.max(...shape);
  const lineRe = new Float64Array(longest), lineIm = new Float64Array(longest);
  const tmpRe = new Float64Array(longest), tmpIm = new Float64Array(longest);
  const sign = inverse ? 1 : -1;
  let stride = total;
  for (const n of shape) {
    stride /= n;
    if (n === 1) continue;
    const p = plan1d(n);
    const lr = lineRe.subarray(0, n), li = lineIm.subarray(0, n);
    const outer = total / (n * stride);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < stride; i++) {
        const base = o * n * stride + i;
        for (let j = 0, q = base; j < n; j++, q += stride) { lr[j] = re[q]!; li[j] = im[q]!; }
        dft1d(p, lr, li, sign, tmpRe, tmpIm);
        for (let j = 0, q = base; j < n; j++, q += stride) { re[q] = lr[j]!; im[q] = li[j]!; }
      }
    }
  }
  const scale = 1 / Math.sqrt(total);
  for (let q = 0; q < total; q++) { re[q] = re[q]! * scale; im[q] = im[q]! * scale; }
}

// ---------------------------------------------------------------------------------------------
// Isotropic binning.

export interface IsotropicBinning {
  shape: readonly number[];
  /** B, the number of kept bins. */
  bins: number;
  /** linspace(0, k_max, B + 1). */
  edges: Float64Array;
  /** Bin (0..B) of each grid point, C order; 0 is DC only. */
  index: Int32Array;
  /** Grid points per bin, B + 1 entries. */
  counts: Float64Array;
  /** The kept bins' frequencies: their upper edges, edges[1..B] (cycles per pixel). */
  k: Float64Array;
}

const binnings = new Map<string, IsotropicBinning>();

/** The isotropic binning of a grid (cached per shape); see the conventions at the top of the file. */
export function isotropicBinning(shape: readonly number[]): IsotropicBinning {
  const total = checkShape(shape, 'isotropicBinning');
  const key = shape.join('x');
  const cached = binnings.get(key);
  if (cached) return cached;
  const D = shape.length;
  // fftfreq(n)[j] = j/n for j < ceil(n/2), else (j − n)/n; squared per axis.
  const freq2 = shape.map((n) => Float64Array.from({ length: n }, (_, j) => ((j < Math.ceil(n / 2) ? j : j - n) / n) ** 2));
  const k = new Float64Array(total);
  let kMax = 0;
  for (let q = 0; q < total; q++) {
    let rest = q, s = 0;
    for (let a = D - 1; a >= 0; a--) {
      const n = shape[a]!;
      s += freq2[a]![rest % n]!;
      rest = Math.floor(rest / n);
    }
    k[q] = Math.sqrt(s);
    if (k[q]! > kMax) kMax = k[q]!;
  }
  const bins = Math.floor((Math.sqrt(D) * Math.min(...shape)) / 2);
  if (bins < 1 || kMax === 0) throw new Error(`isotropicBinning: shape ${JSON.stringify(shape)} is too small for a spectrum (need min size ≥ 2)`);
  const edges = Float64Array.from({ length: bins + 1 }, (_, i) => (i === bins ? kMax : (kMax * i) / bins));
  const index = new Int32Array(total);
  const counts = new Float64Array(bins + 1);
  for (let q = 0; q < total; q++) {
    const i = Math.min(bins, Math.max(0, Math.ceil((k[q]! * bins) / kMax - 1e-9)));
    index[q] = i;
    counts[i]!++;
  }
  const out: IsotropicBinning = { shape: [...shape], bins, edges, index, counts, k: edges.slice(1) };
  binnings.set(key, out);
  return out;
}

/** Mean of per-point `values` over each kept bin (1..B) into `out` (length B); empty bins give 0. */
export function binMean(binning: IsotropicBinning, values: ArrayLike<number>, out = new Float64Array(binning.bins)): Float64Array {
  const { bins, index, counts } = binning;
  const sums = new Float64Array(bins + 1);
  for (let q = 0; q < index.length; q++) sums[index[q]!]! += values[q]!;
  for (let i = 1; i <= bins; i++) out[i - 1] = sums[i]! / Math.max(1, counts[i]!);
  return out;
}

/**
 * A reusable transform for one grid: `transform(field, offset)` leaves the ortho FFT of
 * field[offset .. offset + N) in `re` / `im` (overwritten by the next call).
 */
export class SpectralPlan {
  readonly binning: IsotropicBinning;
  readonly size: number;
  readonly re: Float64Array;
  readonly im: Float64Array;

  constructor(readonly shape: readonly number[]) {
    this.binning = isotropicBinning(shape);
    this.size = this.binning.index.length;
    this.re = new Float64Array(this.size);
    this.im = new Float64Array(this.size);
  }

  transform(field: Field, offset = 0): void {
    const { re, im, size } = this;
    for (let q = 0; q < size; q++) re[q] = field[offset + q]!;
    im.fill(0);
    fftn(re, im, this.shape);
  }

  /**
   * Per-point power |F|² of two real fields with one complex FFT: with Z = F(a + ib) and q' the
   * grid point of −k, F(a) = (Z[q] + conj Z[q'])/2 and F(b) = (Z[q] − conj Z[q'])/(2i).
   * `b` null transforms `a` alone. Leaves Z in `re` / `im`.
   */
  powerPair(a: Field, aOffset: number, b: Field | null, bOffset: number, powA: Float64Array, powB: Float64Array | null): void {
    const { re, im, size } = this;
    for (let q = 0; q < size; q++) { re[q] = a[aOffset + q]!; im[q] = b ? b[bOffset + q]! : 0; }
    fftn(re, im, this.shape);
    const neg = this.negated();
    for (let q = 0; q < size; q++) {
      const zr = re[q]!, zi = im[q]!, wr = re[neg[q]!]!, wi = im[neg[q]!]!;
      powA[q] = ((zr + wr) ** 2 + (zi - wi) ** 2) / 4;
      if (powB) powB[q] = ((zi + wi) ** 2 + (zr - wr) ** 2) / 4;
    }
  }

  private neg: Int32Array | null = null;

  /** The C-order index of −k (each axis index j ↦ (n − j) mod n) for every grid point. */
  negated(): Int32Array {
    if (this.neg) return this.neg;
    const neg = new Int32Array(this.size);
    for (let q = 0; q < this.size; q++) {
      let rest = q, r = 0, stride = 1;
      for (let a = this.shape.length - 1; a >= 0; a--) {
        const n = this.shape[a]!, j = rest % n;
        r += ((n - j) % n) * stride;
        stride *= n;
        rest = Math.floor(rest / n);
      }
      neg[q] = r;
    }
    return (this.neg = neg);
  }
}

function checkField(field: Field, shape: readonly number[], what: string): void {
  const total = checkShape(shape, what);
  if (field.length !== total) throw new Error(`${what}: shape ${JSON.stringify(shape)} needs ${total} values, got ${field.length}`);
}

export interface Spectrum {
  /** The kept bins' frequencies (upper bin edges, cycles per pixel), length B. */
  k: Float64Array;
  /** The binned spectrum, length B (DC dropped). */
  power: Float64Array;
}

/** Isotropic power spectrum (lola `isotropic_power_spectrum`): binned |F(field)|², norm="ortho". */
export function isotropicSpectrum(field: Field, shape: readonly number[]): Spectrum {
  checkField(field, shape, 'isotropicSpectrum');
  const plan = new SpectralPlan(shape);
  plan.transform(field);
  const p = new Float64Array(plan.size);
  for (let q = 0; q < plan.size; q++) p[q] = plan.re[q]! ** 2 + plan.im[q]! ** 2;
  return { k: plan.binning.k.slice(), power: binMean(plan.binning, p) };
}

/** Binned cross spectrum |F(u)·conj(F(v))| = |F(u)|·|F(v)| (lola `isotropic_cross_correlation`). */
export function crossSpectrum(u: Field, v: Field, shape: readonly number[]): Spectrum {
  checkField(u, shape, 'crossSpectrum (u)');
  checkField(v, shape, 'crossSpectrum (v)');
  const plan = new SpectralPlan(shape);
  plan.transform(u);
  const c = new Float64Array(plan.size);
  for (let q = 0; q < plan.size; q++) c[q] = Math.hypot(plan.re[q]!, plan.im[q]!);
  plan.transform(v);
  for (let q = 0; q < plan.size; q++) c[q] = c[q]! * Math.hypot(plan.re[q]!, plan.im[q]!);
  return { k: plan.binning.k.slice(), power: binMean(plan.binning, c) };
}

// ---------------------------------------------------------------------------------------------
// Bands.

export const BANDS = ['low', 'mid', 'high', 'sub'] as const;
export type Band = (typeof BANDS)[number];

/** logspace(log2 k_1, log2 0.5, 4, base 2) with exact end points: the low/mid/high band edges. */
export function bandEdges(k1: number): [number, number, number, number] {
  if (!(k1 > 0)) throw new Error(`bandEdges: the first frequency must be positive, got ${k1}`);
  const a = Math.log2(k1), b = -1;
  return [k1, 2 ** (a + (b - a) / 3), 2 ** (a + (2 * (b - a)) / 3), 0.5];
}

/**
 * The kept-bin indices of each band, given the kept bins' frequencies `k` (as returned by
 * isotropicSpectrum, k[0] = k_1). Edges inclusive on both sides (reference), so a bin on an edge is
 * in both neighbouring bands (in 1-D with n even, the Nyquist bin k = 0.5 is both `high` and `sub`).
 * A band may be empty (e.g. `sub` in 1-D with n odd, or `mid` on tiny grids).
 */
export function bandBins(k: ArrayLike<number>): Record<Band, number[]> {
  if (k.length < 1) throw new Error('bandBins: need at least one frequency bin');
  const e = bandEdges(k[0]!);
  const out: Record<Band, number[]> = { low: [], mid: [], high: [], sub: [] };
  for (let i = 0; i < k.length; i++) {
    const x = k[i]!;
    if (e[0] <= x && x <= e[1]) out.low.push(i);
    if (e[1] <= x && x <= e[2]) out.mid.push(i);
    if (e[2] <= x && x <= e[3]) out.high.push(i);
    if (x >= e[3]) out.sub.push(i);
  }
  return out;
}
