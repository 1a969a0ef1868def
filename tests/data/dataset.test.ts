import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WellDataset, listWellFiles } from '../../lib/data/dataset.js';
import type { DatasetConfig } from '../../lib/data/config.js';
import { Rng } from '../../lib/data/rng.js';
import { tempDir, toyValue, writeToyWell } from './fixtures.js';

const { dir: root, cleanup } = tempDir();
afterAll(cleanup);

// physics "open_toy" in the layout <root>/datasets/<name>/data/<split>/ (2 files, gamma 1.1 and 1.4);
// physics "periodic_toy" in the layout <root>/<name>/<split>/ (1 file). Both have T = 6 on a 4×4 grid.
const config: DatasetConfig = {
  name: 'toy_all',
  physics: ['open_toy', 'periodic_toy'],
  fields: [
    { name: 'density', mean: 0, std: 1 },
    { name: 'velocity_x', mean: 0, std: 1 },
    { name: 'velocity_y', mean: 0, std: 1 },
  ],
  augment: ['random_axis_flip', 'random_axis_permute', 'random_axis_roll'],
  stride: 2,
  include_filters: [],
  exclude_filters: [],
};

beforeAll(async () => {
  const a = join(root, 'datasets', 'open_toy', 'data', 'train');
  const b = join(root, 'periodic_toy', 'train');
  mkdirSync(a, { recursive: true });
  mkdirSync(b, { recursive: true });
  mkdirSync(join(root, 'periodic_toy', 'valid'), { recursive: true });
  await writeToyWell(join(a, 'open_toy_gamma_1.4.hdf5'), { B: 2, T: 6, shape: [4, 4], bc: { x: 'OPEN', y: 'OPEN' }, parameters: { gamma: 1.4 } });
  await writeToyWell(join(a, 'open_toy_gamma_1.1.hdf5'), { B: 1, T: 6, shape: [4, 4], bc: { x: 'OPEN', y: 'OPEN' }, parameters: { gamma: 1.1 }, offset: 50000 });
  await writeToyWell(join(b, 'periodic_toy_gamma_1.4.hdf5'), { B: 3, T: 6, shape: [4, 4], bc: { x: 'PERIODIC', y: 'PERIODIC' }, parameters: { gamma: 1.4 }, offset: 90000 });
});

test('both directory layouts, several physics concatenated, T − (steps−1)·stride windows per trajectory', async () => {
  const ds = await WellDataset.open({ root, split: 'train', config, steps: 3 });
  // stride 2 (from the config), 3 states: 6 − 2·2 = 2 windows per trajectory; (1 + 2 + 3) trajectories.
  expect(ds.length).toBe(12);
  expect(ds.trajectories).toBe(6);
  expect(ds.paths.map((p) => p.split('/').pop())).toEqual(['open_toy_gamma_1.1.hdf5', 'open_toy_gamma_1.4.hdf5', 'periodic_toy_gamma_1.4.hdf5']);
  expect(ds.locate(0)).toMatchObject({ physics: 'open_toy', sample: 0, start: 0 });
  expect(ds.locate(3)).toMatchObject({ physics: 'open_toy', sample: 0, start: 1 }); // second file, 2nd window of traj 0
  expect(ds.locate(11)).toMatchObject({ physics: 'periodic_toy', sample: 2, start: 1 });
  expect(ds.stateShape).toEqual([3, 3, 4, 4]);
  ds.close();
});

test('item contents: the window state (T, C, ...space) and label [gamma, flattened boundary codes]', async () => {
  const ds = await WellDataset.open({ root, split: 'train', config, steps: 3 });
  const item = ds.item(7); // periodic file, window 1 of trajectory 0: steps 1, 3, 5
  expect(item.state.shape).toEqual([3, 3, 4, 4]);
  // channels density (file channel 0), velocity_x (2), velocity_y (3)
  expect(item.state.data[0]).toBe(toyValue(0, 1, 0, 0, 90000));
  expect(item.state.data[16 + 5]).toBe(toyValue(0, 1, 2, 5, 90000));
  expect(item.state.data[2 * 48 + 32 + 15]).toBe(toyValue(0, 5, 3, 15, 90000));
  expect(Array.from(item.label.data)).toEqual([expect.closeTo(1.4, 6), 2, 2, 2, 2]);
  expect(Array.from(ds.item(0).label.data)).toEqual([expect.closeTo(1.1, 6), 1, 1, 1, 1]);
  expect(ds.labelDim).toBe(5);
  ds.close();
});

