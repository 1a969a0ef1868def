// torchrun --no-python starts the ranks (its agent hosts the rendezvous store): the same data-parallel steps as
// `launch`. Needs torch in a scratch venv (scripts/torchrun-venv.mjs makes it from the wheel on local disk,
// minutes of unpacking, so the test does not do it itself); skipped with a message when it is absent.
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { tempDir } from '../train/fixtures.js';
import { freePort, maxRelativeDifference, run, tensorBytes, tensors } from './helpers.js';

// scripts/torchrun-venv.mjs's location of the venv
const venv = join(process.env.LATENT_EMULATOR_CACHE ?? join(homedir(), '.cache', 'latent-emulator'), 'torchrun-venv');
const ready = existsSync(join(venv, 'ready'));
if (!ready) console.warn(`torchrun test skipped: no torch venv at ${venv} (make it with: node scripts/torchrun-venv.mjs)`);

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('le-torchrun-')));
afterAll(() => cleanup());

(ready ? test : test.skip)('torchrun --no-python --nproc-per-node 2: weights identical across ranks and equal to one process', async () => {
  const alone = join(dir, 'alone');
  const ranks = join(dir, 'torchrun');
  mkdirSync(alone);
  mkdirSync(ranks);
  const one = await run(['tests/launch/dp-worker.mjs'], { MODEL: 'ae', OUT: alone, STEPS: '3' });
  expect(one.code).toBe(0);
  const port = await freePort();
  const r = await run(
    [join(venv, 'bin', 'python'), '-m', 'torch.distributed.run', '--no-python', '--nproc-per-node', '2', '--master-addr', '127.0.0.1', '--master-port', String(port), process.execPath, 'tests/launch/dp-worker.mjs'],
    { MODEL: 'ae', OUT: ranks, STEPS: '3' },
  );
  if (r.code !== 0) throw new Error(`torchrun exited with ${r.code}: ${r.err.slice(-2000)}`);
  expect(tensorBytes(join(ranks, 'ae-rank1.safetensors'))).toEqual(tensorBytes(join(ranks, 'ae-rank0.safetensors')));
  expect(maxRelativeDifference(tensors(join(alone, 'ae-rank0.safetensors')), tensors(join(ranks, 'ae-rank0.safetensors')))).toBeLessThan(1e-4);
}, 180_000);
