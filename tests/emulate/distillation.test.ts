// Progressive distillation (native/sample/distillation.h): the student's target against a hand computation over
// the open denoiser and against the native DDIM sampler, the loss going down, the 'distilled' sampler, errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Denoiser } from '../../lib/models/denoiser.js';
import { manualSeed } from '../../lib/runtime.js';
import { tensor } from '../../lib/tensor.js';
import { batch, randomValues, tiny } from './helpers.js';

const B = 3, L = 5, C = 4, H = 4, W = 4;
const per = C * H * W;
let dir: string;
let teacherPath: string;
let teacher: Denoiser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'distill-'));
  manualSeed(15);
  teacher = Denoiser.create(tiny);
  teacherPath = join(dir, 'teacher.safetensors');
  await teacher.saveWeights(teacherPath);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f64 = (t: { dataSync(): ArrayLike<number | bigint> }) => Array.from(t.dataSync(), Number);

test('the target is the closed form over two teacher DDIM steps, computed by hand with the open denoiser', async () => {
  const N = 2;  // the student's steps: grid 1, ½, 0; the teacher's 1, ¾, ½, ¼, 0
  const student = Denoiser.create(tiny);
  await student.loadWeights(teacherPath);
  await student.setDistillation(teacherPath, { steps: N });
  const b = batch(B, L, C, H, W, 21);
  const d = await student.distillationTarget(b, { seed: 7 });
  const index = f64(d.index), sigma = f64(d.sigma), mid = f64(d.sigmaMid), next = f64(d.sigmaNext);
  const mask = f64(d.mask).map((v) => v !== 0);
  const rows = Array.from({ length: B }, (_, i) => mask.slice(i * L, (i + 1) * L));
  const s = teacher.schedule;
  for (let i = 0; i < B; i++) {
    expect(sigma[i]).toBeCloseTo(s.sigma(1 - index[i]! / N), 2);
    expect(mid[i]! / s.sigma(1 - (index[i]! + 0.5) / N)).toBeCloseTo(1, 5);
    expect(next[i]! / s.sigma(1 - (index[i]! + 1) / N)).toBeCloseTo(1, 5);
    expect(rows[i]!.some((m) => m)).toBe(true);  // the random context mask always knows a state
  }
  // Two DDIM steps (VE: x_s = x̂ + (σ_s/σ_t)(x_t − x̂)) over teacher.denoise with the clean-context rule.
  const ctx = { label: b.label, mask: rows, context: b.state };
  const xt = f64(d.x_t);
  const m1 = f64((await teacher.denoise(d.x_t, sigma, ctx)).mean);
  const xMid = xt.map((x, k) => {
    const i = Math.floor(k / (L * per));
    return m1[k]! + (mid[i]! / sigma[i]!) * (x - m1[k]!);
  });
  const m2 = f64((await teacher.denoise(tensor(Float32Array.from(xMid), [B, L, C, H, W]), mid, ctx)).mean);
  const xNext = xMid.map((x, k) => {
    const i = Math.floor(k / (L * per));
    return m2[k]! + (next[i]! / mid[i]!) * (x - m2[k]!);
  });
  const teacherNext = f64(d.teacherNext), target = f64(d.target), state = f64(b.state);
  let worst = 0;
  for (let k = 0; k < xt.length; k++) {
    const i = Math.floor(k / (L * per)), l = Math.floor(k / per) % L;
    const scale = 1 + Math.abs(xNext[k]!);
    worst = Math.max(worst, Math.abs(teacherNext[k]! - xNext[k]!) / scale);
    if (rows[i]![l]) {
      expect(target[k]).toBe(state[k]);  // known states: the clean value
      continue;
    }
    // x̂* = (x″ − r x_t)/(1 − r), r = σ″/σ: one student DDIM step from x_t with mean x̂* lands on x″.
    const r = next[i]! / sigma[i]!;
    const expected = (xNext[k]! - r * xt[k]!) / (1 - r);
    // float32 rounding of x_t (|x_t| up to ~σ_max) bounds what can agree
    expect(Math.abs(target[k]! - expected) / (1 + Math.abs(expected) + Math.abs(r * xt[k]!))).toBeLessThan(1e-3);
    expect((target[k]! + r * (xt[k]! - target[k]!)) / scale).toBeCloseTo(xNext[k]! / scale, 4);
  }
  expect(worst).toBeLessThan(1e-4);
});

