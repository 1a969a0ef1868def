// Command-line behaviour under faults: an interrupted training run saves and exits 130 (every training
// command), a device that cannot be used is refused by --dry-run and by the real run before a run directory
// is made.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { native } from '../../lib/native/loader.js';
import { cacheLatents } from '../../lib/train/cache-latents.js';
import { runCli } from '../run-cli.js';
import { tempDir, wavesRun, writeWaves } from '../train/fixtures.js';

const TINY_VIT = { name: 'tiny', hid_channels: 16, hid_blocks: 1, attention_heads: 2, ffn_factor: 2, emb_features: 8, dropout: 0 };

let root: string;
let cleanup: () => void;
let preset: string;
beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('le-exits-'));
  await writeWaves(join(root, 'data'), { trajectories: { train: 4, valid: 2, test: 2 } });
  preset = join(root, 'ae.yaml');
  writeFileSync(preset, stringify(wavesRun(join(root, 'data'), join(root, 'runs'))));
});
afterAll(() => cleanup());

/** Runs the CLI and, once the command listens for SIGINT (training has started), sends it one. */
async function interrupted(...args: string[]) {
  const before = process.listenerCount('SIGINT');
  const poll = setInterval(() => {
    if (process.listenerCount('SIGINT') > before) {
      clearInterval(poll);
      process.emit('SIGINT', 'SIGINT');
    }
  }, 5);
  try {
    return await runCli(...args);
  } finally {
    clearInterval(poll);
  }
}

const hasCheckpoint = (dir: string) => readdirSync(dir).some((f) => f.startsWith('state'));

test('train-ae, train-diffusion, train-surrogate: Ctrl-C saves the run and exits 130', async () => {
  const aeDir = join(root, 'runs', 'ae-int');
  const ae = await interrupted('train-ae', '--config', preset, '--run-dir', aeDir, '--progress', 'none', 'train.epochs=50', 'train.epoch_size=2');
  expect(ae.err).toMatch(/stopped at epoch \d+, step \d+/);
  expect(ae.err).not.toMatch(/finished/);
  expect(ae.code).toBe(130);
  expect(hasCheckpoint(aeDir)).toBe(true);
  // The interrupted run is a usable autoencoder run for the emulators.
  await cacheLatents(aeDir, { split: 'train', repeat: 1 });
  await cacheLatents(aeDir, { split: 'valid' });
  for (const kind of ['diffusion', 'surrogate'] as const) {
    const config = join(root, `${kind}.yaml`);
    writeFileSync(
      config,
      stringify({
        name: kind,
        runs_dir: join(root, 'runs', kind),
        ae_run: aeDir,
        [kind === 'diffusion' ? 'denoiser' : 'surrogate']: TINY_VIT,
        optim: { learning_rate: 1e-3, scheduler: 'constant', grad_clip: 1 },
        train: { epochs: 50, epoch_size: 2, batch_size: 2, seed: 1, threads: 1 },
        valid: { epoch_size: 2, batch_size: 2 },
        trajectory: { length: 3, stride: 1 },
      }),
    );
    const dir = join(root, 'runs', `${kind}-int`);
    const r = await interrupted(`train-${kind}`, '--config', config, '--run-dir', dir, '--progress', 'none');
    expect([kind, r.code]).toEqual([kind, 130]);
    // Which epoch the interrupt lands in depends on the machine's load; that it stopped early does not.
    expect(r.err).toMatch(/stopped at epoch \d+, step \d+/);
    expect(r.err).not.toMatch(/finished/);
    expect(hasCheckpoint(dir)).toBe(true);
  }
  // A run that is not interrupted still exits 0.
  const done = await runCli('train-ae', '--config', preset, '--run-dir', join(root, 'runs', 'ae-done'), '--progress', 'none', 'train.epochs=1', 'train.epoch_size=1');
  expect(done.code ?? 0).toBe(0);
}, 120_000);

const badDevices: Array<[string, RegExp]> = [
  ['tpu', /unknown device 'tpu'/],
  ['cpu:1', /unknown device 'cpu:1'/],
];
if (!native().info().cudaAvailable) badDevices.push(['cuda:0', /device 'cuda:0' needs CUDA, which is not available here/]);

test.each(badDevices)('train.device=%s is refused by --dry-run and by the real run, which makes no run directory', async (device: string, message: RegExp) => {
  const dry = await runCli('train-ae', '--config', preset, `train.device=${device}`, '--dry-run');
  expect(dry.code).toBe(1);
  expect(dry.err).toMatch(message);
  const runDir = join(root, 'runs', `bad-${device.replace(':', '-')}`);
  const real = await runCli('train-ae', '--config', preset, `train.device=${device}`, '--run-dir', runDir, '--progress', 'none');
  expect(real.code).toBe(1);
  expect(real.err).toMatch(message);
  expect(existsSync(runDir)).toBe(false);
});
