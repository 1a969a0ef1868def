// Pixel-space emulator runs (issue 6): a tiny denoiser and a tiny surrogate trained directly on the 16×16
// waves data (windows of pre-processed states, augmented on the fly, patched by the ViT): losses fall, run
// directory contents (cache.json with space 'pixel', data.json), bit-identical resumption, the fail-fast
// checks of the ae_run / dataset choice and of the data, and the CLI with the shipped pixel presets.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { WellWriter } from '../../lib/data/well-writer.js';
import { Denoiser } from '../../lib/models/denoiser.js';
import { Surrogate } from '../../lib/models/surrogate.js';
import { composeConfig, emulatorConfigYaml, emulatorRunConfig, readEmulatorRunConfig, resolveEmulatorConfig, type EmulatorRunKind } from '../../lib/train/config.js';
import { trainEmulator } from '../../lib/train/train-emulator.js';
import { runCli } from '../run-cli.js';
import { tempDir, WAVES, writeWaves, checkpointTensors as tensorsOf } from './fixtures.js';

const TINY_PIXEL_VIT = { name: 'tiny_pixel', hid_channels: 32, hid_blocks: 2, attention_heads: 2, ffn_factor: 2, emb_features: 16, dropout: 0.05, patch_size: [1, 4, 4] };

let root: string;
let cleanup: () => void;
let data: string;
beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('le-pixel-'));
  data = join(root, 'data');
  await writeWaves(data);
});
afterAll(() => cleanup());

const wavesDataset = () => ({ ...WAVES, fields: Object.fromEntries(WAVES.fields.map(({ name, ...f }) => [name, f])), root: data });

/** A raw pixel-space run over the waves data: 8 train / 2 valid trajectories of 8 steps → 32 / 8 windows of 5 at stride 1. */
function pixelRun(kind: EmulatorRunKind): Record<string, unknown> {
  return {
    name: `${kind}_pixel`,
    runs_dir: join(root, 'runs', kind),
    dataset: wavesDataset(),
    [kind === 'diffusion' ? 'denoiser' : 'surrogate']: TINY_PIXEL_VIT,
    optim: { learning_rate: 2e-3, scheduler: 'cosine', warmup: 2, grad_clip: 1 },
    train: { epochs: 2, epoch_size: 3, batch_size: 4, seed: 5, threads: 1 },
    valid: { epoch_size: 8, batch_size: 4 },
    trajectory: { length: 5, stride: 1 },
  };
}
const config = (kind: EmulatorRunKind, overrides: string[] = []) => resolveEmulatorConfig(composeConfig(pixelRun(kind), overrides, kind), kind);
const quiet = { progress: 'none' as const, log: () => {} };
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('configuration: dataset instead of ae_run, saved and read back', () => {
  const c = config('surrogate');
  expect(c.space).toBe('pixel');
  expect(c.ae_run).toBeNull();
  expect(c.cache).toBeNull();
  expect(c.dataset).toMatchObject({ name: 'waves', physics: ['waves'], root: data });
  expect(c.train.augment).toBe(true);
  const yaml = emulatorConfigYaml(c);
  expect(yaml).toMatch(/^dataset:/m);
  expect(yaml).not.toMatch(/^ae_run:|^cache:/m);
  const path = join(root, 'saved.yaml');
  writeFileSync(path, yaml);
  const back = readEmulatorRunConfig(path);
  expect(back).toEqual(c);
  // The latent form is unchanged.
  const latent = resolveEmulatorConfig(composeConfig(pixelRun('diffusion'), ['dataset=null', 'ae_run=runs/ae/x'], 'diffusion'), 'diffusion');
  expect(latent).toMatchObject({ space: 'latent', ae_run: 'runs/ae/x', cache: null, dataset: null });
  expect(emulatorConfigYaml(latent)).toMatch(/^name: diffusion_pixel\nruns_dir: .*\nae_run: runs\/ae\/x\ncache: null\ndenoiser:/);
  // Presets.
  for (const kind of ['surrogate', 'diffusion'] as const) {
    const p = emulatorRunConfig(kind, `${kind}_pixel_cpu`, ['dataset=euler_open', 'dataset.root=/data/well']);
    expect(p).toMatchObject({ space: 'pixel', ae_run: null, dataset: { name: 'euler_open', root: '/data/well' }, trajectory: { length: 5, stride: 4 } });
    expect(p.model).toMatchObject({ name: 'vit_pixel_cpu', patch_size: [1, 8, 8], window: 5 });
    expect(p.optim).toMatchObject({ optimizer: 'adamw', learning_rate: 1e-4, betas: [0.9, 0.99], weight_decay: 0, scheduler: 'cosine', grad_clip: 1 });
  }
  expect(emulatorRunConfig('surrogate', 'surrogate_pixel_cpu').dataset).toMatchObject({ name: 'euler_all', root: 'data' });
});

