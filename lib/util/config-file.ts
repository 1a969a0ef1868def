// Shared by every configuration family (dataset, ae, denoiser, optim): presets shipped as YAML files in
// configs/<family>/, user files by path, and validation errors that name the key and suggest the nearest one.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { z } from 'zod';

import { didYouMean, unknownName } from '../data/errors.js';

/** <package>/configs, from lib/util or dist/util alike. */
export const CONFIGS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../configs');

export function presetNames(family: string): string[] {
  const dir = join(CONFIGS_DIR, family);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('_'))
    .map((f) => f.replace(/\.ya?ml$/, ''))
    .sort();
}

/** The raw YAML of a shipped preset (`dcae_f8c16_cpu`) or of a file given by path. */
export function readConfigFile(family: string, nameOrPath: string): { raw: unknown; source: string } {
  let path: string;
  if (/\.ya?ml$/.test(nameOrPath) || nameOrPath.includes('/')) {
    path = resolve(nameOrPath);
    if (!existsSync(path)) throw new Error(`${path}: ${family} configuration file not found`);
  } else {
    const names = presetNames(family);
    if (!names.includes(nameOrPath)) throw unknownName(`${family} preset`, nameOrPath, names);
    path = join(CONFIGS_DIR, family, `${nameOrPath}.yaml`);
  }
  try {
    return { raw: parse(readFileSync(path, 'utf8')), source: path };
  } catch (err) {
    throw new Error(`${path}: cannot parse YAML (${(err as Error).message})`);
  }
}

/** Validates with a zod schema; unknown keys get the nearest valid key suggested. */
export function validateConfig<T extends z.ZodObject>(schema: T, raw: unknown, source: string): z.infer<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const known = Object.keys(schema.shape);
  const issues = result.error.issues.map((issue) => {
    const where = issue.path.join('.') || '(root)';
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `unknown key '${k}'${didYouMean(k, known)}`).join('; ');
    }
    return `${where}: ${issue.message}`;
  });
  throw new Error(`${source}: ${issues.join('; ')}`);
}
