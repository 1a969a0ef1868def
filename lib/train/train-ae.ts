// Autoencoder training runs: `trainAutoencoder(config, options)` is what `latent-emulator train-ae` calls.
//
//   const run = await trainAutoencoder(aeRunConfig('ae_cpu', ['dataset.root=data', 'train.epochs=4']));
//   // → runs/ae/<name>_<time>_<id>/{config.yaml, metrics.jsonl, state.*, state_best.*}
//
// Everything that can be wrong with the configuration or the data is checked before any compute.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { WellDataset } from '../data/dataset.js';
import { Autoencoder } from '../models/autoencoder.js';
import { optimizerOptionsOf } from '../models/schemas.js';
import { downsampling } from '../models/autoencoder-config.js';
import { joinProcessGroup } from '../launch/process-group.js';
import { agreedStop, groupLoopSettings, localBatchSize, openGroupRunDir, sharedValidationMean } from '../launch/run-group.js';
import { getNumThreads, manualSeed, setNumThreads } from '../runtime.js';
import { BatchStream, fixedBatchShare } from './batches.js';
import { configYaml, readRunConfig, type AeRunConfig } from './config.js';
import { runLoopSettings, trainLoop, type LoopResult, type RunOptions } from './loop.js';
import { openTrainValid } from './train-valid.js';
import { checkDeviceUsable } from '../util/device-check.js';

export type TrainAeOptions = RunOptions<{ dir: string; config: AeRunConfig; trainItems: number; validItems: number; parameters: number }>;

export interface TrainAeResult extends LoopResult {
  dir: string;
  config: AeRunConfig;
}

interface Opened {
  train: WellDataset;
  valid: WellDataset;
  channels: number;
}

/** Opens both splits and checks the configuration against them: no compute is spent before this passes. */
export async function checkAeRun(config: AeRunConfig): Promise<Opened> {
  checkDeviceUsable(config.train.device); // before any data is opened or a run directory made
  const root = resolve(config.dataset.root);
  if (!existsSync(root)) throw new Error(`dataset.root ${root} does not exist (set dataset.root=/path/to/data)`);
  const { root: _root, ...datasetConfig } = config.dataset;
  const { train, valid } = await openTrainValid((split) =>
    WellDataset.open({ root, split, config: datasetConfig, steps: 1, augment: split === 'train' && config.train.augment, seed: config.train.seed }),
  );
  try {
    const channels = train.channels.length;
    const ae = config.ae;
    if (ae.pix_channels !== undefined && ae.pix_channels !== channels) {
      throw new Error(`ae.pix_channels = ${ae.pix_channels} but dataset ${config.dataset.name} has ${channels} channels (${train.channels.join(', ')})`);
    }
    const space = train.spatialShape;
    if (space.length !== ae.spatial) throw new Error(`ae.spatial = ${ae.spatial} but dataset ${config.dataset.name} is ${space.length}-D (${space.join('×')})`);
    const r = downsampling(ae);
    if (space.some((s) => s % r !== 0)) throw new Error(`dataset grid ${space.join('×')} is not divisible by the autoencoder's downsampling r = ${r} (${ae.hid_channels.length} levels, stride ${ae.stride})`);
    if (config.train.batch_size > train.length) throw new Error(`train.batch_size ${config.train.batch_size} is larger than the training set (${train.length} states)`);
    if (config.valid.batch_size > valid.length) throw new Error(`valid.batch_size ${config.valid.batch_size} is larger than the validation set (${valid.length} states)`);
    return { train, valid, channels };
  } catch (err) {
    train.close();
    valid.close();
    throw err;
  }
}

/** Trains an autoencoder: a new run from `config`, or `options.resumeDir` continued. */
export async function trainAutoencoder(config: AeRunConfig | undefined, options: TrainAeOptions = {}): Promise<TrainAeResult> {
  let dir: string;
  if (options.resumeDir) {
    dir = resolve(options.resumeDir);
    config = readRunConfig(join(dir, 'config.yaml'));
  } else if (!config) {
    throw new Error('trainAutoencoder: give a configuration or a run directory to resume');
  }
  const cfg = config;
  const data = await checkAeRun(cfg);
  // Data parallel when launched so (torchrun, `latent-emulator launch`, srun): see lib/launch/.
  const group = await joinProcessGroup({ threads: cfg.train.threads, device: cfg.train.device }).catch((err) => {
    data.train.close();
    data.valid.close();
    throw err;
  });
  let lock: { release(): void } | undefined;
  const threadsBefore = cfg.train.threads ? getNumThreads() : 0;
  try {
    if (cfg.train.threads) setNumThreads(cfg.train.threads);
    localBatchSize(cfg.train.batch_size, group);
    ({ dir, lock } = await openGroupRunDir(group, options, cfg.runs_dir, cfg.name, { 'config.yaml': configYaml(cfg) }));

    const { train: trainSet, valid: validSet, channels } = data;
    const t = cfg.train;
    manualSeed(t.seed);
    const ae = Autoencoder.create({ ...cfg.ae, pix_channels: channels }, { device: t.device, precision: t.precision });
    const o = cfg.optim;
    ae.configureOptimizer(optimizerOptionsOf(o, t.accumulate));
    const ema = o.ema_decay > 0;
    if (group.isMain) options.onStart?.({ dir: dir!, config: cfg, trainItems: trainSet.length, validItems: validSet.length, parameters: ae.parameterCount() });

    const stop = agreedStop(group, options.signal);
    const result = await trainLoop({
      ...runLoopSettings(dir!, t, { scheduler: o.scheduler, learning_rate: o.learning_rate, warmup: o.warmup }, options),
      ...groupLoopSettings(group, options),
      signal: stop.stop,
      batches: (start) => new BatchStream(trainSet, { batchSize: t.batch_size, seed: t.seed, rank: group.rank, world: group.worldSize }, start, true),
      model: {
        step: async (batch, lr) => {
          const r = await ae.trainStep(batch.state, lr);
          await stop.agree();
          return r;
        },
        validate: () =>
          sharedValidationMean(
            group,
            fixedBatchShare(validSet, cfg.valid.epoch_size, cfg.valid.batch_size, true, group.rank, group.worldSize),
            ({ batch }) => batch.state.shape[0]!,
            ({ batch }) => ae.loss(batch.state, { ema, eval: true }),
          ),
        saveState: (path, metadata) => ae.saveCheckpoint(path, metadata),
        loadState: (path) => ae.loadCheckpoint(path),
        saveBest: (path, metadata) => ae.saveWeights(path, metadata, { ema }),
      },
    });
    return { ...result, dir: dir!, config: cfg };
  } finally {
    if (threadsBefore) setNumThreads(threadsBefore);
    lock?.release();
    data.train.close();
    data.valid.close();
  }
}
