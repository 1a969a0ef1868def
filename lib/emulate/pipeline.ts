// A trained emulator run opened for inference (eval, emulate): the emulator's weights, the autoencoder run it
// was trained on (the weights that encoded its cache; none for pixel-space runs), the data directory and its
// dataset configuration.
// Physical states go in pre-processed (the dataset's transforms), are encoded, rolled out in latent space and
// decoded in chunks. Everything that can be wrong with the runs is checked before any compute.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import type { DatasetConfig } from '../data/config.js';
import { WellDataset, type Split } from '../data/dataset.js';
import { numel, type HostArray } from '../data/types.js';
import { Autoencoder } from '../models/autoencoder.js';
import { createEmulator } from '../models/create-emulator.js';
import type { EmulatorModel } from '../models/emulator-model.js';
import { tensor } from '../tensor.js';
import { checkpointName, findCheckpoint, type FoundCheckpoint } from '../train/checkpoint.js';
import { findStudent, readDistillInfo } from '../train/distill.js';
import { readEmulatorRunConfig, readRunConfig, type AeRunConfig, type EmulatorRunConfig } from '../train/config.js';
import type { CacheInfo } from '../train/train-emulator.js';
import type { NativeGuidanceOptions } from '../native/addon-types.js';
import type { SamplerName, SamplerOptions } from './rollout.js';
import type { SizeLimitOptions } from '../util/size-guard.js';
import type { Weights } from '../util/parse-choice.js';

export interface OpenEmulationOptions {
  /** Which emulator weights: the last checkpoint (default, as the reference's evaluation) or the best. */
  weights?: Weights;
  /** Data directory (default: the autoencoder run's dataset.root). */
  root?: string;
  /** When given, the dataset the run must have been trained on (name of its configuration). */
  dataset?: string;
  device?: string;
  /** Autocast of the networks at inference (default float32). */
  precision?: 'float32' | 'bfloat16';
  /** Called with warnings (e.g. a corrupt checkpoint that was skipped for the previous one). */
  warn?: (line: string) => void;
  /** The sampler that will be used: 'distilled' opens a distill directory's student for `steps` steps. */
  sampler?: SamplerName;
  steps?: number;
}

export interface EmulationRun {
  dir: string;
  name: string;
  config: EmulatorRunConfig;
  cache: CacheInfo;
  emulator: EmulatorModel;
  weights: FoundCheckpoint;
  /** The autoencoder run and model; null for pixel-space runs (their states are the data's). */
  aeDir: string | null;
  aeConfig: AeRunConfig | null;
  ae: Autoencoder | null;
  dataRoot: string;
  datasetConfig: DatasetConfig;
  /** Steps between the emulator's consecutive states (trajectory.stride). */
  stride: number;
}

const runError = (dir: string, problem: string) => new Error(`run ${dir}: ${problem}`);

/** Opens an emulator run (train-diffusion / train-surrogate output) and its autoencoder for inference. */
export async function openEmulationRun(runDir: string, o: OpenEmulationOptions = {}): Promise<EmulationRun> {
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw runError(dir, 'does not exist');
  const configPath = join(dir, 'config.yaml');
  if (!existsSync(configPath)) throw runError(dir, 'no config.yaml (not a run directory)');
  const raw = readFileSync(configPath, 'utf8');
  if (!/^(denoiser|surrogate):/m.test(raw)) throw runError(dir, 'is not an emulator run (no denoiser or surrogate section); give a train-diffusion or train-surrogate run');
  const config = readEmulatorRunConfig(configPath);
  const cachePath = join(dir, 'cache.json');
  if (!existsSync(cachePath)) throw runError(dir, 'no cache.json (the run never started training)');
  const cache = JSON.parse(readFileSync(cachePath, 'utf8')) as CacheInfo;

  const name = checkpointName(o.weights);
  let weights: FoundCheckpoint | undefined;
  try {
    weights = distilledWeights(dir, o) ?? findCheckpoint(dir, name);
  } catch (err) {
    throw runError(dir, (err as Error).message);
  }
  if (!weights) throw runError(dir, `no '${name}' checkpoint (${name}.safetensors): train it first, or give --weights ${name === 'state' ? 'best' : 'state'}`);
  for (const r of weights.rejected) o.warn?.(`skipped ${r}; using ${weights.path}`);

  const device = o.device ?? config.train.device;
  const precision = o.precision ?? 'float32';
  const autoencoder = config.ae_run ? await openAutoencoder(dir, config.ae_run, cache.ae_hash) : null;
  // The data: the autoencoder run's dataset (latent runs) or the run's own (pixel runs).
  const dataset = autoencoder ? autoencoder.config.dataset : config.dataset;
  if (!dataset) throw runError(dir, 'names neither ae_run nor dataset');
  const { root: configRoot, ...datasetConfig } = dataset;
  if (o.dataset !== undefined && o.dataset !== datasetConfig.name)
    throw runError(dir, `was trained on dataset '${datasetConfig.name}'${autoencoder ? ` (autoencoder run ${autoencoder.dir})` : ''}, not '${o.dataset}'`);
  const dataRoot = resolve(o.root ?? configRoot);
  if (!existsSync(dataRoot)) throw runError(dir, `data directory ${dataRoot} does not exist (give --root)`);

  const ae = autoencoder ? Autoencoder.create({ ...autoencoder.config.ae, pix_channels: datasetConfig.fields.length }, { device, precision }).eval() : null;
  const emulator = createEmulator({ kind: config.kind, model: config.model, stateShape: cache.latent_shape, labelFeatures: cache.label_features, device, precision }).eval();
  try {
    if (ae && autoencoder) await ae.loadWeights(autoencoder.weights.path, { strict: true, ema: autoencoder.config.optim.ema_decay > 0 });
    // A checkpoint (`--weights state`) of an EMA run holds both; the averaged weights are the ones to use.
    await emulator.loadWeights(weights.path, { strict: true, ema: config.optim.ema_decay > 0 });
  } catch (err) {
    throw runError(dir, (err as Error).message);
  }
  return {
    dir,
    name: basename(dir),
    config,
    cache,
    emulator,
    weights,
    aeDir: autoencoder?.dir ?? null,
    aeConfig: autoencoder?.config ?? null,
    ae,
    dataRoot,
    datasetConfig,
    stride: config.trajectory.stride,
  };
}

