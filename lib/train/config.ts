// Training-run configurations with the reference's structure: `dataset`, `ae`, `optim`, `train`, `valid`.
// A run starts from a preset (configs/train/<name>.yaml); its sections may name presets of their own
// family (dataset: euler_all, ae: dcae_f8c16_cpu, optim: adamw), and `key=value` overrides, as typed on
// the command line, replace whole sections (`ae=dcae_f32c64_small`) or single keys (`optim.learning_rate=1e-5`).
// Unknown keys anywhere are errors naming the nearest valid key.
import { existsSync } from 'node:fs';
import { parse as parseYaml, stringify } from 'yaml';
import { z } from 'zod';

import { parseDatasetConfig, type DatasetConfig } from '../data/config.js';
import { didYouMean } from '../data/errors.js';
import { AutoencoderConfigSchema, type AutoencoderConfig } from '../models/autoencoder-config.js';
import { ViTConfigSchema, type ViTConfig } from '../models/vit-config.js';
import { OptimSchema } from '../models/schemas.js';
import { readConfigFile } from '../util/config-file.js';
import { deviceNameProblem } from '../util/device-check.js';

export { OPTIMIZERS, OptimSchema, SCHEDULERS } from '../models/schemas.js';

export const TrainSchema = z
  .object({
    epochs: z.number().int().positive(),
    /** Optimizer steps per epoch. */
    epoch_size: z.number().int().positive(),
    batch_size: z.number().int().positive(),
    /** Micro-batches per step (gradient accumulation); batch_size must be a multiple. */
    accumulate: z.number().int().positive().default(1),
    seed: z.number().int().min(0).default(0),
    device: z
      .string()
      .default('cpu')
      .superRefine((device, ctx) => {
        const problem = deviceNameProblem(device);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      }),
    precision: z.enum(['float32', 'bfloat16']).default('float32'),
    /** Checkpoint `state` every this many epochs (and always at the end and on Ctrl-C). */
    checkpoint_every: z.number().int().positive().default(1),
    /** Apply the dataset's random augmentations to training states. */
    augment: z.boolean().default(true),
    /** libtorch intra-op threads during the run (default: the process setting). Bit-identical resumption
     *  needs the same value as the interrupted run. */
    threads: z.number().int().positive().optional(),
  })
  .strict();

export const ValidSchema = z
  .object({
    /** Validation states per epoch (evenly spread over the valid split, the same every epoch). */
    epoch_size: z.number().int().positive(),
    batch_size: z.number().int().positive(),
  })
  .strict();

/** Emulator windows (spec §4.2): `length` states (n + 1) every `stride` steps of the cached trajectories. */
export const TrajectorySchema = z
  .object({
    length: z.number().int().min(2).default(5),
    stride: z.number().int().positive().default(4),
  })
  .strict();

const DATASET_KEYS = ['name', 'physics', 'fields', 'augment', 'stride', 'include_filters', 'exclude_filters', 'root'];
const TOP_KEYS = ['name', 'runs_dir', 'dataset', 'ae', 'optim', 'train', 'valid'];
const EMULATOR_TOP_KEYS = ['name', 'runs_dir', 'ae_run', 'cache', 'dataset', 'denoiser', 'surrogate', 'optim', 'train', 'valid', 'trajectory'];

/** What is trained: the run kind decides the sections a configuration has. */
export type RunKind = 'ae' | 'diffusion' | 'surrogate';
export type EmulatorRunKind = Exclude<RunKind, 'ae'>;
/** The model section of an emulator run configuration. */
export const modelSection = (kind: EmulatorRunKind): 'denoiser' | 'surrogate' => (kind === 'diffusion' ? 'denoiser' : 'surrogate');

export interface AeRunConfig {
  /** Run name prefix. */
  name: string;
  /** Where run directories go (default runs/ae). */
  runs_dir: string;
  dataset: DatasetConfig & { root: string };
  ae: AutoencoderConfig;
  optim: z.infer<typeof OptimSchema>;
  train: z.infer<typeof TrainSchema>;
  valid: z.infer<typeof ValidSchema>;
}

