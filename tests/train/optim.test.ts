// The native optimizer state through checkpoints: AdamW steps against the update computed by hand from
// the exported moments, EMA arithmetic, gradient accumulation, and checkpoint round trips.
import { join } from 'node:path';

import { readSafetensors, type SafetensorsFile } from '../../lib/io/safetensors.js';
import { Autoencoder } from '../../lib/models/autoencoder.js';
import { getNumThreads, manualSeed, setNumThreads } from '../../lib/runtime.js';
import { tensor } from '../../lib/tensor.js';
import { tempDir } from './fixtures.js';

const TINY = { pix_channels: 3, lat_channels: 4, hid_channels: [8, 16], hid_blocks: [1, 1], dropout: 0 };

function batch(seed: number, shape = [4, 3, 8, 8]) {
  let s = seed >>> 0;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = Math.sin(i * 0.05 + seed) + 0.1 * (s / 2 ** 32);
  }
  return tensor(data, shape);
}

let dir: string;
let cleanup: () => void;
let threads = 0;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('le-optim-'));
  threads = getNumThreads();
  setNumThreads(1); // tiny models: one thread is fastest, and immune to a busy machine
});
afterAll(() => {
  setNumThreads(threads);
  cleanup();
});

/** Names of the trainable parameters (those with optimizer state). */
function paramNames(f: SafetensorsFile): string[] {
  return Object.keys(f.entries)
    .filter((k) => k.startsWith('optimizer.') && k.endsWith('.exp_avg'))
    .map((k) => k.slice('optimizer.'.length, -'.exp_avg'.length));
}

test('AdamW: two steps match the hand-computed update from the moments', async () => {
  manualSeed(1);
  const ae = Autoencoder.create(TINY);
  const lr = 1e-3;
  const [b1, b2, eps, wd] = [0.9, 0.99, 1e-8, 0.01];
  ae.configureOptimizer({ lr, beta1: b1, beta2: b2, eps, weight_decay: wd, clip: 0 });
  const paths = [0, 1, 2].map((k) => join(dir, `adamw-${k}.safetensors`));
  await ae.saveCheckpoint(paths[0]!);
  await ae.trainStep(batch(1), lr);
  await ae.saveCheckpoint(paths[1]!);
  await ae.trainStep(batch(2), lr);
  await ae.saveCheckpoint(paths[2]!);
  const [c0, c1, c2] = paths.map((p) => readSafetensors(p));
  const names = paramNames(c2!);
  expect(names.length).toBeGreaterThan(5);
  expect(Object.keys(c0!.entries).some((k) => k.startsWith('optimizer.'))).toBe(false);
  let checked = 0;
  let worst = 0;
  const err = (got: number, want: number, abs: number, rel: number) => (worst = Math.max(worst, Math.abs(got - want) / (abs + rel * Math.abs(want))));
  for (const name of names) {
    const p0 = c0!.values(name), p1 = c1!.values(name), p2 = c2!.values(name);
    const m1 = c1!.values(`optimizer.${name}.exp_avg`), v1 = c1!.values(`optimizer.${name}.exp_avg_sq`);
    const m2 = c2!.values(`optimizer.${name}.exp_avg`), v2 = c2!.values(`optimizer.${name}.exp_avg_sq`);
    for (let i = 0; i < p0.length; i++) {
      // step 1: m = (1 − β1) g, v = (1 − β2) g²
      const g1 = m1[i]! / (1 - b1);
      err(v1[i]!, (1 - b2) * g1 * g1, 1e-12, 1e-4);
      const e1 = p0[i]! * (1 - lr * wd) - (lr / (1 - b1)) * m1[i]! / (Math.sqrt(v1[i]! / (1 - b2)) + eps);
      err(p1[i]!, e1, 1e-6, 1e-5);
      // step 2: g2 from the moments, then the bias-corrected update
      const g2 = (m2[i]! - b1 * m1[i]!) / (1 - b1);
      err(v2[i]!, b2 * v1[i]! + (1 - b2) * g2 * g2, 1e-9, 1e-4);
      const e2 = p1[i]! * (1 - lr * wd) - (lr / (1 - b1 ** 2)) * m2[i]! / (Math.sqrt(v2[i]! / (1 - b2 ** 2)) + eps);
      err(p2[i]!, e2, 1e-6, 1e-5);
      checked++;
    }
  }
  expect(worst).toBeLessThan(1);
  expect(checked).toBe(ae.parameterCount());
});

