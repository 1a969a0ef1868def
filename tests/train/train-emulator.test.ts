// Latent emulator training runs end to end: a tiny autoencoder run → cache-latents → a tiny denoiser and a
// tiny surrogate trained on windows of the cache (losses fall), run directory contents, bit-identical
// resumption, fail-fast checks and the CLI.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { readSafetensors } from '../../lib/io/safetensors.js';
import { Denoiser } from '../../lib/models/denoiser.js';
import { Surrogate } from '../../lib/models/surrogate.js';
import { cacheLatents } from '../../lib/train/cache-latents.js';
import { composeConfig, emulatorRunConfig, resolveAeConfig, resolveEmulatorConfig, type EmulatorRunKind } from '../../lib/train/config.js';
import { trainAutoencoder } from '../../lib/train/train-ae.js';
import { trainEmulator } from '../../lib/train/train-emulator.js';
import { runCli } from '../run-cli.js';
import { tempDir, wavesRun, writeWaves, checkpointTensors as tensorsOf } from './fixtures.js';

const TINY_VIT = { name: 'tiny', hid_channels: 32, hid_blocks: 2, attention_heads: 2, ffn_factor: 2, emb_features: 16, dropout: 0.05 };

let root: string;
let cleanup: () => void;
let aeRun: string;
beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('le-emu-'));
  await writeWaves(join(root, 'data'));
  const ae = resolveAeConfig(composeConfig(wavesRun(join(root, 'data'), join(root, 'runs')), ['train.epochs=1', 'train.epoch_size=2']));
  aeRun = (await trainAutoencoder(ae, { progress: 'none', log: () => {}, runDir: join(root, 'runs', 'ae') })).dir;
  await cacheLatents(aeRun, { split: 'train', repeat: 1 });
  await cacheLatents(aeRun, { split: 'valid' });
});
afterAll(() => cleanup());

