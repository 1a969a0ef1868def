// Resuming with another number of ranks: a train-ae run checkpointed mid-epoch by 2 ranks resumes as one
// process (and one checkpointed by one process resumes on 2 ranks) from its consumed-sample count, i.e. the
// same global step of the one sample order every world size shares: the epochs, steps and metrics continue
// where they were, and the finished run equals the uninterrupted one up to the all-reduce's summation order
// (a sample of the interrupted epoch skipped or seen twice would move the weights far more than that).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { readSafetensors } from '../../lib/io/safetensors.js';
import { composeConfig, resolveAeConfig } from '../../lib/train/config.js';
import { trainAutoencoder } from '../../lib/train/train-ae.js';
import { tempDir, wavesRun, writeWaves } from '../train/fixtures.js';
import { CLI, freePort, maxRelativeDifference, run, start, tensorBytes } from './helpers.js';

const EPOCHS = 4;
const EPOCH_SIZE = 3;
const BATCH = 4;

let root: string;
let cleanup: () => void;
let preset: string;
let straight: { floats: Map<string, Float64Array>; counters: Map<string, string> };
const raw = () => {
  const config = wavesRun(join(root, 'data'), join(root, 'runs')) as { train: Record<string, unknown>; optim: Record<string, unknown>; ae: Record<string, unknown> };
  // No dropout: its masks are drawn per rank (README), the only draws that depend on the number of ranks.
  config.ae = { ...config.ae, dropout: 0 };
  config.train = { ...config.train, epochs: EPOCHS, epoch_size: EPOCH_SIZE, batch_size: BATCH, checkpoint_every: 1 };
  config.optim = { ...config.optim, ema_decay: 0.9 };
  return config;
};
const quiet = { progress: 'none' as const, log: () => {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A checkpoint's floating-point tensors (weights, moments, EMA) and, as raw bytes, its integer counters (optimizer and trainer steps); not the generator state. */
function checkpoint(path: string): { floats: Map<string, Float64Array>; counters: Map<string, string> } {
  const file = readSafetensors(path);
  const names = Object.keys(file.entries).filter((k) => !k.startsWith('rng.'));
  const isFloat = (k: string) => /^(F|BF)\d+$/.test(file.entries[k]!.dtype);
  const bytes = tensorBytes(path);
  return { floats: new Map(names.filter(isFloat).map((k) => [k, file.values(k)])), counters: new Map(names.filter((k) => !isFloat(k)).map((k) => [k, bytes.get(k)!])) };
}
const launch2 = async (args: string[]) => [CLI, 'launch', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--', 'train-ae', ...args, '--progress', 'none'];

beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('le-dp-world-'));
  await writeWaves(join(root, 'data'));
  preset = join(root, 'run.yaml');
  writeFileSync(preset, stringify(raw()));
  const done = await trainAutoencoder(resolveAeConfig(composeConfig(raw(), [])), { ...quiet, runDir: join(root, 'runs', 'straight') });
  straight = checkpoint(join(done.dir, 'state.safetensors'));
  expect(straight.counters.size).toBeGreaterThan(0);
}, 120_000);
afterAll(() => cleanup());

/** The finished run: every epoch's metrics once, the last position, weights/moments/EMA as the straight run's. */
function expectFinishedLikeStraight(dir: string): void {
  const epochs = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; step: number });
  expect(epochs.map((m) => m.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, k) => k));
  expect(epochs.map((m) => m.step)).toEqual(Array.from({ length: EPOCHS }, (_, k) => (k + 1) * EPOCH_SIZE));
  const info = (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { info: { epoch: number; step: number; global_step: number } }).info;
  expect(info).toMatchObject({ epoch: EPOCHS, step: 0, global_step: EPOCHS * EPOCH_SIZE });
  const resumed = checkpoint(join(dir, 'state.safetensors'));
  expect(resumed.counters).toEqual(straight.counters);  // optimizer and trainer step counts: every step taken once
  expect(maxRelativeDifference(straight.floats, resumed.floats)).toBeLessThan(1e-5);  // measured: 6e-8; one sample more or less: > 1e-3
}

test('checkpointed mid-epoch by 2 ranks, finished by one process: the same samples, the straight run', async () => {
  const dir = join(root, 'runs', 'two-then-one');
  const first = start(await launch2(['--config', preset, '--run-dir', dir]));
  while (!existsSync(join(dir, 'state.json'))) await sleep(50);
  first.child.kill('SIGINT');
  const stopped = await first.done;
  expect(stopped.code).toBe(130);
  const at = (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { info: { epoch: number; step: number; global_step: number } }).info;
  expect(at.global_step).toBeLessThan(EPOCHS * EPOCH_SIZE);
  expect(at.global_step).toBe(at.epoch * EPOCH_SIZE + at.step);

  const lines: string[] = [];
  await trainAutoencoder(undefined, { resumeDir: dir, progress: 'none', log: (l) => lines.push(l) });
  expect(lines.join('\n')).toContain(`resuming from ${join(dir, 'state.safetensors')} at epoch ${at.epoch}, step ${at.step} (global step ${at.global_step})`);
  expect(lines.join('\n')).toContain(`the checkpoint was written by 2 rank(s), this run has 1: it continues after the ${at.global_step * BATCH} samples consumed`);
  expectFinishedLikeStraight(dir);
}, 240_000);

test('checkpointed mid-epoch by one process, finished by 2 ranks', async () => {
  const dir = join(root, 'runs', 'one-then-two');
  const stopped = await trainAutoencoder(resolveAeConfig(composeConfig(raw(), [])), { ...quiet, runDir: dir, stopAfterSteps: EPOCH_SIZE + 1 });
  expect(stopped).toMatchObject({ stopped: true, epoch: 1 });
  const resumed = await run(await launch2(['--resume', dir]));
  if (resumed.code !== 0) throw new Error(resumed.err);
  expect(resumed.err).toContain(`at epoch 1, step 1 (global step ${EPOCH_SIZE + 1})`);
  expect(resumed.err).toContain(`the checkpoint was written by 1 rank(s), this run has 2: it continues after the ${(EPOCH_SIZE + 1) * BATCH} samples consumed`);
  expectFinishedLikeStraight(dir);
}, 240_000);
