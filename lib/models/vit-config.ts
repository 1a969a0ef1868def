// Emulator configuration (configs/denoiser/*.yaml, configs/surrogate/*.yaml): presets, files and objects
// validated by the ViT schema (lib/models/schemas.ts). The config crosses to the addon as the schema returns it.
import type { z } from 'zod';

import { readConfigFile, validateConfig } from '../util/config-file.js';
import { ViTConfigSchema, type EmulatorKind, type ViTConfig, type ViTConfigInput } from './schemas.js';

export { SCHEDULES, TIME_PRIORS, ViTConfigSchema, type EmulatorKind, type ViTConfig, type ViTConfigInput } from './schemas.js';

/** A preset name (`vit_tiny_cpu`), a YAML path, or a config object, from configs/<kind>/; `overrides` win. */
export function vitConfig(kind: EmulatorKind, source: string | ViTConfigInput, overrides: Partial<ViTConfigInput> = {}): ViTConfig {
  const { raw, source: where } = typeof source === 'string' ? readConfigFile(kind, source) : { raw: source, source: `${kind} config` };
  return validateConfig(ViTConfigSchema as unknown as z.ZodObject, { ...(raw as object), ...overrides }, where) as ViTConfig;
}
