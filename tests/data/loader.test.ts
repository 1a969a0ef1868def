import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BatchLoader } from '../../lib/data/loader.js';
import { lazyShuffle } from '../../lib/data/lazy-shuffle.js';
import { Rng } from '../../lib/data/rng.js';
import type { DatasetConfig } from '../../lib/data/config.js';
import type { DatasetSource } from '../../lib/data/source.js';
import type { Batch } from '../../lib/data/types.js';
import { tempDir, writeToyWell } from './fixtures.js';

const { dir: root, cleanup } = tempDir();
afterAll(cleanup);

const config: DatasetConfig = {
  name: 'toy',
  physics: ['toy'],
  fields: [
    { name: 'density', transform: 'log1p', mean: 1, std: 2 },
    { name: 'velocity_x', mean: 0, std: 1 },
    { name: 'velocity_y', mean: 0, std: 1 },
  ],
  augment: ['random_axis_flip', 'random_axis_permute', 'random_axis_roll'],
  stride: 1,
  include_filters: [],
  exclude_filters: [],
};
const source: DatasetSource = { kind: 'well', options: { root, split: 'train', config, steps: 2, augment: true } };

beforeAll(async () => {
  const d = join(root, 'toy', 'train');
  mkdirSync(d, { recursive: true });
  await writeToyWell(join(d, 'a.hdf5'), { B: 2, T: 5, shape: [4, 4], bc: { x: 'PERIODIC', y: 'OPEN' }, compression: 2 });
  await writeToyWell(join(d, 'b.hdf5'), { B: 1, T: 5, shape: [4, 4], bc: { x: 'PERIODIC', y: 'OPEN' }, offset: 7 });
});

async function take(loader: BatchLoader, n = Infinity): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader) {
    out.push(b);
    if (out.length >= n) break;
  }
  return out;
}

test('lazy shuffle: a seeded permutation made of chunks of consecutive indices', () => {
  const a = [...lazyShuffle(50, new Rng(1))];
  expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  expect([...lazyShuffle(50, new Rng(1))]).toEqual(a);
  expect([...lazyShuffle(50, new Rng(2))]).not.toEqual(a);
  // With a buffer of one item the chunks come out whole, in random chunk order.
  const b = [...lazyShuffle(12, new Rng(3), { chunk: 4, buffer: 1 })];
  const chunks = [0, 4, 8].map((s) => b.slice(s, s + 4));
  for (const c of chunks) expect(c).toEqual([c[0]!, c[0]! + 1, c[0]! + 2, c[0]! + 3]);
  expect(chunks.map((c) => c[0]).sort()).toEqual([0, 4, 8]);
});

test('finite epoch on the calling thread: every window once, shapes (B, T, C, ...space) and (B, D)', async () => {
  const loader = await BatchLoader.open(source, { batchSize: 4, seed: 3 });
  // 3 trajectories × (5 − 1) windows = 12 items: 3 batches of 4.
  expect(loader.length).toBe(12);
  const batches = await take(loader);
  expect(batches.length).toBe(3);
  expect(batches[0]!.state.shape).toEqual([4, 2, 3, 4, 4]);
  expect(batches[0]!.label.shape).toEqual([4, 5]);
  const seen = [...loader.plan()].flatMap((p) => p.indices).sort((a, b) => a - b);
  expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i));
  await loader.close();
});

test('infinite mode keeps going with a new order every epoch, dropping partial batches', async () => {
  const loader = await BatchLoader.open(source, { batchSize: 5, infinite: true, seed: 3 });
  expect(loader.batchesPerEpoch).toBe(2);
  const plan = loader.plan();
  const epochs = Array.from({ length: 6 }, () => plan.next().value!);
  expect(epochs.map((p) => p.epoch)).toEqual([0, 0, 1, 1, 2, 2]);
  expect(epochs[0]!.indices).not.toEqual(epochs[2]!.indices);
  expect((await take(loader, 7)).length).toBe(7);
  await loader.close();
});

test('worker threads deliver the same batches, in the same order, as the calling thread', async () => {
  const opts = { batchSize: 3, seed: 11 };
  const local = await BatchLoader.open(source, opts);
  const pooled = await BatchLoader.open(source, { ...opts, workers: 2, prefetch: 3 });
  const a = await take(local);
  const b = await take(pooled);
  expect(b.length).toBe(4);
  expect(b.map((x) => x.state.shape)).toEqual(a.map((x) => x.state.shape));
  b.forEach((x, i) => {
    expect(x.state.data).toEqual(a[i]!.state.data);
    expect(x.label.data).toEqual(a[i]!.label.data);
  });
  await local.close();
  await pooled.close();
});

test('a dataset error in a worker is reported at open, naming the problem', async () => {
  const bad: DatasetSource = { kind: 'well', options: { ...source.options, split: 'valid' } as never };
  await expect(BatchLoader.open(bad, { batchSize: 2, workers: 1 })).rejects.toThrow(/no 'valid' split of 'toy'/);
});
