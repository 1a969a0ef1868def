// Autoencoder configuration with the reference's keys (configs/ae/*.yaml), validated by the DCAE schema
// (lib/models/schemas.ts) before any compute.
import type { z } from 'zod';

import { readConfigFile, validateConfig } from '../util/config-file.js';
import { AutoencoderConfigSchema, type AutoencoderConfig, type AutoencoderConfigInput } from './schemas.js';

export { AE_LOSSES, AutoencoderConfigSchema, SATURATIONS, type AutoencoderConfig, type AutoencoderConfigInput } from './schemas.js';

/** A preset name (`dcae_f32c64_large`), a YAML path, or a config object; `overrides` win. */
export function autoencoderConfig(
  source: string | AutoencoderConfigInput,
  overrides: Partial<AutoencoderConfigInput> = {},
): AutoencoderConfig {
  const { raw, source: where } = typeof source === 'string' ? readConfigFile('ae', source) : { raw: source, source: 'autoencoder config' };
  return validateConfig(AutoencoderConfigSchema as unknown as z.ZodObject, { ...(raw as object), ...overrides }, where) as AutoencoderConfig;
}

/** Total spatial downsampling r = stride^(levels − 1). */
export function downsampling(config: AutoencoderConfig): number {
  return config.stride ** (config.hid_channels.length - 1);
}