test('for a one-step student the teacher part is the native 2-step DDIM sampler from the same x_1', async () => {
  const student = Denoiser.create(tiny);
  await student.setDistillation(teacherPath, { steps: 1 });
  const b = batch(B, L, C, H, W, 31);
  const d = await student.distillationTarget(b, { seed: 11 });
  expect(f64(d.index)).toEqual([0, 0, 0]);
  const rows = Array.from({ length: B }, (_, i) => f64(d.mask).slice(i * L, (i + 1) * L).map((v) => v !== 0));
  // The sampler starts at t = 1 from the given x_1 and ends at t = 0 (σ_min) after two DDIM steps.
  const sampled = f64(await teacher.sample(d.x_t, { sampler: 'ddim', steps: 2, label: b.label, mask: rows, context: b.state }));
  const next = f64(d.teacherNext);
  for (let k = 0; k < next.length; k++) {
    const i = Math.floor(k / (L * per)), l = Math.floor(k / per) % L;
    if (!rows[i]![l]) expect(next[k]! - sampled[k]!).toBeCloseTo(0, 3);
  }
});

test('a distillation step with the target drawn fresh each time lowers the distillation loss', async () => {
  const student = Denoiser.create(tiny);
  await student.loadWeights(teacherPath);
  await student.setDistillation(teacherPath, { steps: 2 });
  student.configureOptimizer({ lr: 3e-3, clip: 1 });
  const b = batch(2, L, C, H, W, 41);
  const before = await student.loss(b, { seed: 3 });
  for (let i = 0; i < 12; i++) await student.trainStep(b, 3e-3);
  const after = await student.loss(b, { seed: 3 });
  expect(Number.isFinite(before)).toBe(true);
  expect(after).toBeLessThan(0.7 * before);
  // Off again: the loss is the denoiser's own.
  const distilled = await student.loss(b, { seed: 3 });
  await student.setDistillation(null);
  expect(await student.loss(b, { seed: 3 })).not.toBeCloseTo(distilled, 6);
});

test("the 'distilled' sampler: only a student's weights at its own steps; DDIM η = 0 on them; deterministic; weights round-trip", async () => {
  const context = tensor(randomValues(2 * per, 51), [2, 1, C, H, W]);
  const label = tensor(randomValues(2 * 5, 52), [2, 5]);
  const options = { length: 7, members: 2, seed: 5, sampler: 'distilled' as const, steps: 2 };
  await expect(teacher.rollout(context, label, options)).rejects.toThrow(/sampler 'distilled' needs a distilled student's weights/);
  const student = Denoiser.create(tiny);
  await student.loadWeights(teacherPath);
  const path = join(dir, 'student.safetensors');
  await student.saveWeights(path, { distill_steps: '2' });
  const loaded = await Denoiser.fromWeights(path);
  expect(loaded.distilledSteps).toBe(2);
  const a = f64((await loaded.rollout(context, label, options)).states);
  const again = f64((await loaded.rollout(context, label, options)).states);
  expect(again).toEqual(a);
  const ddim = f64((await teacher.rollout(context, label, { ...options, sampler: 'ddim', eta: 0 })).states);
  expect(ddim).toEqual(a);  // same weights, same sampler
  const r = await loaded.rollout(context, label, options);
  expect(r.evaluations).toBe(2 * 2);  // 2 windows × 2 steps
  await expect(loaded.rollout(context, label, { ...options, steps: 4 })).rejects.toThrow(/distilled for 2 steps, got steps = 4/);
  // Another seed, other members.
  expect(f64((await loaded.rollout(context, label, { ...options, seed: 6 })).states)).not.toEqual(a);
});

test('bad input: steps, a teacher of another shape, a missing file, a target without a teacher', async () => {
  const d = Denoiser.create(tiny);
  await expect(d.setDistillation(teacherPath, { steps: 0 })).rejects.toThrow(/steps \(the student's sampler steps\) must be a positive integer/);
  await expect(d.distillationTarget(batch(2))).rejects.toThrow(/no teacher \(call setDistillation first\)/);
  const wide = Denoiser.create({ ...tiny, hid_channels: 64 });
  const widePath = join(dir, 'wide.safetensors');
  await wide.saveWeights(widePath);
  await expect(d.setDistillation(widePath, { steps: 2 })).rejects.toThrow(/shape/);
  await expect(d.setDistillation(join(dir, 'missing.safetensors'), { steps: 2 })).rejects.toThrow(/missing\.safetensors/);
});
