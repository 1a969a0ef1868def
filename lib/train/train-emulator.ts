// Emulator training runs (spec §4.2–4.6): `trainEmulator(config, options)` is what
// `latent-emulator train-diffusion` and `train-surrogate` call. The data are windows of
// `trajectory.length` states every `trajectory.stride` steps of either
// - (latent space, `ae_run`) the latent cache that an autoencoder run wrote
//   (`<ae_run>/cache/<physics>/{train,valid}/`, see cache-latents), with the cached labels; the autoencoder
//   itself is not in the loop; or
// - (pixel space, `dataset`) the pre-processed Well data read directly (train split augmented on the fly
//   when `train.augment`, valid split not), the ViT patching the full-resolution states (spec §4.5).
//
//   const run = await trainEmulator(emulatorRunConfig('diffusion', 'diffusion_cpu', ['ae_run=runs/ae/x']));
//   const pix = await trainEmulator(emulatorRunConfig('surrogate', 'surrogate_pixel_cpu', ['dataset.root=data']));
//   // → runs/<kind>/<name>_<time>_<id>/{config.yaml, cache.json, metrics.jsonl, state.*, state_best.*}
//   //   (pixel runs also data.json)
//
// Everything that can be wrong with the configuration, the cache or the data is checked before any compute.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { listWellFiles, WellDataset } from '../data/dataset.js';
import { configHash, LatentCacheFile, type LatentCacheExpect } from '../data/latent-cache.js';
import { LatentDataset } from '../data/latent-dataset.js';
import type { WindowDataset } from '../data/source.js';
import { Rng } from '../data/rng.js';
import { createEmulator as createRunEmulator } from '../models/create-emulator.js';
import type { EmulatorModel } from '../models/emulator-model.js';
import { optimizerOptionsOf } from '../models/schemas.js';
import type { ViTConfigInput } from '../models/vit-config.js';
import { joinProcessGroup } from '../launch/process-group.js';
import { agreedStop, groupLoopSettings, localBatchSize, openGroupRunDir, sharedValidationMean } from '../launch/run-group.js';
import { getNumThreads, manualSeed, setNumThreads } from '../runtime.js';
import { BatchStream, fixedBatchShare } from './batches.js';
import { emulatorConfigYaml, modelSection, readEmulatorRunConfig, readRunConfig, type EmulatorRunConfig, type EmulatorSpace } from './config.js';
import { runLoopSettings, trainLoop, type LoopResult, type RunOptions } from './loop.js';
import { openTrainValid } from './train-valid.js';
import { checkDeviceUsable } from '../util/device-check.js';

export type TrainEmulatorOptions = RunOptions<{
  dir: string;
  config: EmulatorRunConfig;
  trainItems: number;
  validItems: number;
  parameters: number;
  /** (C, *space) of one state the model sees: latent (latent runs) or pixel (pixel runs). */
  latentShape: number[];
  space: EmulatorSpace;
}>;

export interface TrainEmulatorResult extends LoopResult {
  dir: string;
  config: EmulatorRunConfig;
}

/**
 * What the run was started on (`cache.json` in the run directory); a resumed run refuses another cache or
 * data of another shape. Latent runs write exactly the first seven keys below, without `space`. Pixel runs
 * write `space: 'pixel'`, `cache: null`, `ae_hash: ''`, `compression_rate: 1`, `latent_shape` = the pixel
 * state (C, *grid), plus `dataset`, `root` and `channels`; readers tell them apart by `space` (absent means
 * 'latent') or `cache === null`.
 */