/** Where an emulator run's windows come from: an autoencoder run's latent cache, or the Well data itself. */
export type EmulatorSpace = 'latent' | 'pixel';

/**
 * An emulator run (train-diffusion / train-surrogate), in one of two spaces (spec §4.4–4.6):
 * - latent (`ae_run`, optionally `cache`): windows of the latent cache that an autoencoder run wrote
 *   (`<ae_run>/cache/<physics>/<split>/`, see cache-latents);
 * - pixel (`dataset`, as in autoencoder runs, with `dataset.root`): windows of the pre-processed Well data
 *   read directly, augmented on the fly when `train.augment`, patched by the ViT (`patch_size`).
 * Exactly one of `ae_run` and `dataset` is given. Then a denoiser or surrogate ViT (`model`, stored under
 * `denoiser:` or `surrogate:` in YAML), optimizer and schedule.
 */
export interface EmulatorRunConfig {
  kind: EmulatorRunKind;
  name: string;
  /** Where run directories go (default runs/diffusion or runs/surrogate). */
  runs_dir: string;
  /** Which of `ae_run` / `dataset` was given (derived; not a key of its own in YAML). */
  space: EmulatorSpace;
  /** Latent runs: the autoencoder run directory whose latent cache is trained on; null for pixel runs. */
  ae_run: string | null;
  /** Latent runs: the cache directory (default `<ae_run>/cache`); always null for pixel runs. */
  cache: string | null;
  /** Pixel runs: the dataset (a configs/dataset preset or a mapping, plus `root`); null for latent runs. */
  dataset: (DatasetConfig & { root: string }) | null;
  /** The ViT; the data-dependent keys (channels, label_features, spatial, spatial_shape) come from the cache
   *  (latent runs) or the dataset (pixel runs), and when given must agree with it. */
  model: EmulatorModelConfig;
  optim: z.infer<typeof OptimSchema>;
  train: z.infer<typeof TrainSchema>;
  valid: z.infer<typeof ValidSchema>;
  trajectory: z.infer<typeof TrajectorySchema>;
}

/** A ViT configuration whose spatial rank may be left to the data. */
export type EmulatorModelConfig = Omit<ViTConfig, 'spatial'> & { spatial?: 1 | 2 | 3 };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** Families whose sections may be given as preset names. */
const FAMILIES: Record<string, string> = { dataset: 'dataset', ae: 'ae', optim: 'optim', denoiser: 'denoiser', surrogate: 'surrogate' };

function expandSection(section: string, value: unknown): unknown {
  if (typeof value === 'string' && FAMILIES[section]) return structuredClone(readConfigFile(FAMILIES[section]!, value).raw);
  return value;
}

/** `a.b.c=value` pairs → [path, parsed value] (values parsed as YAML: numbers, booleans, lists). */
export function parseOverrides(args: readonly string[]): Array<[string[], unknown]> {
  return args.map((arg) => {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new Error(`override '${arg}' is not key=value (e.g. optim.learning_rate=1e-5)`);
    const key = arg.slice(0, eq).trim();
    const text = arg.slice(eq + 1);
    let value: unknown;
    try {
      value = text === '' ? '' : parseYaml(text);
    } catch {
      value = text;
    }
    return [key.split('.'), value];
  });
}

/**
 * The raw composed configuration: the base preset (configs/train/<base>.yaml or a YAML path), section
 * presets expanded, overrides applied in order. Not validated yet (see resolveAeConfig).
 */
