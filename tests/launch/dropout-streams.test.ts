// Dropout under data parallelism: each rank draws its own masks (a stream seeded per step from the shared
// generator state, the step count and the rank), while the shared generator (noise, diffusion times, context
// masks: drawn for the global batch) advances exactly as in one process. So with dropout a 2-rank run and a
// 1-process run end with the same shared generator state but not the same weights (other masks), and the
// ranks' weights stay identical. (Resume with dropout is exact: tests/launch/interrupt-resume.test.ts.)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { tempDir, wavesRun, writeWaves } from '../train/fixtures.js';
import { readSafetensors } from '../../lib/io/safetensors.js';
import { CLI, freePort, maxRelativeDifference, run, tensorBytes } from './helpers.js';

let root: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('le-dp-dropout-'));
  await writeWaves(join(root, 'data'));
});
afterAll(() => cleanup());

test('dropout 0.2: the shared generator ends where one process ends it; the masks, and so the weights, differ', async () => {
  const config = wavesRun(join(root, 'data'), join(root, 'runs')) as { train: Record<string, unknown>; ae: Record<string, unknown> };
  config.ae = { ...config.ae, dropout: 0.2, noise: 0.1 };  // latent noise: a shared-stream draw inside every step
  config.train = { ...config.train, epochs: 1, epoch_size: 3, batch_size: 4 };
  const preset = join(root, 'run.yaml');
  writeFileSync(preset, stringify(config));
  const args = (dir: string) => ['train-ae', '--config', preset, '--run-dir', join(root, 'runs', dir), '--progress', 'none'];
  const one = await run([CLI, ...args('one')]);
  if (one.code !== 0) throw new Error(one.err);
  const two = await run([CLI, 'launch', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--', ...args('two')]);
  if (two.code !== 0) throw new Error(two.err);

  const a = join(root, 'runs', 'one', 'state.safetensors');
  const b = join(root, 'runs', 'two', 'state.safetensors');
  expect(tensorBytes(b).get('rng.cpu')).toEqual(tensorBytes(a).get('rng.cpu'));
  const weights = (path: string) => {
    const file = readSafetensors(path);
    const names = Object.keys(file.entries).filter((k) => !/^(optimizer|ema|rng|trainer)\./.test(k));
    return new Map(names.map((k) => [k, file.values(k)]));
  };
  // Other dropout masks on rank 1's half of each batch: far beyond the all-reduce's summation order (< 1e-6).
  expect(maxRelativeDifference(weights(a), weights(b))).toBeGreaterThan(1e-5);
}, 180_000);
