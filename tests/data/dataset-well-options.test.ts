// The rest of The Well's item, as dataset options under The Well's names: time-varying scalars,
// space and time grids, and a random stride between min_dt_stride and max_dt_stride. Against a
// hand-built file whose every value is known.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WellDataset, type WellDatasetOptions } from '../../lib/data/dataset.js';
import type { DatasetConfig } from '../../lib/data/config.js';
import { Rng } from '../../lib/data/rng.js';
import { WellWriter } from '../../lib/data/well-writer.js';
import { tempDir } from './fixtures.js';

const { dir: root, cleanup } = tempDir('le-wellopts-');
afterAll(cleanup);

const B = 2, T = 8;
const X = [0.5, 1.5, 2.5], Y = [10, 20];
const time = Array.from({ length: T }, (_, t) => 100 + 0.5 * t);
/** density at trajectory b, step t, grid point i. */
const density = (b: number, t: number, i: number) => 1000 * b + 100 * t + i;
const energy = (t: number) => 10 + t; // time-varying scalar
const drive = (b: number, t: number) => 100 * b + t; // sample- and time-varying scalar

const config: DatasetConfig = {
  name: 'opts', physics: ['opts'], fields: [{ name: 'density', mean: 0, std: 1 }],
  augment: [], stride: 1, include_filters: [], exclude_filters: [],
};
const open = (o: Partial<WellDatasetOptions> = {}) => WellDataset.open({ root, split: 'train', config, steps: 3, ...o });

beforeAll(async () => {
  const dir = join(root, 'opts', 'train');
  mkdirSync(dir, { recursive: true });
  const w = await WellWriter.create(join(dir, 'opts.hdf5'), {
    datasetName: 'opts', nTrajectories: B, spatialDims: ['x', 'y'], coordinates: { x: X, y: Y }, time,
    parameters: { gamma: 1.4 },
    scalars: [
      { name: 'energy', value: time.map((_, t) => energy(t)), timeVarying: true },
      { name: 'drive', value: [0, 1].flatMap((b) => time.map((_, t) => drive(b, t))), sampleVarying: true, timeVarying: true },
    ],
    fields: [{ name: 'density' }],
  });
  for (let b = 0; b < B; b++) {
    w.writeTrajectory(b, { data: Float32Array.from({ length: T * 6 }, (_, k) => density(b, Math.floor(k / 6), k % 6)), shape: [T, 1, 3, 2] });
  }
  w.close();
});

test('off by default: no scalars or grids, the configured stride, the same state as with them on', async () => {
  const plain = await open({ stride: 2 });
  const full = await open({ stride: 2, return_scalars: true, return_grid: true });
  const a = plain.item(5);
  expect(Object.keys(a).sort()).toEqual(['label', 'state', 'stride']);
  expect(a.stride).toBe(2);
  expect(full.item(5).state).toEqual(a.state);
  expect(full.item(5).label).toEqual(a.label);
  plain.close();
  full.close();
});

test('return_scalars: the time-varying scalars at the window states, (T, S) in /scalars order', async () => {
  const ds = await open({ stride: 2, return_scalars: true });
  expect(ds.scalarNames).toEqual(['energy', 'drive']);
  // 8 − 2·2 = 4 windows per trajectory; item 5 = trajectory 1, start 1: steps 1, 3, 5.
  const item = ds.item(5);
  expect(item.scalars!.shape).toEqual([3, 2]);
  expect(Array.from(item.scalars!.data)).toEqual([energy(1), drive(1, 1), energy(3), drive(1, 3), energy(5), drive(1, 5)]);
  expect(item.state.data[0]).toBe(density(1, 1, 0));
  ds.close();
});

test("return_grid: space_grid (...space, D) in 'ij' order and time_grid, normalised to start at 0 unless asked not to", async () => {
  const ds = await open({ stride: 2, return_grid: true });
  const item = ds.item(5);
  expect(item.space_grid!.shape).toEqual([3, 2, 2]);
  expect(Array.from(item.space_grid!.data)).toEqual([0.5, 10, 0.5, 20, 1.5, 10, 1.5, 20, 2.5, 10, 2.5, 20]);
  expect(Array.from(item.time_grid!.data)).toEqual([0, 1, 2]);
  ds.close();
  const raw = await open({ stride: 2, return_grid: true, normalize_time_grid: false });
  expect(Array.from(raw.item(5).time_grid!.data)).toEqual([time[1], time[3], time[5]]);
  raw.close();
});

test('min_dt_stride/max_dt_stride: windows from the minimum, each item a seeded stride that fits its start', async () => {
  const ds = await open({ min_dt_stride: 1, max_dt_stride: 3, return_grid: true, normalize_time_grid: false });
  // Windows at the minimum stride: 8 − 2·1 = 6 per trajectory.
  expect(ds.length).toBe(2 * 6);
  expect([ds.stride, ds.maxStride]).toEqual([1, 3]);
  for (let start = 0; start < 6; start++) {
    // The largest stride whose 3 states fit from `start`: ⌊(T − start − 1) / 2⌋, capped at 3.
    const top = Math.min(3, Math.floor((T - 1 - start) / 2));
    const seen = new Set<number>();
    for (let seed = 0; seed < 24; seed++) {
      const item = ds.item(6 + start, new Rng(seed)); // trajectory 1
      seen.add(item.stride);
      // The states, and the time grid, are those of steps start, start + stride, start + 2·stride.
      for (let t = 0; t < 3; t++) {
        expect(item.state.data[t * 6]).toBe(density(1, start + t * item.stride, 0));
        expect(item.time_grid!.data[t]).toBe(time[start + t * item.stride]);
      }
      expect(ds.item(6 + start, new Rng(seed)).stride).toBe(item.stride); // seeded
    }
    expect([...seen].sort()).toEqual(Array.from({ length: top }, (_, k) => k + 1));
  }
  ds.close();
});

test('a random stride leaves the augmentations as they were', async () => {
  const augmented = { ...config, augment: ['random_axis_flip' as const] };
  const fixed = await WellDataset.open({ root, split: 'train', config: augmented, steps: 3, augment: true });
  const random = await WellDataset.open({ root, split: 'train', config: augmented, steps: 3, augment: true, max_dt_stride: 2 });
  for (let seed = 0; seed < 8; seed++) {
    const a = fixed.item(0, new Rng(seed));
    const b = random.item(0, new Rng(seed));
    // Same flips: the first state (step 0 either way) is identical.
    expect(b.state.data.subarray(0, 6)).toEqual(a.state.data.subarray(0, 6));
  }
  fixed.close();
  random.close();
});

test('bad strides are errors naming the option', async () => {
  await expect(open({ min_dt_stride: 2, max_dt_stride: 1 })).rejects.toThrow(/max_dt_stride must be an integer ≥ min_dt_stride \(2\), got 1/);
  await expect(open({ stride: 1, min_dt_stride: 2 })).rejects.toThrow(/stride \(1\) and min_dt_stride \(2\) disagree/);
  await expect(open({ min_dt_stride: 4 })).rejects.toThrow(/8 time steps are too few for windows of 3 states at stride 4/);
});