export function composeConfig(base: string | Obj, overrides: readonly string[] = [], kind: RunKind = 'ae'): Obj {
  const raw = typeof base === 'string' ? readConfigFile('train', base).raw : structuredClone(base);
  if (!isObj(raw)) throw new Error(`train configuration ${String(base)}: expected a mapping at the top level`);
  const config: Obj = {};
  for (const [k, v] of Object.entries(raw)) config[k] = expandSection(k, v);
  for (const [path, value] of parseOverrides(overrides)) {
    checkPath(path, kind);
    if (path.length === 1) {
      const previous = config[path[0]!];
      const next = expandSection(path[0]!, value);
      // Choosing another dataset keeps the data directory already set.
      if (path[0] === 'dataset' && isObj(previous) && isObj(next) && previous.root !== undefined && next.root === undefined) next.root = previous.root;
      config[path[0]!] = next;
      continue;
    }
    let node: Obj = config;
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i]!;
      if (!isObj(node[k])) node[k] = {};
      node = node[k] as Obj;
    }
    node[path[path.length - 1]!] = value;
  }
  return config;
}

function sectionKeys(section: string): string[] | undefined {
  switch (section) {
    case 'dataset':
      return DATASET_KEYS;
    case 'ae':
      return Object.keys((AutoencoderConfigSchema as unknown as z.ZodObject).shape);
    case 'optim':
      return Object.keys(OptimSchema.shape);
    case 'train':
      return Object.keys(TrainSchema.shape);
    case 'valid':
      return Object.keys(ValidSchema.shape);
    case 'trajectory':
      return Object.keys(TrajectorySchema.shape);
    case 'denoiser':
    case 'surrogate':
      return Object.keys((ViTConfigSchema as unknown as z.ZodObject).shape);
    default:
      return undefined;
  }
}

function topKeys(kind: RunKind): string[] {
  if (kind === 'ae') return TOP_KEYS;
  const other = modelSection(kind === 'diffusion' ? 'surrogate' : 'diffusion');
  return EMULATOR_TOP_KEYS.filter((k) => k !== other);
}

