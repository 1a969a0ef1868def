import { Preprocess } from '../../lib/data/transforms.js';
import { loadDatasetConfig, parseDatasetConfig, shippedConfigNames } from '../../lib/data/config.js';

test('each transform, then (x − mean)/std, matches hand-computed values and inverts exactly', () => {
  const p = new Preprocess([
    { name: 'a', transform: 'log1p', mean: 1, std: 2 },
    { name: 'b', transform: 'log_eps', mean: 0, std: 1 },
    { name: 'c', transform: 'log', mean: 0, std: 1 },
    { name: 'd', transform: 'arcsinh', mean: 0.5, std: 0.5 },
    { name: 'e', mean: 3, std: 4 },
  ]);
  const x = [Math.E - 1, 1, Math.E, Math.sinh(1), 11];
  const t = { data: Float32Array.from(x), shape: [1, 5, 1] };
  p.apply(t);
  const expected = [(1 - 1) / 2, Math.log(1 + 1e-6), 1, (1 - 0.5) / 0.5, 2];
  expected.forEach((v, i) => expect(t.data[i]).toBeCloseTo(v, 6));
  p.invert(t);
  x.forEach((v, i) => expect(t.data[i]).toBeCloseTo(v, 5));
});

test('round trip on random data of a batch (channel axis 2)', () => {
  const p = new Preprocess([
    { name: 'energy', transform: 'log1p', mean: 1.2, std: 0.51 },
    { name: 'density', transform: 'log_eps', mean: -1.75, std: 0.95 },
    { name: 'v', transform: 'arcsinh', mean: 0, std: 0.5 },
  ]);
  const data = Float32Array.from({ length: 2 * 3 * 3 * 8 }, (_, i) => 0.01 + ((i * 7919) % 97) / 10);
  const t = { data: Float32Array.from(data), shape: [2, 3, 3, 8] };
  p.invert(p.apply(t, 2), 2);
  data.forEach((v, i) => expect(Math.abs(t.data[i]! - v)).toBeLessThan(1e-4 * Math.max(1, v)));
  expect(() => p.apply({ data: new Float32Array(8), shape: [1, 2, 4] })).toThrow(/2 channels on axis 1, the configuration 3/);
});

test('shipped configurations load, with the reference keys and values', () => {
  expect(shippedConfigNames()).toEqual(['euler_all', 'euler_open', 'euler_periodic', 'gravity_cooling', 'rayleigh_benard']);
  const euler = loadDatasetConfig('euler_all');
  expect(euler.physics).toEqual(['euler_multi_quadrants_openBC', 'euler_multi_quadrants_periodicBC']);
  expect(euler.fields.map((f) => f.name)).toEqual(['energy', 'density', 'pressure', 'momentum_x', 'momentum_y']);
  expect(euler.fields.map((f) => f.std)).toEqual([0.51, 0.27, 0.29, 0.53, 0.52]);
  expect(euler.fields[0]!.transform).toBe('log1p');
  expect(euler.stride).toBe(4);
  expect(loadDatasetConfig('rayleigh_benard').augment).toEqual(['log_scalars', 'random_axis_flip', 'random_axis_roll']);
  const tgc = loadDatasetConfig('gravity_cooling');
  expect(tgc.fields.map((f) => f.mean)).toEqual([-1.75, -4.2, 5.5, 0, 0, 0]);
  expect(tgc.fields.slice(0, 3).map((f) => f.transform)).toEqual(['log_eps', 'log_eps', 'log_eps']);
});

test('an unknown dataset name suggests the closest; a bad config names the key', () => {
  expect(() => loadDatasetConfig('euler_al')).toThrow(/unknown dataset 'euler_al' \(did you mean 'euler_all'\?\)/);
  expect(() => parseDatasetConfig({ name: 'x', physics: ['p'], fields: { a: { transform: 'sqrt' } } }, 'mine.yaml')).toThrow(/mine\.yaml: invalid dataset configuration: fields\.a\.transform/);
  expect(() => parseDatasetConfig({ name: 'x', physics: ['p'], fields: ['a'], augment: ['random_flip'] })).toThrow(/augment\.0/);
});
