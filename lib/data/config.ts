// Dataset configurations: which Well datasets ("physics") make a dataset, which fields in which
// order, their transforms and normalisation, and the augmentations, with the reference's keys.
// Shipped ones live in configs/dataset/<name>.yaml; a user config is any YAML file with the same keys.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { unknownName } from './errors.js';

export const FIELD_TRANSFORMS = ['log', 'log_eps', 'log1p', 'arcsinh'] as const;
export type FieldTransform = (typeof FIELD_TRANSFORMS)[number];
export const AUGMENTATIONS = ['random_axis_flip', 'random_axis_permute', 'random_axis_roll', 'log_scalars'] as const;
export type Augmentation = (typeof AUGMENTATIONS)[number];

const FieldSchema = z
  .object({
    transform: z.enum(FIELD_TRANSFORMS).nullish(),
    mean: z.number().default(0),
    std: z.number().positive().default(1),
  })
  .strict();

const ConfigSchema = z
  .object({
    name: z.string().min(1),
    physics: z.array(z.string().min(1)).min(1),
    // A list of names is shorthand for no transform, mean 0, std 1; a list of {name, ...} is the parsed form.
    fields: z.preprocess((v) => (Array.isArray(v) ? Object.fromEntries(v.map(listEntry)) : v), z.record(z.string(), FieldSchema.nullish())),
    augment: z.array(z.enum(AUGMENTATIONS)).default([]),
    stride: z.number().int().positive().default(1),
    include_filters: z.array(z.string()).default([]),
    exclude_filters: z.array(z.string()).default([]),
  })
  .strict();

function listEntry(v: unknown): [unknown, unknown] {
  if (v && typeof v === 'object' && 'name' in v) {
    const { name, ...rest } = v as { name: unknown };
    return [name, rest];
  }
  return [v, null];
}

export interface FieldConfig {
  /** A channel (`momentum_x`) or a scalar field name. */
  name: string;
  transform?: FieldTransform;
  mean: number;
  std: number;
}

export interface DatasetConfig {
  name: string;
  /** Well dataset names, concatenated in this order (euler_all = openBC + periodicBC). */
  physics: string[];
  /** Channels in the order of the state's channel axis. */
  fields: FieldConfig[];
  augment: Augmentation[];
  /** Default time stride Δ between the states of a window. */
  stride: number;
  include_filters: string[];
  exclude_filters: string[];
}

/** Where the shipped configurations are: <package>/configs/dataset, from lib/data or dist/data alike. */
export const SHIPPED_CONFIG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../configs/dataset');

export function shippedConfigNames(): string[] {
  if (!existsSync(SHIPPED_CONFIG_DIR)) return [];
  return readdirSync(SHIPPED_CONFIG_DIR)
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('_'))
    .map((f) => f.replace(/\.ya?ml$/, ''))
    .sort();
}

/** Validates a parsed configuration (from YAML or code). */
export function parseDatasetConfig(raw: unknown, source = 'dataset config'): DatasetConfig {
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${source}: invalid dataset configuration: ${issues}`);
  }
  const c = r.data;
  const fields: FieldConfig[] = Object.entries(c.fields).map(([name, f]) => ({ name, mean: f?.mean ?? 0, std: f?.std ?? 1, ...(f?.transform ? { transform: f.transform } : {}) }));
  if (fields.length === 0) throw new Error(`${source}: invalid dataset configuration: fields: at least one field is needed`);
  return { name: c.name, physics: c.physics, fields, augment: c.augment, stride: c.stride, include_filters: c.include_filters, exclude_filters: c.exclude_filters };
}

/** A shipped configuration by name (`euler_all`), or a YAML file by path. */
export function loadDatasetConfig(nameOrPath: string): DatasetConfig {
  let path: string;
  if (/\.ya?ml$/.test(nameOrPath) || nameOrPath.includes('/')) {
    path = resolve(nameOrPath);
    if (!existsSync(path)) throw new Error(`${path}: dataset configuration file not found`);
  } else {
    const names = shippedConfigNames();
    if (!names.includes(nameOrPath)) throw unknownName('dataset', nameOrPath, names);
    path = join(SHIPPED_CONFIG_DIR, `${nameOrPath}.yaml`);
  }
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot parse YAML (${(err as Error).message})`);
  }
  return parseDatasetConfig(raw, path);
}