export interface CacheInfo {
  /** 'pixel' for runs on the Well data directly; absent (or 'latent') for runs on a latent cache. */
  space?: EmulatorSpace;
  /** The latent cache directory; null for pixel runs. */
  cache: string | null;
  physics: string[];
  /** sha256 of the autoencoder weights that encoded the cache; '' for pixel runs. */
  ae_hash: string;
  /** Pixel values per latent value; 1 for pixel runs. */
  compression_rate: number;
  /** (C, *space) of one state the emulator sees: latent for latent runs, pixel (C = the dataset's channels) for pixel runs. */
  latent_shape: number[];
  label_features: number;
  /** Pixel runs: the dataset configuration's name, the data directory and the channel names. */
  dataset?: string;
  root?: string;
  channels?: string[];
}

/** `data.json` of a pixel run: what it was trained on. */
export interface PixelDataInfo {
  space: 'pixel';
  dataset: string;
  root: string;
  physics: string[];
  channels: string[];
  spatial_shape: number[];
  label_features: number;
  trajectory: { length: number; stride: number };
  augment: boolean;
}

export interface OpenedEmulatorData {
  train: WindowDataset;
  valid: WindowDataset;
  cache: CacheInfo;
  /** Pixel runs: `data.json`. */
  data?: PixelDataInfo;
  close(): void;
}

const cacheHint = (aeRun: string, split: string) => `run \`latent-emulator cache-latents ${aeRun} --split ${split}\` first`;

/**
 * Opens the train and valid windows (of the autoencoder run's latent cache, or of the dataset for pixel
 * runs) and checks the configuration against them: no compute is spent before this passes. `expectAeHash`
 * (resumption of a latent run) refuses a cache re-encoded since the run started.
 */
export async function checkEmulatorRun(config: EmulatorRunConfig, expectAeHash?: string): Promise<OpenedEmulatorData> {
  checkDeviceUsable(config.train.device); // before any data is opened or a run directory made
  return config.space === 'pixel' ? checkPixelRun(config) : checkLatentRun(config, expectAeHash);
}

