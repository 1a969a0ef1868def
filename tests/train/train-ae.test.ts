// Autoencoder training runs end to end on a small generated dataset: bit-identical resumption after an
// interruption, fallback from a corrupt checkpoint, fail-fast checks, convergence, and latent caching.
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { LatentCacheFile } from '../../lib/data/latent-cache.js';
import { readSafetensors } from '../../lib/io/safetensors.js';
import { cacheLatents } from '../../lib/train/cache-latents.js';
import { composeConfig, resolveAeConfig } from '../../lib/train/config.js';
import { trainAutoencoder } from '../../lib/train/train-ae.js';
import { Autoencoder } from '../../lib/models/autoencoder.js';
import { WellDataset } from '../../lib/data/dataset.js';
import { tempDir, TINY_AE, WAVES, wavesRun, writeWaves, checkpointTensors as stateOf } from './fixtures.js';
import { runCli } from '../run-cli.js';

let root: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir());
  await writeWaves(join(root, 'data'));
});
afterAll(() => cleanup());

const config = (overrides: string[] = []) => resolveAeConfig(composeConfig(wavesRun(join(root, 'data'), join(root, 'runs')), overrides));
const quiet = { progress: 'none' as const, log: () => {} };


describe('resumption', () => {
  // 2 epochs × 3 steps with dropout, EMA, warm-up and cosine: 6 steps straight vs 4 + stop + 2.
  const overrides = ['optim.ema_decay=0.9', 'train.epochs=2', 'train.epoch_size=3'];

  test('N steps + interruption + resume = 2N steps straight, bit for bit', async () => {
    const straight = await trainAutoencoder(config(overrides), { ...quiet, runDir: join(root, 'runs', 'straight') });
    expect(straight.completed).toBe(true);
    expect(straight.globalStep).toBe(6);

    const dir = join(root, 'runs', 'interrupted');
    const first = await trainAutoencoder(config(overrides), { ...quiet, runDir: dir, stopAfterSteps: 4 });
    expect(first.stopped).toBe(true);
    expect(first.globalStep).toBe(4);
    const second = await trainAutoencoder(undefined, { ...quiet, resumeDir: dir });
    expect(second.resumedFrom).toBe(join(dir, 'state.safetensors'));
    expect(second.completed).toBe(true);

    const a = stateOf(join(straight.dir, 'state.safetensors'));
    const b = stateOf(join(dir, 'state.safetensors'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    expect([...a.keys()].some((k) => k.startsWith('ema.'))).toBe(true);
    expect([...a.keys()].some((k) => k.startsWith('optimizer.'))).toBe(true);
    for (const [k, v] of a) expect({ k, equal: v.equals(b.get(k)!) }).toEqual({ k, equal: true });
    // metrics: one line per epoch, same validation losses
    const lines = (d: string) => readFileSync(join(d, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const ma = lines(straight.dir);
    const mb = lines(dir);
    expect(ma.length).toBe(2);
    expect(mb.map((m) => [m.epoch, m.valid_loss, m.train_loss_mean])).toEqual(ma.map((m) => [m.epoch, m.valid_loss, m.train_loss_mean]));
    for (const key of ['train_loss_std', 'grad_norm_mean', 'lr', 'samples_per_s', 'elapsed', 'outside_share']) expect(typeof ma[0][key]).toBe('number');
    expect(existsSync(join(dir, 'state_best.safetensors'))).toBe(true);
    expect(existsSync(join(dir, 'config.yaml'))).toBe(true);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  test('a corrupt last checkpoint is reported and the previous good one used', async () => {
    const dir = join(root, 'runs', 'corrupt');
    await trainAutoencoder(config(['train.epochs=3', 'train.epoch_size=2']), { ...quiet, runDir: dir, stopAfterSteps: 4 });
    // state = after epoch 2 (step 4), state.prev = after epoch 1 (step 2); kill -9 mid-write truncates:
    truncateSync(join(dir, 'state.safetensors'), 1000);
    const messages: string[] = [];
    const r = await trainAutoencoder(undefined, { progress: 'none', log: (l) => messages.push(l), resumeDir: dir });
    expect(messages.join('\n')).toMatch(/rejected checkpoint .*state.safetensors: truncated/);
    expect(r.resumedFrom).toBe(join(dir, 'state.prev.safetensors'));
    expect(r.completed).toBe(true);
    const epochs = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch);
    expect(epochs).toEqual([0, 1, 2]);
  });

  test('a locked run directory is refused', async () => {
    const dir = join(root, 'runs', 'locked');
    const controller = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const first = trainAutoencoder(config(['train.epochs=100']), { ...quiet, runDir: dir, signal: controller.signal, onStart: () => started() });
    await running;
    await expect(trainAutoencoder(undefined, { ...quiet, resumeDir: dir })).rejects.toThrow(/in use by process/);
    controller.abort();
    const r = await first;
    expect(r.stopped).toBe(true);
    expect(r.completed).toBe(false);
    // stopped cleanly after saving: resumable
    expect(existsSync(join(dir, 'state.json'))).toBe(true);
  });
});

describe('bad input fails before any compute', () => {
  const expectFast = async (overrides: string[], message: RegExp) => {
    const start = performance.now();
    await expect(trainAutoencoder(config(overrides), quiet)).rejects.toThrow(message);
    expect(performance.now() - start).toBeLessThan(1000);
  };
  test('missing data, wrong channels, indivisible grid, oversized batches', async () => {
    await expectFast([`dataset.root=${join(root, 'nowhere')}`], /does not exist/);
    await expectFast(['ae.pix_channels=5'], /ae.pix_channels = 5 but dataset waves has 3 channels/);
    await expectFast(['ae.hid_channels=[4,4,4,4,4,4]', 'ae.hid_blocks=[1,1,1,1,1,1]'], /not divisible by the autoencoder's downsampling r = 32/);
    await expectFast(['train.batch_size=1000'], /train.batch_size 1000 is larger than the training set \(64 states\)/);
    await expectFast(['valid.batch_size=100'], /valid.batch_size 100 is larger than the validation set/);
    await expectFast(['dataset.physics=[nope]'], /no 'train' split of 'nope'/);
    expect(existsSync(join(root, 'runs', 'test'))).toBe(false);
  });
});

describe('convergence and latent caching', () => {
  let runDir: string;
  test('a small autoencoder reaches validation VRMSE < 0.3 in a few hundred steps', async () => {
    const r = await trainAutoencoder(
      config(['train.epochs=6', 'train.epoch_size=50', 'train.batch_size=8', 'optim.learning_rate=3e-3', 'optim.warmup=10', 'valid.epoch_size=16', 'ae.dropout=0']),
      { ...quiet, runDir: join(root, 'runs', 'converge') },
    );
    runDir = r.dir;
    const valid = r.metrics.map((m) => m.valid_loss);
    process.stderr.write(`waves AE, 300 steps: validation VRMSE per epoch ${valid.map((v) => v.toFixed(3)).join(' ')}\n`);
    expect(valid[valid.length - 1]!).toBeLessThan(0.3);
    expect(r.bestValidLoss).toBeLessThan(0.3);
    expect(valid[valid.length - 1]!).toBeLessThan(valid[0]! + 1e-9);
    const best = readSafetensors(join(r.dir, 'state_best.safetensors'));
    expect(Object.keys(best.entries).some((k) => k.startsWith('optimizer.'))).toBe(false);
  });

  test('cache-latents: every trajectory encoded, train split with distinct augmentations', async () => {
    const valid = await cacheLatents(runDir, { split: 'valid' });
    expect(valid.files).toEqual([join(runDir, 'cache', 'waves', 'valid', 'waves.hdf5')]);
    expect(valid.latentShape).toEqual([8, 8, 8]);
    const f = await LatentCacheFile.open(valid.files[0]!);
    expect(f.stateShape).toEqual([2, 8, 8, 8, 8]);
    expect(f.meta.repeat).toBe(1);
    expect(f.meta.compressionRate).toBe(1.5);
    // the cached latents are the encoder's output for the (pre-processed) trajectory
    const ae = Autoencoder.create({ ...TINY_AE, dropout: 0, pix_channels: 3 }).eval();
    await ae.loadWeights(join(runDir, 'state.safetensors'));
    const ds = await WellDataset.open({ root: join(root, 'data'), split: 'valid', config: WAVES, steps: 8, stride: 1 });
    const x = ds.item(1).state;
    ds.close();
    const z = (await ae.encode({ data: x.data, shape: [8, 3, 16, 16] })).dataSync() as Float32Array;
    const cached = f.readWindow(1, 0, 8).data;
    let worst = 0;
    for (let i = 0; i < z.length; i++) worst = Math.max(worst, Math.abs(z[i]! - cached[i]!));
    expect(worst).toBeLessThan(1e-5);
    f.close();
    const train = await cacheLatents(runDir, { split: 'train', repeat: 2, batch: 3 });
    const t = await LatentCacheFile.open(train.files[0]!, { compressionRate: 1.5 });
    expect(t.stateShape).toEqual([16, 8, 8, 8, 8]);
    const w0 = t.readWindow(0, 0, 8).data;
    const w1 = t.readWindow(1, 0, 8).data;
    expect(w0.some((v, i) => v !== w1[i])).toBe(true);
    t.close();
  });
});

const cli = runCli;

test('CLI: train-ae with a preset file and overrides, dry runs, errors, then cache-latents', async () => {
  const preset = join(root, 'waves_run.yaml');
  writeFileSync(preset, stringify(wavesRun(join(root, 'data'), join(root, 'runs'))));
  const dry = await cli('train-ae', '--config', preset, 'optim.learning_rate=1e-5', 'ae.lat_channels=4', '--dry-run');
  expect(dry.code ?? 0).toBe(0);
  expect(dry.out).toMatch(/learning_rate: 0.00001/);
  expect(dry.out).toMatch(/lat_channels: 4/);
  const bad = await cli('train-ae', '--config', preset, 'optim.learning_rat=1e-5');
  expect(bad.code).toBe(1);
  expect(bad.err).toMatch(/did you mean 'optim.learning_rate'/);
  const runDir = join(root, 'runs', 'cli');
  const trained = await cli('train-ae', '--config', preset, 'train.epochs=1', '--run-dir', runDir, '--progress', 'lines');
  expect(trained.code ?? 0).toBe(0);
  expect(trained.err).toMatch(/epoch 1\/1 step 3: train .* valid/);
  expect(trained.out.trim()).toBe(runDir);
  const cached = await cli('cache-latents', runDir, '--split', 'test');
  expect(cached.code ?? 0).toBe(0);
  expect(cached.out.trim()).toBe(join(runDir, 'cache', 'waves', 'test', 'waves.hdf5'));
});
