// A second Ctrl-C quits at once, by the signal itself, even while a native training step runs: no exit
// handlers or static destructors race the compute thread (process.exit there was seen to end in SIGSEGV).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { CLI, start } from '../launch/helpers.js';
import { tempDir, wavesRun, writeWaves } from '../train/fixtures.js';

let root: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('le-int2-'));
  await writeWaves(join(root, 'data'), { trajectories: { train: 4, valid: 2, test: 2 } });
});
afterAll(() => cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('Ctrl-C twice during training: the process ends by SIGINT, not by a crash', async () => {
  const preset = join(root, 'ae.yaml');
  writeFileSync(preset, stringify(wavesRun(join(root, 'data'), join(root, 'runs'))));
  const dir = join(root, 'runs', 'twice');
  // A wider autoencoder than the fixtures' (steps of ~0.1–0.5 s), so that the first Ctrl-C's graceful stop (finish
  // the step, save) cannot complete before the second arrives; on a quiet machine the tiny one's did, and the
  // process then exited 130 before the second signal.
  const { child, done } = start([CLI, 'train-ae', '--config', preset, '--run-dir', dir, '--progress', 'none', 'train.epochs=500', 'train.epoch_size=4', 'ae.hid_channels=[96, 192]', 'ae.hid_blocks=[3, 3]']);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  // Training has started (and its interrupt handler is listening) once the first checkpoint is written.
  for (let i = 0; i < 2400 && !existsSync(join(dir, 'state.json')); i++) await sleep(50);
  expect(existsSync(join(dir, 'state.json'))).toBe(true);
  child.kill('SIGINT');
  // the second Ctrl-C as soon as the first one is acknowledged, i.e. while the step it waits for runs
  for (let i = 0; i < 400 && !/interrupt: stopping after this step/.test(stderr); i++) await sleep(5);
  child.kill('SIGINT');
  const r = await done;
  expect({ code: r.code, signal: r.signal }).toEqual({ code: null, signal: 'SIGINT' });
  expect(r.err).toMatch(/interrupt: stopping after this step/);
}, 120_000);
