// float32 inference linears through oneDNN (native/nn/fp32_linear.h; the default on AMD CPUs, where MKL's sgemm
// runs its AVX2 kernels) against MKL's, whichever this machine picks by default: the kernel is chosen once per
// process (LATENT_EMULATOR_FP32_LINEAR), so each side runs in a child process on the built package (dist/). A seeded
// rollout, two train steps (losses, gradient norms) and the rollout after them agree to float32 rounding, the
// profiler shows which kernel the steps ran; a bad setting is refused with its name.
import { spawnSync } from 'node:child_process';

const root = process.cwd(); // jest runs from the package root

const script = `
import { Denoiser } from './dist/models/denoiser.js';
import { profileOps } from './dist/profile.js';
import { manualSeed, setNumThreads } from './dist/runtime.js';
import { tensor } from './dist/tensor.js';
setNumThreads(1);
const values = (n, seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(0.7 * i + seed) + 0.3 * Math.cos(0.13 * i));
// Width 64: the FFN's second linear sums over 256 features, where the two kernels' roundings differ (at ≤ 128
// they agreed bit for bit on this machine, which would hide whether the setting took effect).
const config = { channels: 4, label_features: 5, spatial: 2, hid_channels: 64, hid_blocks: 2, attention_heads: 2, ffn_factor: 4, emb_features: 32, dropout: 0 };
manualSeed(5);
const model = Denoiser.create(config).eval();
const S = 4 * 4 * 4;
const context = tensor(values(2 * S, 1), [1, 2, 4, 4, 4]);
const label = tensor(values(5, 2), [5]);
const r = await model.rollout(context, label, { length: 9, members: 2, steps: 4, sampler: 'ab', seed: 7 });
// Two train steps (forward and backward through the same kernels; dropout off), then the rollout again.
model.train(true);
model.configureOptimizer({ lr: 1e-2 });
const windows = { state: tensor(values(3 * 5 * S, 3), [3, 5, 4, 4, 4]), label: tensor(values(15, 4), [3, 5]) };
const steps = [];
let oneDnnCalls = 0;
for (let i = 0; i < 2; i++) {
  let s;
  const profile = await profileOps(async () => { s = await model.trainStep(windows, 1e-2); }, { top: 1000 });
  oneDnnCalls += profile.ops.filter((o) => o.name === 'mkldnn::_linear_pointwise').reduce((a, o) => a + o.calls, 0);
  steps.push({ loss: s.loss, gradNorm: s.gradNorm });
}
const after = await model.eval().rollout(context, label, { length: 5, members: 2, steps: 4, sampler: 'ab', seed: 7 });
console.log(JSON.stringify({ states: Array.from(r.states.dataSync()), steps, oneDnnCalls, after: Array.from(after.states.dataSync()) }));
`;

interface Out {
  status: number | null;
  stderr: string;
  states?: number[];
  steps?: Array<{ loss: number; gradNorm: number }>;
  oneDnnCalls?: number;
  after?: number[];
}

/** max |a − b| / max |b| */
function relativeGap(a: number[], b: number[]): number {
  let gap = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    gap = Math.max(gap, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return gap / scale;
}

function run(kernel: string): Out {
  const env = { ...process.env, LATENT_EMULATOR_FP32_LINEAR: kernel };
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return { status: r.status, stderr: r.stderr };
  return { status: 0, stderr: r.stderr, ...JSON.parse(r.stdout.trim().split('\n').pop()!) };
}

test('a seeded float32 rollout through oneDNN linears equals the MKL one to float32 rounding', () => {
  const mkl = run('mkl'), onednn = run('onednn');
  expect(mkl.status).toBe(0);
  expect(onednn.status).toBe(0);
  const a = onednn.states!, b = mkl.states!;
  expect(a.length).toBe(b.length);
  expect(a.length).toBe(2 * 9 * 4 * 4 * 4); // 2 members × 9 states × C·H·W
  expect(Math.max(...b.map(Math.abs))).toBeGreaterThan(0.1);
  const gap = relativeGap(a, b);
  expect(gap).toBeLessThan(1e-4); // 2 windows × 4 AB3 steps of float32 rounding
  expect(gap).toBeGreaterThan(0); // two kernels (rounding differs): the setting took effect
});

test('float32 training through oneDNN linears (forward and backward) matches MKL: losses, gradient norms, the weights after', () => {
  const mkl = run('mkl'), onednn = run('onednn');
  for (let i = 0; i < 2; i++) {
    const a = onednn.steps![i]!, b = mkl.steps![i]!;
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 * b.loss);
    expect(Math.abs(a.gradNorm - b.gradNorm)).toBeLessThan(1e-4 * b.gradNorm);
    expect(b.gradNorm).toBeGreaterThan(0);
  }
  // The training steps did go through the other kernel (at this width the two round alike: equal numbers alone
  // would not show it).
  expect(mkl.oneDnnCalls).toBe(0);
  expect(onednn.oneDnnCalls).toBeGreaterThan(0);
  // The second step's loss moved: the first step's gradients reached the weights on both sides alike.
  expect(mkl.steps![1]!.loss).not.toBe(mkl.steps![0]!.loss);
  expect(relativeGap(onednn.after!, mkl.after!)).toBeLessThan(1e-3);
});

test('a bad LATENT_EMULATOR_FP32_LINEAR is refused with its name and the choices', () => {
  const r = run('blas');
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/LATENT_EMULATOR_FP32_LINEAR must be onednn or mkl, got "blas"/);
});
