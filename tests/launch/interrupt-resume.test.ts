// Ctrl-C on `launch` with 2 train-ae ranks: the ranks agree on the step to stop at, rank 0 saves, and a resume
// under the same launcher (same world size) ends bit-identical to a straight 2-rank run.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { tempDir, wavesRun, writeWaves } from '../train/fixtures.js';
import { CLI, freePort, run, start, tensorBytes } from './helpers.js';

let root: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('le-dp-int-'));
  await writeWaves(join(root, 'data'));
});
afterAll(() => cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const withoutRng = (m: Map<string, string>) => new Map([...m].filter(([k]) => !k.startsWith('rng.')));

test('interrupt + resume with the same world size = the straight run, bit for bit', async () => {
  const preset = join(root, 'run.yaml');
  const config = wavesRun(join(root, 'data'), join(root, 'runs')) as { train: Record<string, unknown>; optim: Record<string, unknown> };
  config.train = { ...config.train, epochs: 6, epoch_size: 2, batch_size: 4, checkpoint_every: 1 };
  config.optim = { ...config.optim, ema_decay: 0.9 };
  writeFileSync(preset, stringify(config));
  const launch = async (args: string[]) => [CLI, 'launch', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--', 'train-ae', ...args, '--progress', 'none'];

  const straight = await run(await launch(['--config', preset, '--run-dir', join(root, 'runs', 'straight')]));
  if (straight.code !== 0) throw new Error(straight.err);

  const dir = join(root, 'runs', 'interrupted');
  const first = start(await launch(['--config', preset, '--run-dir', dir]));
  while (!existsSync(join(dir, 'state.json'))) await sleep(50);
  first.child.kill('SIGINT');
  const stopped = await first.done;
  expect(stopped.code).toBe(130); // stopped early after saving, as a single process (128 + SIGINT)
  expect(stopped.err).toMatch(/stopped at epoch \d, step \d+/);
  expect(stopped.err).not.toMatch(/finished/);

  const resumed = await run(await launch(['--resume', dir]));
  if (resumed.code !== 0) throw new Error(resumed.err);
  expect(resumed.err).toMatch(/resuming from/);
  expect(withoutRng(tensorBytes(join(dir, 'state.safetensors')))).toEqual(withoutRng(tensorBytes(join(root, 'runs', 'straight', 'state.safetensors'))));
}, 240_000);