async function checkLatentRun(config: EmulatorRunConfig, expectAeHash?: string): Promise<OpenedEmulatorData> {
  if (config.ae_run === null) throw new Error('a latent-space emulator run needs ae_run');
  const aeDir = resolve(config.ae_run);
  if (!existsSync(aeDir)) throw new Error(`ae_run ${aeDir} does not exist (set ae_run=runs/ae/NAME, an autoencoder run directory)`);
  if (!existsSync(join(aeDir, 'config.yaml'))) throw new Error(`ae_run ${aeDir} is not an autoencoder run (no config.yaml)`);
  const ae = readRunConfig(join(aeDir, 'config.yaml'));
  const root = resolve(config.cache ?? join(aeDir, 'cache'));
  if (!existsSync(root)) throw new Error(`no latent cache at ${root}: ${cacheHint(config.ae_run, 'train')} (and --split valid)`);
  const physics = ae.dataset.physics;
  for (const split of ['train', 'valid']) {
    for (const p of physics) {
      const dir = join(root, p, split);
      if (!existsSync(dir) || listWellFiles(dir).length === 0) throw new Error(`no cached '${split}' split of '${p}' in ${root}: ${cacheHint(config.ae_run, split)}`);
    }
  }
  // Both splits must come from the same autoencoder weights and the AE run's dataset configuration.
  const { root: _root, ...datasetConfig } = ae.dataset;
  const first = await LatentCacheFile.open(listWellFiles(join(root, physics[0]!, 'train'))[0]!);
  const aeHash = first.meta.aeHash;
  const compressionRate = first.meta.compressionRate;
  first.close();
  if (expectAeHash !== undefined && expectAeHash !== aeHash)
    throw new Error(`the latent cache in ${root} was re-encoded (autoencoder weights ${aeHash.slice(0, 12)}…) since this run started on ${expectAeHash.slice(0, 12)}…; start a new run`);
  const expect: LatentCacheExpect = { aeHash, datasetConfigHash: configHash(datasetConfig) };
  const { length: steps, stride } = config.trajectory;
  const { train, valid, close } = await openTrainValid((split) => LatentDataset.open({ root, physics, split, steps, stride, expect }));
  try {
    const [, C, ...space] = train.stateShape;
    const [, vC, ...vSpace] = valid.stateShape;
    if (vC !== C || vSpace.join() !== space.join()) throw new Error(`the train and valid caches differ in latent shape (${[C, ...space].join('×')} vs ${[vC, ...vSpace].join('×')})`);
    const labelFeatures = train.item(0).label.data.length;
    checkAgainstData(config, train, valid, {
      C: C!,
      space,
      labelFeatures,
      states: "the latent cache's states are",
      channels: `the latent cache has ${C} channels`,
      rank: 'the latent cache is',
      shape: 'the latent states are',
      labels: 'the cached labels have',
      axis: 'latent axis',
    });
    return {
      train,
      valid,
      cache: { cache: root, physics, ae_hash: aeHash, compression_rate: compressionRate, latent_shape: [C!, ...space], label_features: labelFeatures },
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}

/** How checkAgainstData words its errors (the latent messages are unchanged since issue 6). */
interface DataWords {
  C: number;
  space: number[];
  labelFeatures: number;
  states: string;
  channels: string;
  rank: string;
  shape: string;
  labels: string;
  axis: string;
}

/** The model section, patching, batch sizes and unsupported options against the opened data. */
function checkAgainstData(config: EmulatorRunConfig, train: WindowDataset, valid: WindowDataset, w: DataWords): void {
  const { C, space, labelFeatures } = w;
  const section = modelSection(config.kind);
  const m = config.model;
  if (space.length < 1 || space.length > 3) throw new Error(`${w.states} ${space.length}-D (${space.join('×')}); emulators take 1-, 2- or 3-D states`);
  if (m.channels !== undefined && m.channels !== C) throw new Error(`${section}.channels = ${m.channels} but ${w.channels}`);
  if (m.spatial !== undefined && m.spatial !== space.length) throw new Error(`${section}.spatial = ${m.spatial} but ${w.rank} ${space.length}-D (${space.join('×')})`);
  if (m.spatial_shape !== undefined && m.spatial_shape.join() !== space.join())
    throw new Error(`${section}.spatial_shape = [${m.spatial_shape.join(', ')}] but ${w.shape} ${space.join('×')}`);
  if (m.label_features !== undefined && m.label_features !== labelFeatures) throw new Error(`${section}.label_features = ${m.label_features} but ${w.labels} ${labelFeatures} features`);
  const patch = Array.isArray(m.patch_size) ? m.patch_size : [m.patch_size, ...space.map(() => m.patch_size as number)];
  if (patch.length !== space.length + 1) throw new Error(`${section}.patch_size needs ${space.length + 1} entries (time first), got ${patch.length}`);
  space.forEach((s, i) => {
    if (s % patch[i + 1]! !== 0) throw new Error(`${w.axis} ${i} of size ${s} is not divisible by ${section}.patch_size ${patch[i + 1]}`);
  });
  if (config.train.accumulate !== 1) throw new Error(`train.accumulate = ${config.train.accumulate}: gradient accumulation is not supported for emulators yet (use 1)`);
  if (config.train.batch_size > train.length) throw new Error(`train.batch_size ${config.train.batch_size} is larger than the training set (${train.length} windows)`);
  if (config.valid.batch_size > valid.length) throw new Error(`valid.batch_size ${config.valid.batch_size} is larger than the validation set (${valid.length} windows)`);
}

/**
 * Pixel space: opens `trajectory.length`-state windows at `trajectory.stride` of the dataset's train split
 * (with its random augmentations when `train.augment`) and valid split (without), pre-processed as for the
 * autoencoder, and checks the configuration against them.
 */
async function checkPixelRun(config: EmulatorRunConfig): Promise<OpenedEmulatorData> {
  if (config.dataset === null) throw new Error('a pixel-space emulator run needs a dataset');
  const root = resolve(config.dataset.root);
  if (!existsSync(root)) throw new Error(`dataset.root ${root} does not exist (set dataset.root=/path/to/data)`);
  const { root: _root, ...datasetConfig } = config.dataset;
  const { length: steps, stride } = config.trajectory;
  const { train, valid, close } = await openTrainValid((split) =>
    WellDataset.open({ root, split, config: datasetConfig, steps, stride, augment: split === 'train' && config.train.augment, seed: config.train.seed }),
  );
  try {
    const name = datasetConfig.name;
    const space = train.spatialShape;
    const C = train.channels.length;
    if (valid.spatialShape.join() !== space.join()) throw new Error(`dataset ${name}: the train and valid grids differ (${space.join('×')} vs ${valid.spatialShape.join('×')})`);
    // Labels as the model sees them: from the un-augmented first window of each split (augmentation only
    // reorders the boundary codes).
    const labelFeatures = train.item(0, new Rng('labels')).label.data.length;
    const validLabels = valid.item(0, new Rng('labels')).label.data.length;
    if (validLabels !== labelFeatures) throw new Error(`dataset ${name}: the train and valid labels differ in length (${labelFeatures} vs ${validLabels} features)`);
    checkAgainstData(config, train, valid, {
      C,
      space,
      labelFeatures,
      states: `dataset ${name}'s states are`,
      channels: `dataset ${name} has ${C} channels (${train.channels.join(', ')})`,
      rank: `dataset ${name} is`,
      shape: `dataset ${name}'s grid is`,
      labels: `dataset ${name}'s labels have`,
      axis: `dataset ${name}'s grid (${space.join('×')}) must be tiled by the patches, but axis`,
    });
    const physics = datasetConfig.physics;
    const channels = train.channels;
    const cache: CacheInfo = {
      space: 'pixel',
      cache: null,
      physics,
      ae_hash: '',
      compression_rate: 1,
      latent_shape: [C, ...space],
      label_features: labelFeatures,
      dataset: name,
      root,
      channels,
    };
    const data: PixelDataInfo = {
      space: 'pixel',
      dataset: name,
      root,
      physics,
      channels,
      spatial_shape: space,
      label_features: labelFeatures,
      trajectory: { length: steps, stride },
      augment: config.train.augment,
    };
    return { train, valid, cache, data, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** Builds the run's model for the run's state shape (latent, or pixel for pixel runs) and labels. */
export function createEmulator(config: EmulatorRunConfig, cache: CacheInfo): EmulatorModel {
  const { device, precision } = config.train;
  return createRunEmulator({ kind: config.kind, model: config.model as ViTConfigInput, stateShape: cache.latent_shape, labelFeatures: cache.label_features, device, precision });
}

/** Trains a denoiser or surrogate (latent or pixel space): a new run from `config`, or `options.resumeDir` continued. */
export async function trainEmulator(config: EmulatorRunConfig | undefined, options: TrainEmulatorOptions = {}): Promise<TrainEmulatorResult> {
  let dir: string;
  let expectAeHash: string | undefined;
  let savedInfo: CacheInfo | undefined;
  if (options.resumeDir) {
    dir = resolve(options.resumeDir);
    const saved = readEmulatorRunConfig(join(dir, 'config.yaml'));
    if (config && config.kind !== saved.kind) throw new Error(`${dir} is a ${saved.kind} run, not a ${config.kind} run`);
    config = saved;
    const info = join(dir, 'cache.json');
    if (existsSync(info)) {
      savedInfo = JSON.parse(readFileSync(info, 'utf8')) as CacheInfo;
      if (config.space === 'latent') expectAeHash = savedInfo.ae_hash;
    }
  } else if (!config) {
    throw new Error('trainEmulator: give a configuration or a run directory to resume');
  }
  const cfg = config;
  const data = await checkEmulatorRun(cfg, expectAeHash);
  if (savedInfo && (savedInfo.latent_shape.join() !== data.cache.latent_shape.join() || savedInfo.label_features !== data.cache.label_features)) {
    data.close();
    const what = (c: CacheInfo) => `states ${c.latent_shape.join('×')}, ${c.label_features} label features`;
    throw new Error(`the ${cfg.space === 'pixel' ? 'data' : 'latent cache'} changed since this run started (${what(savedInfo)}; now ${what(data.cache)}); start a new run`);
  }
  // Data parallel when launched so (torchrun, `latent-emulator launch`, srun): see lib/launch/.
  const group = await joinProcessGroup({ threads: cfg.train.threads, device: cfg.train.device }).catch((err) => {
    data.close();
    throw err;
  });
  let lock: { release(): void } | undefined;
  const threadsBefore = cfg.train.threads ? getNumThreads() : 0;
  try {
    if (cfg.train.threads) setNumThreads(cfg.train.threads);
    localBatchSize(cfg.train.batch_size, group);
    ({ dir, lock } = await openGroupRunDir(group, options, cfg.runs_dir, cfg.name, {
      'config.yaml': emulatorConfigYaml(cfg),
      'cache.json': `${JSON.stringify(data.cache, null, 2)}\n`,
      ...(data.data ? { 'data.json': `${JSON.stringify(data.data, null, 2)}\n` } : {}),
    }));

    const { train: trainSet, valid: validSet } = data;
    const t = cfg.train;
    const o = cfg.optim;
    manualSeed(t.seed);
    const model = createEmulator(cfg, data.cache);
    model.configureOptimizer(optimizerOptionsOf(o, t.accumulate));
    // EMA (optim.ema_decay > 0): validated and saved as state_best with the averaged weights, as train-ae does;
    // the checkpoint keeps both, and eval/emulate load the averaged ones.
    const ema = o.ema_decay > 0;
    const labelled = data.cache.label_features > 0;
    if (group.isMain) options.onStart?.({ dir: dir!, config: cfg, trainItems: trainSet.length, validItems: validSet.length, parameters: model.parameterCount(), latentShape: data.cache.latent_shape, space: cfg.space });

    const stop = agreedStop(group, options.signal);
    const result = await trainLoop({
      ...runLoopSettings(dir!, t, { scheduler: o.scheduler, learning_rate: o.learning_rate, warmup: o.warmup }, options),
      ...groupLoopSettings(group, options),
      signal: stop.stop,
      batches: (start) => new BatchStream(trainSet, { batchSize: t.batch_size, seed: t.seed, rank: group.rank, world: group.worldSize }, start),
      model: {
        step: async (batch, lr) => {
          const r = await model.trainStep({ state: batch.state, label: labelled ? batch.label : undefined }, lr);
          await stop.agree();
          return r;
        },
        // The same windows, masks, times and noise every epoch (seeded per batch, without disturbing the
        // training generators), dropout off.
        validate: async () => {
          model.eval();
          try {
            return await sharedValidationMean(
              group,
              fixedBatchShare(validSet, cfg.valid.epoch_size, cfg.valid.batch_size, false, group.rank, group.worldSize),
              ({ batch }) => batch.state.shape[0]!,
              // batch `index` keeps its seed whichever rank evaluates it
              ({ batch, index }) => model.loss({ state: batch.state, label: labelled ? batch.label : undefined }, { ema, seed: t.seed * 7919 + 1_000_003 + index }),
            );
          } finally {
            model.train();
          }
        },
        saveState: (path, metadata) => model.saveCheckpoint(path, metadata),
        loadState: (path) => model.loadCheckpoint(path),
        saveBest: (path, metadata) => model.saveWeights(path, metadata, { ema }),
      },
    });
    return { ...result, dir: dir!, config: cfg };
  } finally {
    if (threadsBefore) setNumThreads(threadsBefore);
    lock?.release();
    data.close();
  }
}