/** A raw emulator run over the AE run's cache: 8 train / 2 valid trajectories of 8 steps → 32 / 8 windows of 5 at stride 1. */
function emulatorRun(kind: EmulatorRunKind): Record<string, unknown> {
  return {
    name: kind,
    runs_dir: join(root, 'runs', kind),
    ae_run: aeRun,
    [kind === 'diffusion' ? 'denoiser' : 'surrogate']: TINY_VIT,
    optim: { learning_rate: 2e-3, scheduler: 'cosine', warmup: 2, grad_clip: 1 },
    train: { epochs: 2, epoch_size: 3, batch_size: 4, seed: 5, threads: 1 },
    valid: { epoch_size: 8, batch_size: 4 },
    trajectory: { length: 5, stride: 1 },
  };
}
const config = (kind: EmulatorRunKind, overrides: string[] = []) => resolveEmulatorConfig(composeConfig(emulatorRun(kind), overrides, kind), kind);
const quiet = { progress: 'none' as const, log: () => {} };
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe.each(['diffusion', 'surrogate'] as const)('%s', (kind) => {
  test('trains on the latent cache: losses fall, run directory, weights reload', async () => {
    const losses: number[] = [];
    let started: { trainItems: number; validItems: number; latentShape: number[] } | undefined;
    const r = await trainEmulator(config(kind, ['train.epochs=4', 'train.epoch_size=10', 'optim.scheduler=constant', 'optim.warmup=0']), {
      ...quiet,
      runDir: join(root, 'runs', kind, 'fit'),
      onStep: (s) => losses.push(s.loss),
      onStart: (s) => (started = s),
    });
    expect(started).toMatchObject({ trainItems: 32, validItems: 8, latentShape: [8, 8, 8] });
    expect(r.completed).toBe(true);
    expect(r.globalStep).toBe(40);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(mean(losses.slice(-10))).toBeLessThan(0.8 * mean(losses.slice(0, 5)));
    const v = r.metrics.map((m) => m.valid_loss);
    expect(v.length).toBe(4);
    expect(v[3]!).toBeLessThan(v[0]!);
    for (const f of ['config.yaml', 'cache.json', 'metrics.jsonl', 'state.safetensors', 'state.json', 'state_best.safetensors', 'state_best.json']) {
      expect({ f, exists: existsSync(join(r.dir, f)) }).toEqual({ f, exists: true });
    }
    expect(existsSync(join(r.dir, 'lock'))).toBe(false);
    const cache = JSON.parse(readFileSync(join(r.dir, 'cache.json'), 'utf8'));
    expect(cache).toMatchObject({ physics: ['waves'], latent_shape: [8, 8, 8], label_features: expect.any(Number) });
    expect(readFileSync(join(r.dir, 'config.yaml'), 'utf8')).toMatch(kind === 'diffusion' ? /^denoiser:/m : /^surrogate:/m);
    // state_best is plain weights with the config; state is a checkpoint that also loads as weights.
    const Model = kind === 'diffusion' ? Denoiser : Surrogate;
    const best = await Model.fromWeights(join(r.dir, 'state_best.safetensors'));
    expect(best.config.spatial_shape).toEqual([8, 8]);
    expect(best.config.window).toBe(5);
    const keys = Object.keys(readSafetensors(join(r.dir, 'state.safetensors')).entries);
    expect(keys.some((k) => k.startsWith('optimizer.'))).toBe(true);
    expect(keys.some((k) => k.startsWith('rng.'))).toBe(true);
    await best.loadWeights(join(r.dir, 'state.safetensors'));
  });

  test('N steps + interruption + resume = 2N steps straight, bit for bit', async () => {
    const straight = await trainEmulator(config(kind), { ...quiet, runDir: join(root, 'runs', kind, 'straight') });
    expect(straight.globalStep).toBe(6);
    const dir = join(root, 'runs', kind, 'interrupted');
    const first = await trainEmulator(config(kind), { ...quiet, runDir: dir, stopAfterSteps: 4 });
    expect(first.stopped).toBe(true);
    expect(first.globalStep).toBe(4);
    const second = await trainEmulator(undefined, { ...quiet, resumeDir: dir });
    expect(second.resumedFrom).toBe(join(dir, 'state.safetensors'));
    expect(second.completed).toBe(true);
    const a = tensorsOf(join(straight.dir, 'state.safetensors'));
    const b = tensorsOf(join(dir, 'state.safetensors'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, t] of a) expect({ k, equal: t.equals(b.get(k)!) }).toEqual({ k, equal: true });
    const lines = (d: string) => readFileSync(join(d, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines(dir).map((m) => [m.epoch, m.valid_loss, m.train_loss_mean])).toEqual(lines(straight.dir).map((m) => [m.epoch, m.valid_loss, m.train_loss_mean]));
  });
});

test('EMA (optim.ema_decay): the checkpoint keeps raw and averaged weights, state_best holds the averaged', async () => {
  // One epoch, so state and state_best come from the same step.
  const r = await trainEmulator(config('diffusion', ['optim.ema_decay=0.5', 'train.epochs=1', 'train.epoch_size=4']), { ...quiet, runDir: join(root, 'runs', 'diffusion', 'ema') });
  expect(r.completed).toBe(true);
  const state = tensorsOf(join(r.dir, 'state.safetensors'));
  const best = tensorsOf(join(r.dir, 'state_best.safetensors'));
  const params = [...best.keys()];
  expect(params.length).toBeGreaterThan(10);
  let differ = 0;
  for (const k of params) {
    // state_best's parameters are the checkpoint's ema.<name> copies (buffers, without one, the raw tensors),
    // which differ from the raw weights after 4 steps
    expect({ k, equal: best.get(k)!.equals(state.get(`ema.${k}`) ?? state.get(k)!) }).toEqual({ k, equal: true });
    if (!best.get(k)!.equals(state.get(k)!)) differ += 1;
  }
  expect(differ).toBeGreaterThan(params.length / 2);
});

describe('bad input fails before any compute', () => {
  const expectFast = async (kind: EmulatorRunKind, overrides: string[], message: RegExp) => {
    const start = performance.now();
    await expect(trainEmulator(config(kind, overrides), quiet)).rejects.toThrow(message);
    expect(performance.now() - start).toBeLessThan(1000);
  };
  test('missing run or cache, shape mismatches, oversized batches, short trajectories', async () => {
    await expectFast('diffusion', [`ae_run=${join(root, 'nowhere')}`], /ae_run .*nowhere does not exist/);
    await expectFast('diffusion', [`ae_run=${join(root, 'data')}`], /is not an autoencoder run/);
    await expectFast('diffusion', [`cache=${join(root, 'no-cache')}`], /no latent cache at .*no-cache: run `latent-emulator cache-latents/);
    await expectFast('diffusion', ['denoiser.channels=4'], /denoiser.channels = 4 but the latent cache has 8 channels/);
    await expectFast('surrogate', ['surrogate.spatial_shape=[4, 4]'], /surrogate.spatial_shape = \[4, 4\] but the latent states are 8×8/);
    await expectFast('surrogate', ['surrogate.spatial=3'], /surrogate.spatial = 3 but the latent cache is 2-D/);
    await expectFast('diffusion', ['denoiser.label_features=99'], /denoiser.label_features = 99 but the cached labels have/);
    await expectFast('diffusion', ['denoiser.patch_size=3'], /not divisible by denoiser.patch_size 3/);
    await expectFast('diffusion', ['train.batch_size=1000'], /train.batch_size 1000 is larger than the training set \(32 windows\)/);
    await expectFast('surrogate', ['valid.batch_size=100'], /valid.batch_size 100 is larger than the validation set \(8 windows\)/);
    await expectFast('diffusion', ['trajectory.stride=4'], /8 steps are too few for 5 states at stride 4/);
    expect(() => config('diffusion', ['denoiser.window=4'])).toThrow(/denoiser.window = 4 but trajectory.length = 5/);
    expect(() => config('diffusion', ['surrogate=vit_tiny_cpu'])).toThrow(/use train-surrogate/);
    expect(() => config('diffusion', ['trajectory.strid=2'])).toThrow(/did you mean 'trajectory.stride'/);
    expect(() => emulatorRunConfig('diffusion', 'diffusion_cpu')).toThrow(/ae_run must be the autoencoder run directory/);
    expect(existsSync(join(root, 'runs', 'diffusion', 'diffusion'))).toBe(false);
  });

  test('presets resolve with the reference settings', () => {
    for (const [kind, preset] of [['diffusion', 'diffusion'], ['diffusion', 'diffusion_cpu'], ['surrogate', 'surrogate_cpu'], ['surrogate', 'surrogate']] as const) {
      const c = emulatorRunConfig(kind, preset, ['ae_run=runs/ae/x']);
      expect(c.trajectory).toEqual({ length: 5, stride: 4 });
      expect(c.optim).toMatchObject({ optimizer: 'adamw', learning_rate: 1e-4, betas: [0.9, 0.99], weight_decay: 0, scheduler: 'cosine', grad_clip: 1 });
      expect(c.model.window).toBe(5);
    }
    expect(emulatorRunConfig('diffusion', 'diffusion', ['ae_run=x']).model.hid_channels).toBe(1024);
    expect(emulatorRunConfig('diffusion', 'diffusion_cpu', ['ae_run=x']).model.name).toBe('vit_tiny_cpu');
  });
});

const cli = runCli;

test('CLI: train-diffusion dry run and errors, train-surrogate run and resume', async () => {
  const preset = join(root, 'emu.yaml');
  const raw = emulatorRun('diffusion');
  writeFileSync(preset, stringify(raw));
  const dry = await cli('train-diffusion', '--config', preset, 'optim.learning_rate=3e-4', 'trajectory.length=4', '--dry-run');
  expect(dry.code ?? 0).toBe(0);
  expect(dry.out).toMatch(/learning_rate: 0.0003/);
  expect(dry.out).toMatch(/window: 4/);
  const bad = await cli('train-diffusion', '--config', preset, 'denoiser.hid_channel=64');
  expect(bad.code).toBe(1);
  expect(bad.err).toMatch(/did you mean 'denoiser.hid_channels'/);

  const { denoiser, ...rest } = raw;
  const surrogatePreset = join(root, 'sur.yaml');
  writeFileSync(surrogatePreset, stringify({ ...rest, surrogate: denoiser }));
  const runDir = join(root, 'runs', 'cli-surrogate');
  const trained = await cli('train-surrogate', '--config', surrogatePreset, 'train.epochs=1', '--run-dir', runDir, '--progress', 'lines');
  expect(trained.code ?? 0).toBe(0);
  expect(trained.err).toMatch(/latent states 8×8×8, 32 train \/ 8 valid windows/);
  expect(trained.out.trim()).toBe(runDir);
  const resumed = await cli('train-surrogate', '--resume', runDir);
  expect(resumed.code ?? 0).toBe(0);
  expect(resumed.err).toMatch(/finished at epoch 1, step 3/);
});
