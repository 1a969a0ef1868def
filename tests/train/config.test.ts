// Pure TypeScript parts of training runs: schedules, configuration composition and errors, the batch
// plan (same batches as BatchLoader, from any position), checkpoint rotation and corruption detection,
// run directories and locks.
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { BatchLoader } from '../../lib/data/loader.js';
import { batchPlan } from '../../lib/train/batches.js';
import { findCheckpoint, saveCheckpoint } from '../../lib/train/checkpoint.js';
import { aeRunConfig, composeConfig, resolveAeConfig } from '../../lib/train/config.js';
import { createRunDir, lockRunDir } from '../../lib/train/run-dir.js';
import { learningRate } from '../../lib/train/schedule.js';
import { tempDir, writeWaves, wavesRun, WAVES } from './fixtures.js';

describe('learning-rate schedules', () => {
  const base = { learning_rate: 1e-3, total: 100 };
  test('constant, linear and cosine at chosen steps', () => {
    expect(learningRate(0, { ...base, scheduler: 'constant' })).toBe(1e-3);
    expect(learningRate(99, { ...base, scheduler: 'constant' })).toBe(1e-3);
    expect(learningRate(0, { ...base, scheduler: 'linear' })).toBeCloseTo(1e-3, 12);
    expect(learningRate(50, { ...base, scheduler: 'linear' })).toBeCloseTo(5e-4, 12);
    expect(learningRate(100, { ...base, scheduler: 'linear' })).toBe(0);
    expect(learningRate(0, { ...base, scheduler: 'cosine' })).toBeCloseTo(1e-3, 12);
    expect(learningRate(50, { ...base, scheduler: 'cosine' })).toBeCloseTo(5e-4, 12);
    expect(learningRate(25, { ...base, scheduler: 'cosine' })).toBeCloseTo((1e-3 * (1 + Math.cos(Math.PI / 4))) / 2, 12);
  });
  test('warm-up rises linearly, then the schedule runs over the remaining steps', () => {
    const o = { ...base, scheduler: 'cosine' as const, warmup: 10 };
    expect(learningRate(0, o)).toBeCloseTo(1e-4, 12);
    expect(learningRate(4, o)).toBeCloseTo(5e-4, 12);
    expect(learningRate(10, o)).toBeCloseTo(1e-3, 12);
    expect(learningRate(55, o)).toBeCloseTo(5e-4, 12);
  });
});

describe('configuration composition', () => {
  test('presets expand, overrides replace sections and keys, values are parsed', () => {
    const c = aeRunConfig('ae', ['dataset=euler_open', 'ae=dcae_f32c64_small', 'optim.learning_rate=1e-5', 'ae.lat_channels=16', 'train.epochs=3', 'optim.betas=[0.8, 0.95]']);
    expect(c.dataset.name).toBe('euler_open');
    expect(c.dataset.root).toBe('data');
    expect(c.ae.name).toBe('dcae_f32c64_small');
    expect(c.ae.lat_channels).toBe(16);
    expect(c.optim.learning_rate).toBe(1e-5);
    expect(c.optim.betas).toEqual([0.8, 0.95]);
    expect(c.optim.scheduler).toBe('cosine');
    expect(c.train.epochs).toBe(3);
    expect(c.train.batch_size).toBe(64);
  });
  test('the optimizer presets: adamw and soap', () => {
    const soap = aeRunConfig('ae_cpu', ['optim=soap', 'optim.precondition_frequency=5']);
    expect(soap.optim.optimizer).toBe('soap');
    expect(soap.optim.precondition_frequency).toBe(5);
    expect(soap.ae.name).toBe('dcae_f8c16_cpu');
    expect(() => aeRunConfig('ae', ['optim.optimizer=psgd'])).toThrow(/optim.optimizer/);
  });
  test('choosing another dataset keeps dataset.root', () => {
    const c = aeRunConfig('ae', ['dataset.root=/x', 'dataset=euler_periodic']);
    expect(c.dataset.root).toBe('/x');
    expect(c.dataset.name).toBe('euler_periodic');
  });
  test('unknown keys and presets name the nearest valid one', () => {
    expect(() => aeRunConfig('ae', ['optim.learning_rat=1e-5'])).toThrow(/unknown key 'optim.learning_rat' \(did you mean 'optim.learning_rate'\?\)/);
    expect(() => aeRunConfig('ae', ['trian.epochs=3'])).toThrow(/unknown key 'trian.epochs' \(did you mean 'train'\?\)/);
    expect(() => aeRunConfig('ae', ['ae.lat_chanels=3'])).toThrow(/did you mean 'ae.lat_channels'/);
    expect(() => aeRunConfig('ae', ['ae=dcae_f32c64_smal'])).toThrow(/unknown ae preset 'dcae_f32c64_smal' \(did you mean 'dcae_f32c64_small'\?\)/);
    expect(() => aeRunConfig('ae', ['dataset=euler_al'])).toThrow(/did you mean 'euler_all'/);
    expect(() => aeRunConfig('aee')).toThrow(/unknown train preset 'aee' \(did you mean 'ae'\?\)/);
    expect(() => aeRunConfig('ae', ['optim'])).toThrow(/not key=value/);
    expect(() => resolveAeConfig({ ...composeConfig('ae'), extra: 1 })).toThrow(/unknown key 'extra'/);
  });
  test('bad values are reported with their dotted key', () => {
    expect(() => aeRunConfig('ae', ['optim.scheduler=cosin'])).toThrow(/optim.scheduler/);
    expect(() => aeRunConfig('ae', ['train.batch_size=-1'])).toThrow(/train.batch_size/);
    expect(() => aeRunConfig('ae', ['train.batch_size=6', 'train.accumulate=4'])).toThrow(/not a multiple of train.accumulate/);
  });
});