test('AMSGrad: the second step divides by √max(v1, v2), kept in checkpoints as max_exp_avg_sq', async () => {
  manualSeed(1);
  const ae = Autoencoder.create(TINY);
  const lr = 1e-3;
  const [b1, b2, eps] = [0.9, 0.5, 1e-8]; // a fast β2, so that v shrinks where the second gradient is smaller
  ae.configureOptimizer({ lr, beta1: b1, beta2: b2, eps, clip: 0, amsgrad: true });
  const paths = [0, 1, 2].map((k) => join(dir, `amsgrad-${k}.safetensors`));
  await ae.saveCheckpoint(paths[0]!);
  await ae.trainStep(batch(1), lr);
  await ae.saveCheckpoint(paths[1]!);
  await ae.trainStep(batch(8), lr);
  await ae.saveCheckpoint(paths[2]!);
  const [, c1, c2] = paths.map((p) => readSafetensors(p));
  let worst = 0;
  let shrunk = 0;
  const err = (got: number, want: number, abs: number, rel: number) => (worst = Math.max(worst, Math.abs(got - want) / (abs + rel * Math.abs(want))));
  for (const name of paramNames(c2!)) {
    const p1 = c1!.values(name), p2 = c2!.values(name);
    const v1 = c1!.values(`optimizer.${name}.exp_avg_sq`), vmax1 = c1!.values(`optimizer.${name}.max_exp_avg_sq`);
    const m2 = c2!.values(`optimizer.${name}.exp_avg`), v2 = c2!.values(`optimizer.${name}.exp_avg_sq`), vmax2 = c2!.values(`optimizer.${name}.max_exp_avg_sq`);
    for (let i = 0; i < p1.length; i++) {
      err(vmax1[i]!, v1[i]!, 1e-12, 1e-6); // max(0, v1)
      const vmax = Math.max(v1[i]!, v2[i]!);
      err(vmax2[i]!, vmax, 1e-12, 1e-6);
      if (v2[i]! < v1[i]! * 0.99) shrunk++;
      err(p2[i]!, p1[i]! - (lr / (1 - b1 ** 2)) * m2[i]! / (Math.sqrt(vmax / (1 - b2 ** 2)) + eps), 1e-6, 1e-5);
    }
  }
  expect(worst).toBeLessThan(1);
  expect(shrunk).toBeGreaterThan(0); // the maximum mattered somewhere

  // A checkpoint with AMSGrad state resumes only into AMSGrad, and the other way round.
  const plain = Autoencoder.create(TINY);
  plain.configureOptimizer({ lr, beta1: b1, beta2: b2, eps, clip: 0 });
  await expect(plain.loadCheckpoint(paths[2]!)).rejects.toThrow(/max_exp_avg_sq: unexpected/);
  await plain.trainStep(batch(1), lr);
  const plainPath = join(dir, 'amsgrad-plain.safetensors');
  await plain.saveCheckpoint(plainPath);
  const resumed = Autoencoder.create(TINY);
  resumed.configureOptimizer({ lr, beta1: b1, beta2: b2, eps, clip: 0, amsgrad: true });
  await expect(resumed.loadCheckpoint(plainPath)).rejects.toThrow(/max_exp_avg_sq: missing \(amsgrad is on/);
  expect(() => resumed.configureOptimizer({ amsgrad: 'yes' as never })).toThrow(/configureOptimizer: options\.amsgrad/);
  resumed.configureOptimizer({ optimizer: 'soap', amsgrad: true });
  await expect(resumed.trainStep(batch(1), lr)).rejects.toThrow(/amsgrad is an AdamW option/);
});

test('EMA: ema_n = d_n·ema_{n−1} + (1 − d_n)·θ_n with the warm-up d_n = min(d, (1 + n)/(10 + n)), used for validation and export', async () => {
  manualSeed(2);
  const ae = Autoencoder.create(TINY);
  const d = 0.15;
  // Warm-up: the first step averages with 0.1 (of the initial weights), the second with min(0.15, 2/11) = 0.15.
  const d1 = 0.1, d2 = 0.15;
  ae.configureOptimizer({ lr: 1e-2, ema_decay: d });
  const p0 = join(dir, 'ema-0.safetensors'), p1 = join(dir, 'ema-1.safetensors'), p2 = join(dir, 'ema-2.safetensors');
  await ae.saveCheckpoint(p0);
  await ae.trainStep(batch(3), 1e-2);
  await ae.saveCheckpoint(p1);
  await ae.trainStep(batch(4), 1e-2);
  await ae.saveCheckpoint(p2);
  const [c0, c1, c2] = [p0, p1, p2].map((p) => readSafetensors(p));
  let worst = 0;
  const err = (got: number, want: number) => (worst = Math.max(worst, Math.abs(got - want)));
  for (const name of paramNames(c2!)) {
    const th0 = c0!.values(name), th1 = c1!.values(name), th2 = c2!.values(name);
    const e0 = c0!.values(`ema.${name}`), e1 = c1!.values(`ema.${name}`), e2 = c2!.values(`ema.${name}`);
    for (let i = 0; i < th0.length; i++) {
      err(e0[i]!, th0[i]!);
      err(e1[i]!, d1 * th0[i]! + (1 - d1) * th1[i]!);
      err(e2[i]!, d2 * e1[i]! + (1 - d2) * th2[i]!);
    }
  }
  expect(worst).toBeLessThan(1e-6);
  // Export with EMA writes the averages; validation with EMA differs from the raw weights' loss.
  const emaPath = join(dir, 'ema-weights.safetensors');
  await ae.saveWeights(emaPath, {}, { ema: true });
  const w = readSafetensors(emaPath);
  const name = paramNames(c2!)[0]!;
  expect(Array.from(w.values(name))).toEqual(Array.from(c2!.values(`ema.${name}`)));
  const raw = await ae.loss(batch(5), { eval: true });
  const avg = await ae.loss(batch(5), { eval: true, ema: true });
  expect(avg).not.toBe(raw);
  expect(await ae.loss(batch(5), { eval: true })).toBe(raw); // swapped back
  // loadWeights({ema}) of a checkpoint takes the averages.
  const other = Autoencoder.create(TINY);
  await other.loadWeights(p2, { ema: true });
  expect(await other.loss(batch(5), { eval: true })).toBeCloseTo(avg, 6);
});

test('gradient accumulation: 2 micro-batches give the step of the whole batch', async () => {
  const run = async (accumulate: number) => {
    manualSeed(3);
    const ae = Autoencoder.create(TINY);
    ae.configureOptimizer({ lr: 1e-3, clip: 0, accumulate });
    const r = await ae.trainStep(batch(6), 1e-3);
    const path = join(dir, `acc-${accumulate}.safetensors`);
    await ae.saveWeights(path);
    return { r, w: readSafetensors(path) };
  };
  const one = await run(1);
  const two = await run(2);
  expect(two.r.loss).toBeCloseTo(one.r.loss, 5);
  expect(two.r.gradNorm).toBeCloseTo(one.r.gradNorm, 4);
  const name = Object.keys(one.w.entries)[0]!;
  const a = one.w.values(name), b = two.w.values(name);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
  const ae = Autoencoder.create(TINY);
  ae.configureOptimizer({ accumulate: 3 });
  await expect(ae.trainStep(batch(6), 1e-3)).rejects.toThrow(/does not split into 3/);
});

test('checkpoint round trip: a restored model continues exactly, and mismatches are refused', async () => {
  manualSeed(4);
  const a = Autoencoder.create({ ...TINY, dropout: 0.1 });
  a.configureOptimizer({ lr: 1e-3, ema_decay: 0.5 });
  await a.trainStep(batch(7), 1e-3);
  const path = join(dir, 'rt.safetensors');
  await a.saveCheckpoint(path, { note: 'x' });
  const ra = await a.trainStep(batch(8), 1e-3);
  manualSeed(99);
  const b = Autoencoder.create({ ...TINY, dropout: 0.1 });
  b.configureOptimizer({ lr: 1e-3, ema_decay: 0.5 });
  const meta = await b.loadCheckpoint(path);
  expect(meta.note).toBe('x');
  const rb = await b.trainStep(batch(8), 1e-3);
  expect(rb.loss).toBe(ra.loss);
  expect(rb.gradNorm).toBe(ra.gradNorm);
  expect(rb.steps).toBe(2);
  // EMA on but the checkpoint has none; another architecture: refused before anything changes.
  const noEma = join(dir, 'noema.safetensors');
  const c = Autoencoder.create(TINY);
  await c.saveCheckpoint(noEma);
  const d = Autoencoder.create(TINY);
  d.configureOptimizer({ ema_decay: 0.9 });
  await expect(d.loadCheckpoint(noEma)).rejects.toThrow(/ema\..*missing/);
  const e = Autoencoder.create({ ...TINY, lat_channels: 6 });
  await expect(e.loadCheckpoint(path)).rejects.toThrow(/shape/);
  // plain loadWeights reads a checkpoint (training state skipped)
  await Autoencoder.create(TINY).loadWeights(path);
});

test('SOAP: learns, and a checkpoint (moments, Kronecker factors, eigenbases) continues exactly', async () => {
  manualSeed(5);
  const make = () => {
    const ae = Autoencoder.create(TINY);
    ae.configureOptimizer({ optimizer: 'soap', lr: 3e-3, beta1: 0.95, beta2: 0.95, precondition_frequency: 3 });
    return ae;
  };
  const a = make();
  const x = batch(9);
  const first = await a.loss(x, { eval: true });
  for (let i = 0; i < 6; i++) await a.trainStep(x, 3e-3);
  const path = join(dir, 'soap.safetensors');
  await a.saveCheckpoint(path);
  const names = Object.keys(readSafetensors(path).entries);
  expect(names.some((k) => /^optimizer\..*\.Q\.0$/.test(k))).toBe(true);
  expect(names.some((k) => /^optimizer\..*\.GG\.1$/.test(k))).toBe(true);
  const after: number[] = [];
  for (let i = 0; i < 6; i++) after.push((await a.trainStep(x, 3e-3)).loss);
  expect(await a.loss(x, { eval: true })).toBeLessThan(0.8 * first);
  manualSeed(123);
  const b = make();
  await b.loadCheckpoint(path);
  const again: number[] = [];
  for (let i = 0; i < 6; i++) again.push((await b.trainStep(x, 3e-3)).loss);
  expect(again).toEqual(after);
  // an AdamW checkpoint is not a SOAP one
  const adam = Autoencoder.create(TINY);
  await adam.trainStep(x, 1e-3);
  const adamPath = join(dir, 'adam-for-soap.safetensors');
  await adam.saveCheckpoint(adamPath);
  await expect(make().loadCheckpoint(adamPath)).rejects.toThrow(/SOAP|GG/);
});