describe.each(['diffusion', 'surrogate'] as const)('%s in pixel space', (kind) => {
  test('trains on the data: losses fall, run directory, weights reload', async () => {
    const losses: number[] = [];
    let started: { trainItems: number; validItems: number; latentShape: number[]; space: string } | undefined;
    const r = await trainEmulator(config(kind, ['train.epochs=6', 'train.epoch_size=10', 'optim.learning_rate=3e-3', 'optim.scheduler=constant', 'optim.warmup=0']), {
      ...quiet,
      runDir: join(root, 'runs', kind, 'fit'),
      onStep: (s) => losses.push(s.loss),
      onStart: (s) => (started = s),
    });
    expect(started).toMatchObject({ trainItems: 32, validItems: 8, latentShape: [3, 16, 16], space: 'pixel' });
    expect(r.completed).toBe(true);
    expect(r.globalStep).toBe(60);
    expect(losses.every(Number.isFinite)).toBe(true);
    // The denoising loss is noisy per batch (random noise levels) and bounded below at high noise: compare
    // means, and the validation loss (fixed windows, masks, times and noise).
    expect(mean(losses.slice(-20))).toBeLessThan(0.9 * mean(losses.slice(0, 10)));
    const v = r.metrics.map((m) => m.valid_loss);
    expect(v.length).toBe(6);
    expect(v[5]!).toBeLessThan(0.95 * v[0]!);
    for (const f of ['config.yaml', 'cache.json', 'data.json', 'metrics.jsonl', 'state.safetensors', 'state.json', 'state_best.safetensors', 'state_best.json']) {
      expect({ f, exists: existsSync(join(r.dir, f)) }).toEqual({ f, exists: true });
    }
    expect(existsSync(join(r.dir, 'lock'))).toBe(false);
    expect(JSON.parse(readFileSync(join(r.dir, 'cache.json'), 'utf8'))).toEqual({
      space: 'pixel',
      cache: null,
      physics: ['waves'],
      ae_hash: '',
      compression_rate: 1,
      latent_shape: [3, 16, 16],
      label_features: 5,
      dataset: 'waves',
      root: data,
      channels: ['density', 'velocity_x', 'velocity_y'],
    });
    expect(JSON.parse(readFileSync(join(r.dir, 'data.json'), 'utf8'))).toEqual({
      space: 'pixel',
      dataset: 'waves',
      root: data,
      physics: ['waves'],
      channels: ['density', 'velocity_x', 'velocity_y'],
      spatial_shape: [16, 16],
      label_features: 5,
      trajectory: { length: 5, stride: 1 },
      augment: true,
    });
    const saved = readFileSync(join(r.dir, 'config.yaml'), 'utf8');
    expect(saved).toMatch(/^dataset:/m);
    expect(saved).toMatch(kind === 'diffusion' ? /^denoiser:/m : /^surrogate:/m);
    const Model = kind === 'diffusion' ? Denoiser : Surrogate;
    const best = await Model.fromWeights(join(r.dir, 'state_best.safetensors'));
    expect(best.config).toMatchObject({ channels: 3, spatial_shape: [16, 16], label_features: 5, window: 5, patch_size: [1, 4, 4] });
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
    expect(second.config.space).toBe('pixel');
    const a = tensorsOf(join(straight.dir, 'state.safetensors'));
    const b = tensorsOf(join(dir, 'state.safetensors'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, t] of a) expect({ k, equal: t.equals(b.get(k)!) }).toEqual({ k, equal: true });
    const lines = (d: string) => readFileSync(join(d, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines(dir).map((m) => [m.epoch, m.valid_loss, m.train_loss_mean])).toEqual(lines(straight.dir).map((m) => [m.epoch, m.valid_loss, m.train_loss_mean]));
  });
});

describe('bad input fails before any compute', () => {
  const expectFast = async (kind: EmulatorRunKind, overrides: string[], message: RegExp) => {
    const start = performance.now();
    await expect(trainEmulator(config(kind, overrides), quiet)).rejects.toThrow(message);
    expect(performance.now() - start).toBeLessThan(1000);
  };

  test('ae_run and dataset: exactly one', () => {
    expect(() => config('surrogate', ['ae_run=runs/ae/x'])).toThrow(/both ae_run and dataset are set; give ae_run \(latent space.*\) or dataset \(pixel space.*\), not both/);
    expect(() => config('diffusion', ['dataset=null'])).toThrow(/ae_run must be the autoencoder run directory .* or give dataset=NAME dataset.root=DIR to train in pixel space/);
    expect(() => config('diffusion', ['cache=/some/cache'])).toThrow(/cache = \/some\/cache but this is a pixel-space run/);
    expect(() => config('surrogate', ['dataset.root='])).toThrow(/dataset.root must be the data directory/);
    expect(() => config('surrogate', ['dataset.fieldz=1'])).toThrow(/did you mean 'dataset.fields'/);
    expect(() => emulatorRunConfig('surrogate', 'surrogate_pixel_cpu', ['dataset=nope'])).toThrow(/nope/);
  });

  test('missing data, shapes, patches, labels, oversized batches, short trajectories', async () => {
    await expectFast('surrogate', [`dataset.root=${join(root, 'nowhere')}`], /dataset.root .*nowhere does not exist \(set dataset.root=/);
    const noValid = join(root, 'no-valid');
    await writeWaves(noValid, { trajectories: { train: 2 } });
    await expectFast('surrogate', [`dataset.root=${noValid}`], /no 'valid' split of 'waves'/);
    await expectFast('diffusion', ['denoiser.patch_size=[1, 3, 3]'], /dataset waves's grid \(16×16\) must be tiled by the patches, but axis 0 of size 16 is not divisible by denoiser.patch_size 3/);
    await expectFast('surrogate', ['surrogate.patch_size=[1, 4, 5]'], /axis 1 of size 16 is not divisible by surrogate.patch_size 5/);
    await expectFast('surrogate', ['surrogate.patch_size=[1, 4]'], /surrogate.patch_size needs 3 entries \(time first\), got 2/);
    await expectFast('diffusion', ['denoiser.channels=4'], /denoiser.channels = 4 but dataset waves has 3 channels \(density, velocity_x, velocity_y\)/);
    await expectFast('surrogate', ['surrogate.spatial_shape=[8, 8]'], /surrogate.spatial_shape = \[8, 8\] but dataset waves's grid is 16×16/);
    await expectFast('surrogate', ['surrogate.spatial=3'], /surrogate.spatial = 3 but dataset waves is 2-D/);
    await expectFast('diffusion', ['denoiser.label_features=4'], /denoiser.label_features = 4 but dataset waves's labels have 5 features/);
    await expectFast('diffusion', ['train.batch_size=33'], /train.batch_size 33 is larger than the training set \(32 windows\)/);
    await expectFast('surrogate', ['valid.batch_size=9'], /valid.batch_size 9 is larger than the validation set \(8 windows\)/);
    await expectFast('diffusion', ['trajectory.stride=4'], /8 time steps are too few for windows of 5 states at stride 4/);
    expect(existsSync(join(root, 'runs', 'diffusion', 'diffusion_pixel'))).toBe(false);
  });

  test('a resumed run refuses data of another shape', async () => {
    const dir = join(root, 'runs', 'surrogate', 'changed');
    await trainEmulator(config('surrogate'), { ...quiet, runDir: dir, stopAfterSteps: 1 });
    const info = JSON.parse(readFileSync(join(dir, 'cache.json'), 'utf8'));
    writeFileSync(join(dir, 'cache.json'), JSON.stringify({ ...info, latent_shape: [3, 32, 32] }));
    await expect(trainEmulator(undefined, { ...quiet, resumeDir: dir })).rejects.toThrow(/the data changed since this run started \(states 3×32×32, 5 label features; now states 3×16×16, 5 label features\); start a new run/);
  });
});

/** A small Euler-like dataset in the layout of euler_open (5 channels, open boundaries, 16×16, 24 steps). */
async function writeEulerOpen(base: string): Promise<void> {
  const N = 16;
  const T = 24;
  for (const [split, B] of Object.entries({ train: 2, valid: 2 })) {
    const dir = join(base, 'datasets', 'euler_multi_quadrants_openBC', 'data', split);
    mkdirSync(dir, { recursive: true });
    const coords = Array.from({ length: N }, (_, i) => i / N);
    const w = await WellWriter.create(join(dir, 'euler_multi_quadrants_openBC_gamma_1.4_Dry_air_20.hdf5'), {
      datasetName: 'euler_multi_quadrants_openBC',
      nTrajectories: B,
      spatialDims: ['x', 'y'],
      coordinates: { x: coords, y: coords },
      time: Array.from({ length: T }, (_, t) => 0.01 * t),
      parameters: { gamma: 1.4 },
      fields: [{ name: 'energy' }, { name: 'density' }, { name: 'pressure' }, { name: 'momentum', order: 1 }],
      boundaryConditions: { x: 'OPEN', y: 'OPEN' },
    });
    for (let b = 0; b < B; b++) {
      const state = new Float32Array(T * 5 * N * N);
      for (let i = 0; i < state.length; i++) state[i] = 1 + 0.5 * Math.sin(0.37 * i + b);
      w.writeTrajectory(b, { data: state, shape: [T, 5, N, N] });
    }
    w.close();
  }
}

test('CLI: train-surrogate --config surrogate_pixel_cpu dataset=euler_open dataset.root=DIR (dry run, a step, errors)', async () => {
  const euler = join(root, 'euler');
  await writeEulerOpen(euler);
  const dry = await runCli('train-surrogate', '--config', 'surrogate_pixel_cpu', 'dataset=euler_open', `dataset.root=${euler}`, '--dry-run');
  expect(dry.err).toBe('');
  expect(dry.code ?? 0).toBe(0);
  expect(dry.out).toMatch(/^name: surrogate_pixel_cpu$/m);
  expect(dry.out).toMatch(/^dataset:\n {2}name: euler_open$/m);
  expect(dry.out).toMatch(/^ {2}root: .*euler$/m);
  expect(dry.out).toMatch(/^surrogate:\n {2}name: vit_pixel_cpu$/m);
  expect(dry.out).not.toMatch(/^ae_run:/m);

  const runDir = join(root, 'runs', 'cli-pixel');
  const trained = await runCli(
    'train-surrogate', '--config', 'surrogate_pixel_cpu', 'dataset=euler_open', `dataset.root=${euler}`,
    'train.epochs=1', 'train.epoch_size=1', 'train.threads=1', 'valid.epoch_size=16', '--run-dir', runDir, '--progress', 'none',
  );
  expect(trained.code ?? 0).toBe(0);
  expect(trained.err).toMatch(/pixel states 5×16×16, 16 train \/ 16 valid windows/);
  expect(trained.out.trim()).toBe(runDir);
  expect(JSON.parse(readFileSync(join(runDir, 'cache.json'), 'utf8'))).toMatchObject({ space: 'pixel', latent_shape: [5, 16, 16], label_features: 5, compression_rate: 1 });

  const both = await runCli('train-diffusion', '--config', 'diffusion_pixel_cpu', `dataset.root=${euler}`, 'ae_run=runs/ae/x', '--dry-run');
  expect(both.code).toBe(1);
  expect(both.err).toMatch(/both ae_run and dataset are set/);
  const patch = await runCli('train-diffusion', '--config', 'diffusion_pixel_cpu', 'dataset=euler_open', `dataset.root=${euler}`, 'denoiser.patch_size=[1, 6, 6]', '--dry-run');
  expect(patch.code).toBe(1);
  expect(patch.err).toMatch(/axis 0 of size 16 is not divisible by denoiser.patch_size 6/);
  const latent = await runCli('train-surrogate', '--config', 'surrogate_cpu', '--dry-run');
  expect(latent.code).toBe(1);
  expect(latent.err).toMatch(/ae_run must be the autoencoder run directory/);
});
