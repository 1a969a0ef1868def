// The models' dropout (native/nn/dropout.h): y = x · m / (1 − p) with m_i = [u_i ≥ p] from SplitMix64 at counter
// i / 4, the backward recomputing m from the seed. Checked through the counterDropout test hook: values, keep
// rate and independence against their binomial laws, the backward's mask equal to the forward's (also when x is
// channels-last and the incoming gradient plain), determinism given the seed, thread-count independence.
import { native } from '../../lib/native/loader.js';
import { getNumThreads, setNumThreads } from '../../lib/runtime.js';
import { tensor } from '../../lib/tensor.js';

const P = 0.05;
const SCALE = 1 / (1 - P);
const KEEP = 1 - Math.round(P * 65536) / 65536; // P(keep) of a 16-bit threshold

/** x_i = 1 + (i mod 97) / 97 (never 0, so a zero in y is a dropped element), as a [b, c, h, w] tensor. */
function input(shape: number[]) {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, (_, i) => 1 + (i % 97) / 97), shape);
}

async function dropout(shape: number[], seed: number, options: { grad?: Float32Array; channelsLast?: boolean } = {}) {
  const x = input(shape);
  const n = x.dataSync().length;
  const g = tensor(options.grad ?? new Float32Array(n).fill(1), shape);
  const r = await native().counterDropout(x, g, P, seed, options.channelsLast ?? false);
  return { x: x.dataSync() as Float32Array, y: r.y.dataSync() as Float32Array, dx: r.dx.dataSync() as Float32Array };
}

test('kept elements are x / (1 − p), the keep rate and pair statistics follow the binomial law', async () => {
  const { x, y } = await dropout([4, 8, 128, 128], 1234); // 524 288 elements
  const n = x.length;
  let kept = 0;
  let bothDropped = 0;
  let wrong = 0; // kept elements not equal to x / (1 − p) (one count instead of 5·10⁵ expects)
  for (let i = 0; i < n; i++) {
    if (y[i] === 0) continue;
    kept++;
    if (Math.abs(y[i] - x[i] * SCALE) > 1e-6 * y[i]) wrong++;
  }
  expect(wrong).toBe(0);
  for (let i = 0; i + 1 < n; i += 2) if (y[i] === 0 && y[i + 1] === 0) bothDropped++;
  // Keep rate: mean KEEP, sd √(KEEP (1 − KEEP) / n) ≈ 3.0e-4; 5 sd.
  expect(Math.abs(kept / n - KEEP)).toBeLessThan(5 * Math.sqrt((KEEP * (1 - KEEP)) / n));
  // Neighbours (lanes of one 64-bit word) are independent: P(both dropped) = p², sd √(p²(1 − p²)/(n/2)).
  const pairs = n / 2;
  const q = (1 - KEEP) ** 2;
  expect(Math.abs(bothDropped / pairs - q)).toBeLessThan(5 * Math.sqrt((q * (1 - q)) / pairs));
});

test('the backward applies the forward mask: dx = grad · m / (1 − p)', async () => {
  const shape = [2, 3, 16, 16];
  const n = 2 * 3 * 16 * 16;
  const grad = Float32Array.from({ length: n }, (_, i) => Math.cos(i) + 2);
  const { x, y, dx } = await dropout(shape, 99, { grad });
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    const m = y[i] === 0 ? 0 : 1;
    dropped += 1 - m;
    expect(dx[i]).toBeCloseTo(grad[i] * m * SCALE, 5);
    if (m) expect(y[i]).toBeCloseTo(x[i] * SCALE, 5);
  }
  expect(dropped).toBeGreaterThan(0); // the check above saw both cases
  expect(dropped).toBeLessThan(n);
});

test('channels-last x with a plain incoming gradient: the backward still uses the forward mask', async () => {
  const shape = [2, 5, 8, 8];
  const n = 2 * 5 * 8 * 8;
  const grad = Float32Array.from({ length: n }, (_, i) => 1 + (i % 7));
  const plain = await dropout(shape, 5, { grad });
  const last = await dropout(shape, 5, { grad, channelsLast: true });
  for (let i = 0; i < n; i++) expect(last.dx[i]).toBeCloseTo(grad[i] * (last.y[i] === 0 ? 0 : SCALE), 5);
  // The mask runs over memory order, so the layouts drop different elements (same rate).
  expect(Array.from(last.y)).not.toEqual(Array.from(plain.y));
});

