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
import { readConfigFile } from '../util/config-file.js';

export const OPTIMIZERS = ['adamw', 'soap'] as const;
export const SCHEDULERS = ['constant', 'linear', 'cosine'] as const;

export const OptimSchema = z
  .object({
    name: z.string().optional(),
    /** AdamW, or SOAP (Adam in Shampoo's eigenbasis), the preconditioned kind the reference found decisive
     *  for autoencoders (it used PSGD-Kron, which is not implemented). */
    optimizer: z.enum(OPTIMIZERS).default('adamw'),
    learning_rate: z.number().positive(),
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.99]),
    eps: z.number().positive().default(1e-8),
    weight_decay: z.number().min(0).default(0),
    scheduler: z.enum(SCHEDULERS).default('cosine'),
    /** Linear warm-up steps from 0 to learning_rate. */
    warmup: z.number().int().min(0).default(0),
    /** Global gradient-norm clip; ≤ 0 disables. */
    grad_clip: z.number().default(1),
    /** EMA of the weights used for validation and export; 0 disables (the reference's AE: no EMA). */
    ema_decay: z.number().min(0).lt(1).default(0),
    /** SOAP: eigenbasis refresh period in steps. */
    precondition_frequency: z.number().int().positive().default(10),
    /** SOAP: EMA factor of the Kronecker factors (default: betas[1]). */
    shampoo_beta: z.number().min(0).lt(1).optional(),
    /** SOAP: dimensions larger than this are not preconditioned. */
    max_precond_dim: z.number().int().positive().default(4096),
  })
  .strict();

export const TrainSchema = z
  .object({
    epochs: z.number().int().positive(),
    /** Optimizer steps per epoch. */
    epoch_size: z.number().int().positive(),
    batch_size: z.number().int().positive(),
    /** Micro-batches per step (gradient accumulation); batch_size must be a multiple. */
    accumulate: z.number().int().positive().default(1),
    seed: z.number().int().min(0).default(0),
    device: z.string().default('cpu'),
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

const DATASET_KEYS = ['name', 'physics', 'fields', 'augment', 'stride', 'include_filters', 'exclude_filters', 'root'];
const TOP_KEYS = ['name', 'runs_dir', 'dataset', 'ae', 'optim', 'train', 'valid'];

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

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** Families whose sections may be given as preset names. */
const FAMILIES: Record<string, string> = { dataset: 'dataset', ae: 'ae', optim: 'optim' };

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
export function composeConfig(base: string | Obj, overrides: readonly string[] = []): Obj {
  const raw = typeof base === 'string' ? readConfigFile('train', base).raw : structuredClone(base);
  if (!isObj(raw)) throw new Error(`train configuration ${String(base)}: expected a mapping at the top level`);
  const config: Obj = {};
  for (const [k, v] of Object.entries(raw)) config[k] = expandSection(k, v);
  for (const [path, value] of parseOverrides(overrides)) {
    checkPath(path);
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
    default:
      return undefined;
  }
}

/** Unknown top-level or section keys → an error with the nearest valid dotted key. */
function checkPath(path: string[]): void {
  const [top, key] = path;
  if (!TOP_KEYS.includes(top!)) throw new Error(`unknown key '${path.join('.')}'${didYouMean(top!, TOP_KEYS)}`);
  if (key === undefined) return;
  const keys = sectionKeys(top!);
  if (!keys) throw new Error(`'${top}' is a plain value, not a section ('${path.join('.')}')`);
  if (!keys.includes(key)) throw new Error(`unknown key '${top}.${key}'${didYouMean(key, keys).replace("'", `'${top}.`)}`);
}

function checkKeys(config: Obj): void {
  for (const [top, value] of Object.entries(config)) {
    checkPath([top]);
    if (isObj(value) && sectionKeys(top)) for (const k of Object.keys(value)) checkPath([top, k]);
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
