// The DCAE's channel layer norm on channels-last tensors (native/nn/channel_norm.h): y = (x − m)/sqrt(v_u + eps)
// over the channel axis of each pixel, and its backward, checked through the channelNorm test hook against an
// independent float64 computation in JavaScript (the forward) and its central finite differences (the backward,
// also the graph-building one that create_graph runs), in float32 and bfloat16, 2-D and 3-D, with channel counts
// that leave a partial 16-lane vector; the second derivative against the plain layout's var_mean path.
import { readFileSync } from 'node:fs';
import { native } from '../../lib/native/loader.js';
import { tensor } from '../../lib/tensor.js';

const EPS = 1e-5;

/** Whether this CPU has the AVX-512 subsets the kernel needs (otherwise, or with LATENT_EMULATOR_CHANNEL_NORM=torch,
 *  libtorch's layer norm runs and the same checks hold for it). */
function cpuHasKernel(): boolean {
  try {
    const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1]?.split(/\s+/) ?? [];
    return ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.includes(f));
  } catch {
    return false;
  }
}

/** float32 → nearest bfloat16 (ties to even), as float. */
function toBf16(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer);
  u[0] = ((u[0]! + 0x7fff + ((u[0]! >>> 16) & 1)) >>> 16) << 16;
  return f[0]!;
}

/** Plain (B, C, *S) layout: the C values of pixel p (p over B × S) sit at stride S. */
function pixels(shape: number[]) {
  const [B, C] = [shape[0]!, shape[1]!];
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  return { B, C, S, index: (p: number, c: number) => (Math.floor(p / S) * C + c) * S + (p % S) };
}

/** y of one pixel's channel values in float64. */
function normRow(v: number[]): number[] {
  const C = v.length;
  const m = v.reduce((a, b) => a + b, 0) / C;
  const var_ = v.reduce((a, b) => a + (b - m) ** 2, 0) / (C - 1);
  return v.map((x) => (x - m) / Math.sqrt(var_ + EPS));
}

async function check(shape: number[], bfloat16: boolean) {
  const n = shape.reduce((a, b) => a * b, 1);
  const round = bfloat16 ? toBf16 : (v: number) => Math.fround(v);
  const xs = Float32Array.from({ length: n }, (_, i) => Math.sin(0.37 * i) * (1 + 0.1 * (i % 7)) + 0.3);
  const gs = Float32Array.from({ length: n }, (_, i) => Math.cos(0.11 * i));
  const r = await native().channelNorm(tensor(xs, shape), tensor(gs, shape), EPS, bfloat16);
  expect(r.kernel).toBe(cpuHasKernel() && process.env.LATENT_EMULATOR_CHANNEL_NORM !== 'torch');
  const y = r.y.dataSync() as Float32Array, dx = r.dx.dataSync() as Float32Array;
  const dxGraph = r.dxGraph?.dataSync() as Float32Array | undefined;
  const { B, C, S, index } = pixels(shape);
  let yErr = 0, dxErr = 0, dxMax = 0;
  for (let p = 0; p < B * S; p++) {
    const v = Array.from({ length: C }, (_, c) => round(xs[index(p, c)]!)); // what the kernel sees
    const g = Array.from({ length: C }, (_, c) => round(gs[index(p, c)]!));
    const ref = normRow(v);
    // d/dx_j of Σ_c y_c g_c by central differences of the float64 forward.
    const loss = (w: number[]) => normRow(w).reduce((a, yc, c) => a + yc * g[c]!, 0);
    for (let c = 0; c < C; c++) {
      yErr = Math.max(yErr, Math.abs(y[index(p, c)]! - ref[c]!));
      const h = 1e-4;
      const up = v.slice(), down = v.slice();
      up[c]! += h;
      down[c]! -= h;
      const fd = (loss(up) - loss(down)) / (2 * h);
      dxErr = Math.max(dxErr, Math.abs(dx[index(p, c)]! - fd));
      if (dxGraph) dxErr = Math.max(dxErr, Math.abs(dxGraph[index(p, c)]! - fd)); // the graph-building backward
      dxMax = Math.max(dxMax, Math.abs(fd));
    }
  }
  // |y| ≲ 3 here: float32 arithmetic within 1e-5; bf16 output rounding within 2^-8 relative (≤ 0.012).
  expect(yErr).toBeLessThan(bfloat16 ? 0.0125 : 1e-5);
  // Relative to the gradient's scale (≥ 1, as with two channels y = ±1 nearly whatever x, so dx ≈ 0).
  expect(dxErr / Math.max(dxMax, 1)).toBeLessThan(bfloat16 ? 1e-2 : 1e-5);
  expect(dxGraph === undefined).toBe(bfloat16);
  if (!bfloat16) {
    // Second derivative d/dx Σ(dx · g) through the graph-building backward against the plain layout's var_mean
    // path (ATen's own autograd of an independent formulation).
    const second = r.second!.dataSync() as Float32Array, reference = r.secondReference!.dataSync() as Float32Array;
    let gap = 0, scale = 0;
    for (let i = 0; i < n; i++) {
      gap = Math.max(gap, Math.abs(second[i]! - reference[i]!));
      scale = Math.max(scale, Math.abs(reference[i]!));
    }
    expect(scale).toBeGreaterThan(0.01);
    expect(gap / Math.max(scale, 1)).toBeLessThan(1e-4); // relative to ≥ 1, as dx (two channels: tiny, ill-conditioned)
  }
  return dxMax;
}

test('float32, 2-D: y and dx against float64 and its finite differences (35 channels: a partial vector)', async () => {
  expect(await check([2, 35, 3, 4], false)).toBeGreaterThan(0.1); // a gradient to check
  await check([3, 128, 2, 2], false); // the DCAE's deepest level: eight full vectors
});

test('float32, 3-D (channels-last 3d)', async () => {
  await check([1, 20, 2, 3, 2], false);
});

test('bfloat16: the same normalisation to bf16 rounding, forward and backward', async () => {
  await check([2, 35, 3, 4], true);
  await check([2, 64, 4, 4], true);
});

test('two channels (the smallest the norm takes): y = ±(x₁ − x₂)/sqrt((x₁ − x₂)²/2 + eps), dx ≈ 0', async () => {
  expect(await check([1, 2, 5, 5], false)).toBeLessThan(1e-2); // eps/(d²/2 + eps)^(3/2): small unless x₁ ≈ x₂
});

test('bad input is refused with the reason', () => {
  const x = tensor(new Float32Array(24), [2, 3, 4]);
  expect(() => native().channelNorm(x, x, EPS, false)).toThrow(/4-D or 5-D x, got \[2, 3, 4\]/);
  const y = tensor(new Float32Array(48), [2, 3, 2, 4]);
  expect(() => native().channelNorm(y, x, EPS, false)).toThrow(/same shape, got \[2, 3, 2, 4\] and \[2, 3, 4\]/);
});