describe('batch plan', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    await writeWaves(dir, { T: 5, trajectories: { train: 9 } });
  });
  afterAll(() => cleanup());

  test('the same batches as BatchLoader (lazy, infinite), and the same from any start', async () => {
    const source = { kind: 'well' as const, options: { root: dir, split: 'train', config: WAVES, steps: 1 } };
    const loader = await BatchLoader.open(source, { batchSize: 4, shuffle: 'lazy', infinite: true, seed: 3 });
    const length = loader.length;
    const expected = [];
    const plan = loader.plan();
    for (let i = 0; i < 30; i++) expected.push(plan.next().value);
    await loader.close();
    const ours = batchPlan(length, { batchSize: 4, seed: 3 });
    for (let i = 0; i < 30; i++) {
      const p = ours.next().value!;
      expect([p.indices, p.seeds]).toEqual([expected[i]!.indices, expected[i]!.seeds]);
    }
    for (const start of [1, 10, 11, 23]) {
      const p = batchPlan(length, { batchSize: 4, seed: 3 }, start).next().value!;
      expect(p.seeds).toEqual(expected[start]!.seeds);
      expect(p.indices).toEqual(expected[start]!.indices);
    }
    expect(() => batchPlan(3, { batchSize: 4, seed: 0 }).next()).toThrow(/larger than the dataset/);
  });
});

describe('checkpoints', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());
  const write = (text: string) => async (path: string) => writeFileSync(path, text);

  test('rotation keeps the previous one; truncation and corruption fall back to it', async () => {
    expect(findCheckpoint(dir, 'state')).toBeUndefined();
    await saveCheckpoint(dir, 'state', write('first checkpoint'), { step: 1 });
    await saveCheckpoint(dir, 'state', write('second checkpoint'), { step: 2 });
    expect(findCheckpoint(dir, 'state')!.manifest.info.step).toBe(2);
    truncateSync(join(dir, 'state.safetensors'), 5);
    let found = findCheckpoint(dir, 'state')!;
    expect(found.path).toBe(join(dir, 'state.prev.safetensors'));
    expect(found.rejected[0]).toMatch(/truncated/);
    writeFileSync(join(dir, 'state.safetensors'), 'second checkpoinX');
    found = findCheckpoint(dir, 'state')!;
    expect(found.rejected[0]).toMatch(/checksum mismatch/);
    expect(readFileSync(found.path, 'utf8')).toBe('first checkpoint');
    // A corrupt current checkpoint is not rotated over the good previous one.
    await saveCheckpoint(dir, 'state', write('third checkpoint'), { step: 3 });
    expect(readFileSync(join(dir, 'state.prev.safetensors'), 'utf8')).toBe('first checkpoint');
    // A write killed before its manifest: the file is rejected, the previous one used.
    writeFileSync(join(dir, 'state.json'), '{');
    expect(findCheckpoint(dir, 'state')!.rejected[0]).toMatch(/unreadable manifest/);
    truncateSync(join(dir, 'state.prev.safetensors'), 1);
    expect(() => findCheckpoint(dir, 'state')).toThrow(/no usable checkpoint/);
  });
});

describe('run directories', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());
  test('unique names and an exclusive lock with stale-lock takeover', () => {
    const names = new Set(Array.from({ length: 20 }, () => createRunDir(dir, 'run')));
    expect(names.size).toBe(20);
    const run = [...names][0]!;
    const lock = lockRunDir(run);
    writeFileSync(join(run, 'lock'), JSON.stringify({ pid: process.ppid, host: hostname() }));
    expect(() => lockRunDir(run)).toThrow(/in use by process/);
    // a lock of a process that is gone is stale
    writeFileSync(join(run, 'lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() }));
    const again = lockRunDir(run);
    again.release();
    expect(existsSync(join(run, 'lock'))).toBe(false);
    lock.release();
  });
});

test('the waves fixture composes into a valid run configuration', () => {
  const c = resolveAeConfig(wavesRun('/data', '/runs'));
  expect(c.dataset.fields.map((f) => f.name)).toEqual(['density', 'velocity_x', 'velocity_y']);
  expect(c.train.accumulate).toBe(1);
});