/** Unknown top-level or section keys → an error with the nearest valid dotted key. */
function checkPath(path: string[], kind: RunKind = 'ae'): void {
  const [top, key] = path;
  const tops = topKeys(kind);
  if (!tops.includes(top!)) {
    if (kind !== 'ae' && (top === 'denoiser' || top === 'surrogate'))
      throw new Error(`'${top}' is the model of a ${top === 'denoiser' ? 'diffusion' : 'surrogate'} run; this is a ${kind} run (use train-${top === 'denoiser' ? 'diffusion' : 'surrogate'}, or the '${modelSection(kind)}' section)`);
    throw new Error(`unknown key '${path.join('.')}'${didYouMean(top!, tops)}`);
  }
  if (key === undefined) return;
  const keys = sectionKeys(top!);
  if (!keys) throw new Error(`'${top}' is a plain value, not a section ('${path.join('.')}')`);
  if (!keys.includes(key)) throw new Error(`unknown key '${top}.${key}'${didYouMean(key, keys).replace("'", `'${top}.`)}`);
}

function checkKeys(config: Obj, kind: RunKind = 'ae'): void {
  for (const [top, value] of Object.entries(config)) {
    checkPath([top], kind);
    if (isObj(value) && sectionKeys(top)) for (const k of Object.keys(value)) checkPath([top, k], kind);
  }
}

/** Validates a composed configuration into the typed run configuration. */
export function resolveAeConfig(raw: Obj, source = 'train configuration'): AeRunConfig {
  checkKeys(raw);
  for (const section of ['dataset', 'ae', 'optim', 'train', 'valid']) {
    if (!isObj(raw[section])) throw new Error(`${source}: section '${section}' is missing (or not a mapping)`);
  }
  const zodIssue = (section: string, error: z.ZodError) =>
    new Error(`${source}: ${error.issues.map((i) => `${[section, ...i.path].join('.')}: ${i.message}`).join('; ')}`);
  const parse = <T extends z.ZodType>(section: string, schema: T): z.infer<T> => {
    const r = schema.safeParse(raw[section]);
    if (!r.success) throw zodIssue(section, r.error);
    return r.data;
  };
  const { root = 'data', ...datasetRaw } = raw.dataset as Obj;
  if (typeof root !== 'string' || root === '') throw new Error(`${source}: dataset.root must be the data directory (dataset.root=/path/to/data)`);
  const dataset = { ...parseDatasetConfig(datasetRaw, `${source}: dataset`), root };
  const optim = parse('optim', OptimSchema);
  const train = parse('train', TrainSchema);
  const valid = parse('valid', ValidSchema);
  const ae = parse('ae', AutoencoderConfigSchema as unknown as z.ZodObject) as AutoencoderConfig;
  if (train.batch_size % train.accumulate !== 0) throw new Error(`${source}: train.batch_size ${train.batch_size} is not a multiple of train.accumulate ${train.accumulate}`);
  const name = typeof raw.name === 'string' && raw.name ? raw.name : `${dataset.name}_${ae.name ?? 'ae'}`;
  const runs_dir = typeof raw.runs_dir === 'string' && raw.runs_dir ? raw.runs_dir : 'runs/ae';
  return { name, runs_dir, dataset, ae, optim, train, valid };
}

/** Preset + overrides → validated configuration, in one call. */
export function aeRunConfig(base: string | Obj = 'ae', overrides: readonly string[] = []): AeRunConfig {
  return resolveAeConfig(composeConfig(base, overrides), typeof base === 'string' ? `train preset '${base}'` : 'train configuration');
}

/** The resolved configuration as saved in a run directory. */
export function configYaml(config: AeRunConfig): string {
  return stringify(config);
}

export function readRunConfig(path: string): AeRunConfig {
  if (!existsSync(path)) throw new Error(`${path}: no run configuration`);
  return resolveAeConfig(readConfigFile('train', path).raw as Obj, path);
}

// ---- latent emulator runs (train-diffusion, train-surrogate) ----

/** Keys of the ViT section that come from the latent cache or the dataset; given explicitly, they must agree with it. */
export const DATA_KEYS = ['channels', 'label_features', 'spatial', 'spatial_shape'] as const;

/** Validates a composed emulator configuration (see emulatorRunConfig). */
export function resolveEmulatorConfig(raw: Obj, kind: EmulatorRunKind, source = 'train configuration'): EmulatorRunConfig {
  checkKeys(raw, kind);
  const section = modelSection(kind);
  for (const s of [section, 'optim', 'train', 'valid']) {
    if (!isObj(raw[s])) throw new Error(`${source}: section '${s}' is missing (or not a mapping)`);
  }
  const zodIssue = (name: string, error: z.ZodError) =>
    new Error(`${source}: ${error.issues.map((i) => `${[name, ...i.path].join('.')}: ${i.message}`).join('; ')}`);
  const parse = <T extends z.ZodType>(name: string, schema: T, value: unknown = raw[name]): z.infer<T> => {
    const r = schema.safeParse(value);
    if (!r.success) throw zodIssue(name, r.error);
    return r.data;
  };
  const optim = parse('optim', OptimSchema);
  const train = parse('train', TrainSchema);
  const valid = parse('valid', ValidSchema);
  const trajectory = parse('trajectory', TrajectorySchema, raw.trajectory ?? {});
  const modelRaw = raw[section] as Obj;
  if (modelRaw.window !== undefined && modelRaw.window !== trajectory.length)
    throw new Error(`${source}: ${section}.window = ${String(modelRaw.window)} but trajectory.length = ${trajectory.length} (they are the same thing; set trajectory.length)`);
  const parsed = parse(section, ViTConfigSchema as unknown as z.ZodObject, { ...modelRaw, window: trajectory.length }) as ViTConfig;
  // `spatial` has a schema default (2); left unset, the cache decides.
  const { spatial, ...rest } = parsed;
  const model: EmulatorModelConfig = modelRaw.spatial === undefined ? rest : { ...rest, spatial };
  if (train.batch_size % train.accumulate !== 0) throw new Error(`${source}: train.batch_size ${train.batch_size} is not a multiple of train.accumulate ${train.accumulate}`);
  // Latent space (ae_run [+ cache]) or pixel space (dataset): exactly one. null / absent means not given.
  const given = (v: unknown) => v !== undefined && v !== null && v !== '';
  const ae_run = raw.ae_run;
  const cache = raw.cache;
  if (given(ae_run) && given(raw.dataset))
    throw new Error(
      `${source}: both ae_run and dataset are set; give ae_run (latent space: train on the autoencoder run's latent cache) or dataset (pixel space: train on the Well data directly), not both (ae_run=null or dataset=null drops one)`,
    );
  if (!given(raw.dataset)) {
    if (typeof ae_run !== 'string' || ae_run === '')
      throw new Error(
        `${source}: ae_run must be the autoencoder run directory whose latent cache to train on (ae_run=runs/ae/NAME), or give dataset=NAME dataset.root=DIR to train in pixel space on the Well data`,
      );
    if (cache !== undefined && cache !== null && (typeof cache !== 'string' || cache === '')) throw new Error(`${source}: cache must be a directory (default <ae_run>/cache)`);
    const name = typeof raw.name === 'string' && raw.name ? raw.name : `${kind}_${model.name ?? 'vit'}`;
    const runs_dir = typeof raw.runs_dir === 'string' && raw.runs_dir ? raw.runs_dir : `runs/${kind}`;
    return { kind, name, runs_dir, space: 'latent', ae_run, cache: (cache as string | undefined) ?? null, dataset: null, model, optim, train, valid, trajectory };
  }
  if (given(cache)) throw new Error(`${source}: cache = ${String(cache)} but this is a pixel-space run (dataset is set): the cache belongs to an ae_run; drop it (cache=null)`);
  if (!isObj(raw.dataset)) throw new Error(`${source}: section 'dataset' must be a dataset preset name (configs/dataset) or a mapping`);
  const { root = 'data', ...datasetRaw } = raw.dataset;
  if (typeof root !== 'string' || root === '') throw new Error(`${source}: dataset.root must be the data directory (dataset.root=/path/to/data)`);
  const dataset = { ...parseDatasetConfig(datasetRaw, `${source}: dataset`), root };
  const name = typeof raw.name === 'string' && raw.name ? raw.name : `${kind}_${dataset.name}_${model.name ?? 'vit'}`;
  const runs_dir = typeof raw.runs_dir === 'string' && raw.runs_dir ? raw.runs_dir : `runs/${kind}`;
  return { kind, name, runs_dir, space: 'pixel', ae_run: null, cache: null, dataset, model, optim, train, valid, trajectory };
}

/** Preset (configs/train/<base>.yaml, default `diffusion` / `surrogate`) + overrides → validated emulator configuration. */
export function emulatorRunConfig(kind: EmulatorRunKind, base: string | Obj = kind, overrides: readonly string[] = []): EmulatorRunConfig {
  return resolveEmulatorConfig(composeConfig(base, overrides, kind), kind, typeof base === 'string' ? `train preset '${base}'` : 'train configuration');
}

/** The resolved emulator configuration as saved in a run directory (the model under `denoiser:` / `surrogate:`;
 *  latent runs with `ae_run` and `cache`, pixel runs with `dataset` instead). */
export function emulatorConfigYaml(config: EmulatorRunConfig): string {
  const { kind, model, name, runs_dir, ae_run, cache, dataset, optim, train, valid, trajectory } = config;
  const data = config.space === 'pixel' ? { dataset } : { ae_run, cache };
  return stringify({ name, runs_dir, ...data, [modelSection(kind)]: model, optim, train, valid, trajectory });
}

/** Reads an emulator run's saved configuration; the kind follows from its model section. */
export function readEmulatorRunConfig(path: string): EmulatorRunConfig {
  if (!existsSync(path)) throw new Error(`${path}: no run configuration`);
  const raw = readConfigFile('train', path).raw as Obj;
  if (!isObj(raw)) throw new Error(`${path}: expected a mapping`);
  const kind: EmulatorRunKind | undefined = isObj(raw.denoiser) ? 'diffusion' : isObj(raw.surrogate) ? 'surrogate' : undefined;
  if (!kind) throw new Error(`${path}: not an emulator run configuration (no denoiser or surrogate section)`);
  return resolveEmulatorConfig(raw, kind, path);
}