test('augmented items are seeded; a flipped x gives the mirrored window with negated velocity_x', async () => {
  const plain = await WellDataset.open({ root, split: 'train', config: { ...config, augment: ['random_axis_flip'] }, steps: 1, stride: 1 });
  const aug = await WellDataset.open({ root, split: 'train', config: { ...config, augment: ['random_axis_flip'] }, steps: 1, stride: 1, augment: true });
  // Find a seed whose draw flips x only: Rng draws axis x, then y, each < 0.5.
  let seed = 0;
  for (; ; seed++) {
    const r = new Rng(seed);
    if (r.random() < 0.5 && r.random() >= 0.5) break;
  }
  const a = aug.item(4, new Rng(seed));
  const b = aug.item(4, new Rng(seed));
  expect(a).toEqual(b);
  const p = plain.item(4);
  for (let x = 0; x < 4; x++) {
    for (let y = 0; y < 4; y++) {
      expect(a.state.data[x * 4 + y]).toBe(p.state.data[(3 - x) * 4 + y]);
      expect(a.state.data[16 + x * 4 + y]).toBe(-p.state.data[16 + (3 - x) * 4 + y]!);
      expect(a.state.data[32 + x * 4 + y]).toBe(p.state.data[32 + (3 - x) * 4 + y]);
    }
  }
  plain.close();
  aug.close();
});

test('transforms and normalisation apply per channel and invert back to physical units', async () => {
  const cfg = { ...config, fields: [{ name: 'density', transform: 'log1p' as const, mean: 5, std: 2 }, { name: 'pressure', mean: 100, std: 10 }] };
  const ds = await WellDataset.open({ root, split: 'train', config: cfg, steps: 1 });
  const item = ds.item(0);
  expect(item.state.data[3]).toBeCloseTo((Math.log1p(toyValue(0, 0, 0, 3, 50000)) - 5) / 2, 5);
  expect(item.state.data[16 + 3]).toBeCloseTo((toyValue(0, 0, 1, 3, 50000) - 100) / 10, 3);
  ds.postprocess.invert(item.state);
  expect(item.state.data[3]).toBeCloseTo(toyValue(0, 0, 0, 3, 50000), 0);
  ds.close();
});

test('include/exclude filters on file names', async () => {
  const dir = join(root, 'datasets', 'open_toy', 'data', 'train');
  expect(listWellFiles(dir, ['1.4']).map((p) => p.split('/').pop())).toEqual(['open_toy_gamma_1.4.hdf5']);
  expect(listWellFiles(dir, [], ['1.4']).map((p) => p.split('/').pop())).toEqual(['open_toy_gamma_1.1.hdf5']);
  const ds = await WellDataset.open({ root, split: 'train', config, steps: 1, stride: 1, exclude: ['gamma_1.1'] });
  expect(ds.trajectories).toBe(5);
  ds.close();
});

test('errors at open time: empty split, missing split, unknown field, window too long', async () => {
  await expect(WellDataset.open({ root, split: 'valid', config: { ...config, physics: ['periodic_toy'] } })).rejects.toThrow(/periodic_toy\/valid: empty split: no \.h5\/\.hdf5 files \('valid' of 'periodic_toy'\)/);
  await expect(WellDataset.open({ root, split: 'test', config })).rejects.toThrow(/no 'test' split of 'open_toy'; looked in/);
  await expect(WellDataset.open({ root, split: 'train', config: { ...config, fields: [{ name: 'velocty_x', mean: 0, std: 1 }] } })).rejects.toThrow(/open_toy_gamma_1\.1\.hdf5: no field or channel 'velocty_x' \(did you mean 'velocity_x'\?\)/);
  await expect(WellDataset.open({ root, split: 'train', config, steps: 4, stride: 2 })).rejects.toThrow(/6 time steps are too few for windows of 4 states at stride 2/);
  await expect(WellDataset.open({ root, split: 'train', config: 'euler_al' })).rejects.toThrow(/did you mean 'euler_all'/);
});