/**
 * The student weights of a distill directory (lib/train/distill.ts) for sampler 'distilled' with `steps` steps;
 * undefined for other samplers on other runs. Errors say what to give instead.
 */
function distilledWeights(dir: string, o: OpenEmulationOptions): FoundCheckpoint | undefined {
  const info = readDistillInfo(dir);
  if (o.sampler !== 'distilled') {
    if (info)
      throw new Error(
        `is a distillation (students for ${info.rounds.join(', ')} steps): use --sampler distilled --steps N, or the teacher run ${info.teacher_run} for sampler '${o.sampler ?? 'ab'}'`,
      );
    return undefined;
  }
  if (!info) throw new Error(`sampler 'distilled' needs a distill directory (latent-emulator distill RUN --steps N writes one); this is not one (no distill.json)`);
  const steps = o.steps ?? info.steps;
  const student = findStudent(dir, steps);
  if (!student) {
    const have = info.rounds.filter((s) => findStudent(dir, s));
    throw new Error(`no distilled student for ${steps} steps here (finished: ${have.length ? have.join(', ') : 'none'}; planned: ${info.rounds.join(', ')}); give --steps one of those, or finish the distillation`);
  }
  return student;
}

/** The autoencoder run of a latent emulator, with the weights whose hash the emulator's cache recorded. */
async function openAutoencoder(dir: string, aeRun: string, aeHash: string): Promise<{ dir: string; config: AeRunConfig; weights: FoundCheckpoint }> {
  const aeDir = resolve(aeRun);
  if (!existsSync(join(aeDir, 'config.yaml'))) throw runError(dir, `its autoencoder run ${aeDir} is missing (no config.yaml)`);
  const config = readRunConfig(join(aeDir, 'config.yaml'));
  const candidates = ['state', 'state_best'].map((n) => {
    try {
      return findCheckpoint(aeDir, n);
    } catch {
      return undefined;
    }
  });
  const weights = candidates.find((c) => c?.manifest.sha256 === aeHash);
  if (!weights) {
    const found = candidates.filter((c) => c).map((c) => `${basename(c!.path)} ${c!.manifest.sha256.slice(0, 12)}…`);
    throw runError(dir, `the autoencoder weights it was trained on (${aeHash.slice(0, 12)}…) are no longer in ${aeDir} (found: ${found.join(', ') || 'none'}); re-cache and retrain, or restore them`);
  }
  return { dir: aeDir, config, weights };
}

/** The run's dataset split with one window per trajectory: `steps` states every `stride` steps from `start`. */
export async function openTrajectories(run: EmulationRun, split: Split | string, steps: number, stride: number): Promise<WellDataset> {
  return WellDataset.open({ root: run.dataRoot, split, config: run.datasetConfig, steps, stride });
}

/** The reference's per-item seed, randseed(f"{seed},{index},{start}"), as a 31-bit integer. */
export function itemSeed(seed: number, index: number, start: number): number {
  return createHash('sha256').update(`${seed},${index},${start}`).digest().readUInt32BE(0) >>> 1;
}

export interface LatentRollout {
  /** (K, length, *latent), the context included at the start. */
  states: HostArray;
  /** Seconds inside the native rollout. */
  seconds: number;
  evaluations: number;
}

/**
 * K members rolled out from the first `context` latent states of `latents` (T, *latent) to `length` states.
 * A surrogate is deterministic: one member is computed (its K copies would be identical).
 */
export async function rolloutLatents(
  run: EmulationRun,
  latents: HostArray,
  label: HostArray | undefined,
  o: SamplerOptions & SizeLimitOptions & { length: number; context: number; overlap?: number; members: number; seed: number; guidance?: NativeGuidanceOptions },
): Promise<LatentRollout> {
  const [, ...latent] = latents.shape;
  const size = numel(latent);
  const context = tensor(latents.data.subarray(0, o.context * size), [1, o.context, ...latent]);
  const lab = label && label.data.length > 0 ? tensor(label.data, [1, label.data.length]) : undefined;
  const members = run.config.kind === 'surrogate' ? 1 : o.members;
  try {
    const r = await run.emulator.rollout(context, lab, {
      length: o.length,
      context: o.context,
      overlap: o.overlap ?? o.context,
      members,
      seed: o.seed,
      ignoreSizeLimits: o.ignoreSizeLimits,
      ...(o.guidance ? { guidance: o.guidance } : {}),
      ...(run.config.kind === 'diffusion' ? definedOnly({ sampler: o.sampler, steps: o.steps, order: o.order, eta: o.eta, corrections: o.corrections, delta: o.delta }) : {}),
    });
    const data = r.states.dataSync() as Float32Array;
    const states = { data: Float32Array.from(data), shape: [members, o.length, ...latent] };
    r.states.dispose();
    return { states, seconds: r.seconds, evaluations: r.evaluations };
  } finally {
    context.dispose();
    lab?.dispose();
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
