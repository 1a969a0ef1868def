import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeToyWell } from './fixtures.js';
import { runCli } from '../run-cli.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);

const run = runCli;

test('inspect prints the structure, as text or JSON', async () => {
  const path = join(dir, 'toy.hdf5');
  await writeToyWell(path, { tensor: true });
  const json = JSON.parse((await run('inspect', path, '--json')).out);
  expect(json).toMatchObject({
    kind: 'well',
    dataset_name: 'toy',
    n_trajectories: 2,
    n_steps: 6,
    spatial_dims: { x: 4, y: 3 },
    parameters: { gamma: 1.4 },
    channels: ['density', 'pressure', 'velocity_x', 'velocity_y', 'stress_xx', 'stress_xy', 'stress_yx', 'stress_yy'],
    boundary_conditions: { x: ['PERIODIC', 'PERIODIC'], y: ['WALL', 'OPEN'] },
  });
  const { out } = await run('inspect', path);
  expect(out).toContain('t1_fields/velocity [2,6,4,3,2] → velocity_x, velocity_y');
  expect(out).toContain('boundary conditions x: PERIODIC/PERIODIC, y: WALL/OPEN');
});

test('inspect of a bad file exits 1 with the file and the problem', async () => {
  const r = await run('inspect', join(dir, 'missing.hdf5'));
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/^latent-emulator: .*missing\.hdf5: cannot open file \(ENOENT\)/);
});

test('stats prints per-channel mean/std after transforms', async () => {
  const split = join(dir, 'root', 'toy', 'train');
  mkdirSync(split, { recursive: true });
  await writeToyWell(join(split, 'a.hdf5'), { B: 1, T: 2, shape: [2, 2] });
  const cfg = join(dir, 'toy.yaml');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(cfg, 'name: toy\nphysics: [toy]\nfields:\n  density: {transform: log1p}\n  velocity_x: {}\n');
  const r = JSON.parse((await run('stats', cfg, '--root', join(dir, 'root'), '--samples', '50', '--json')).out);
  // Every state is drawn from t ∈ {0, 1}: density = 100t + i (i < 4), velocity_x = 100t + 20 + i.
  expect(r.stats[0].name).toBe('density');
  expect(r.stats[1].name).toBe('velocity_x');
  const vx = r.stats[1];
  expect(vx.mean).toBeGreaterThan(21.5);
  expect(vx.mean).toBeLessThan(121.5);
  expect(vx.std).toBeGreaterThan(1.1); // at least the spread of i within one state
  const text = (await run('stats', cfg, '--root', join(dir, 'root'), '--samples', '4')).out;
  expect(text).toMatch(/fields:\n {2}density: \{mean: [\d.]+, std: [\d.]+\}\n {2}velocity_x:/);
});
