// torchrun --no-python starts the ranks (its agent hosts the rendezvous store): the same data-parallel steps as
// `launch`; with --max-restarts, a rank killed with SIGKILL makes torchrun restart the group, which resumes
// from the last checkpoint and finishes. Needs torch in a scratch venv (scripts/torchrun-venv.mjs makes it from the wheel on local disk,
// minutes of unpacking, so the test does not do it itself); skipped with a message when it is absent.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { tempDir, wavesRun, writeWaves } from '../train/fixtures.js';
import { CLI, freePort, maxRelativeDifference, run, start, tensorBytes, tensors } from './helpers.js';

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

/** The pids of `pid`'s descendants whose environment holds `RANK=<rank>` (torchrun's workers). */
function workerOfRank(pid: number, rank: number): number | undefined {
  const children = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const queue = children(pid);
  while (queue.length) {
    const p = queue.shift()!;
    try {
      if (readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`RANK=${rank}`) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('train-ae')) return p;
    } catch {
      // gone meanwhile
    }
    queue.push(...children(p));
  }
  return undefined;
}

(ready ? test : test.skip)('torchrun --max-restarts 1: kill -9 of one rank restarts the group, which resumes from the checkpoint and finishes', async () => {
  await writeWaves(join(dir, 'data'));
  const config = wavesRun(join(dir, 'data'), join(dir, 'runs')) as { train: Record<string, unknown> };
  config.train = { ...config.train, epochs: 8, epoch_size: 2, batch_size: 4, checkpoint_every: 1 };
  const preset = join(dir, 'restart.yaml');
  writeFileSync(preset, stringify(config));
  const runDir = join(dir, 'runs', 'restarted');
  const port = await freePort();
  // The same command line on every (re)start: --run-dir resumes from the checkpoint it holds.
  const torchrun = start([
    join(venv, 'bin', 'python'), '-m', 'torch.distributed.run', '--no-python', '--nproc-per-node', '2', '--max-restarts', '1', '--monitor-interval', '0.2',
    '--master-addr', '127.0.0.1', '--master-port', String(port),
    process.execPath, CLI, 'train-ae', '--config', preset, '--run-dir', runDir, '--progress', 'lines',
  ]);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let waited = 0; !existsSync(join(runDir, 'state.json')); waited += 50) {
    if (waited > 120_000) throw new Error('no checkpoint after 120 s');
    await sleep(50);
  }
  const victim = workerOfRank(torchrun.child.pid!, 1);
  expect(victim).toBeDefined();
  process.kill(victim!, 'SIGKILL');
  const r = await torchrun.done;
  if (r.code !== 0) throw new Error(`torchrun exited with ${r.code}: ${r.err.slice(-3000)}`);
  expect(r.err).toMatch(/torchrun restart 1 \(TORCHELASTIC_RESTART_COUNT=1\): 2 ranks rejoining/);
  expect(r.err).toMatch(new RegExp(`resuming from ${join(runDir, 'state.safetensors').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at epoch [1-7]`));
  const epochs = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { epoch: number }).epoch);
  expect(epochs).toEqual(Array.from({ length: 8 }, (_, k) => k));
  expect(JSON.parse(readFileSync(join(runDir, 'state.json'), 'utf8')).info.epoch).toBe(8);
  expect(readdirSync(runDir).filter((f) => f.includes('.tmp'))).toEqual([]);
}, 300_000);