test('the same seed gives the same mask, another seed another one, whatever the thread count', async () => {
  const shape = [2, 4, 64, 64];
  const threads = getNumThreads();
  try {
    setNumThreads(1);
    const a = await dropout(shape, 7);
    setNumThreads(2);
    const b = await dropout(shape, 7);
    const c = await dropout(shape, 8);
    expect(Array.from(b.y)).toEqual(Array.from(a.y));
    expect(Array.from(c.y)).not.toEqual(Array.from(a.y));
  } finally {
    setNumThreads(threads);
  }
});

/** SplitMix64's output for counter w of a seed (BigInt; an implementation independent of the C++ and its AVX-512 path). */
function splitMix64(seed: bigint, w: bigint): bigint {
  const M = (1n << 64n) - 1n;
  let z = (seed + (w + 1n) * 0x9e3779b97f4a7c15n) & M;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
  return z ^ (z >> 31n);
}

test('the mask is SplitMix64 lane by lane: element i dropped iff lane i mod 4 of counter i / 4 is below round(65536 p)', async () => {
  // 1 061 elements: 33 groups of eight words (the vector kernel's unit), one word more and a partial word.
  const shape = [1, 1, 1, 1061];
  const n = 1061, p = 0.5, seed = 2 ** 40 + 12345;
  const x = input(shape);
  const r = await native().counterDropout(x, tensor(new Float32Array(n).fill(1), shape), p, seed);
  const y = r.y.dataSync() as Float32Array;
  const threshold = BigInt(Math.round(p * 65536));
  let wrong = 0, dropped = 0;
  for (let i = 0; i < n; i++) {
    const lane = (splitMix64(BigInt(seed), BigInt(i >> 2)) >> BigInt(16 * (i & 3))) & 0xffffn;
    const keep = lane >= threshold;
    dropped += keep ? 0 : 1;
    if (keep !== (y[i] !== 0)) wrong++;
  }
  expect(wrong).toBe(0);
  expect(dropped).toBeGreaterThan(400); // p = 0.5: both outcomes are exercised
  expect(dropped).toBeLessThan(660);
});

test('bfloat16: the same mask as float32 for the same seed, kept values x / (1 − p) to bf16 rounding', async () => {
  const shape = [2, 4, 32, 32];
  const n = 2 * 4 * 32 * 32;
  const f32 = await dropout(shape, 31);
  // bf16 bits of 1 + k/8 (k = i mod 8): exact in bf16.
  const bits = Uint16Array.from({ length: n }, (_, i) => 0x3f80 + ((i % 8) << 4));
  const x = tensor(bits, shape, 'bfloat16');
  const r = await native().counterDropout(x, tensor(new Uint16Array(n).fill(0x3f80), shape, 'bfloat16'), P, 31);
  const y = new Float32Array(new Uint32Array(Array.from(r.y.dataSync() as Uint16Array, (b) => b << 16)).buffer);
  let mismatched = 0;
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    if ((y[i] === 0) !== (f32.y[i] === 0)) mismatched++;
    const xi = 1 + (i % 8) / 8;
    if (y[i] !== 0 && Math.abs(y[i] - xi * SCALE) > 2 ** -8 * xi * SCALE) wrong++;
  }
  expect(mismatched).toBe(0);
  expect(wrong).toBe(0);
});

test('bad input is refused with the reason', () => {
  const x = input([2, 3]);
  expect(() => native().counterDropout(x, input([3, 2]), P, 1)).toThrow(/same shape, got \[2, 3\] and \[3, 2\]/);
  expect(() => native().counterDropout(x, input([2, 3]), 1, 1)).toThrow(/p must be in \[0, 1\), got 1/);
  expect(() => native().counterDropout(x, input([2, 3]), P, 1, true)).toThrow(/channelsLast needs a 4-D x/);
});
