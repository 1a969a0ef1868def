// Autoencoder configuration with the reference's keys (configs/ae/*.yaml), validated before any compute.
import { z } from 'zod';

import { readConfigFile, validateConfig } from '../util/config-file.js';

export const SATURATIONS = ['softclip', 'softclip2', 'tanh', 'arcsinh', 'rmsnorm', 'none'] as const;
export const AE_LOSSES = ['mse', 'mae', 'vrmse', 'similarity'] as const;

export const AutoencoderConfigSchema = z
  .object({
    name: z.string().optional(),
    /** Channels of the physical state; taken from the dataset when absent. */
    pix_channels: z.number().int().positive().optional(),
    lat_channels: z.number().int().positive(),
    hid_channels: z.array(z.number().int().positive()).min(1),
    hid_blocks: z.array(z.number().int().nonnegative()).min(1),
    kernel_size: z.number().int().positive().default(3),
    stride: z.number().int().min(2).default(2),
    pixel_shuffle: z.boolean().default(true),
    identity_init: z.boolean().default(true),
    dropout: z.number().min(0).max(1).default(0.05),
    /** level → heads; empty in the reference. */
    attention_heads: z.record(z.string(), z.number().int().positive()).default({}),
    periodic: z.boolean().default(false),
    spatial: z.union([z.literal(2), z.literal(3)]).default(2),
    saturation: z.enum(SATURATIONS).default('softclip2'),
    noise: z.number().min(0).default(0.01),
    loss: z.enum(AE_LOSSES).default('vrmse'),
    similarity_weight: z.number().min(0).default(0.1),
  })
  .strict()
  .refine((c) => c.hid_channels.length === c.hid_blocks.length, {
    message: 'hid_channels and hid_blocks must have the same length (one entry per level)',
  });

export type AutoencoderConfig = z.infer<typeof AutoencoderConfigSchema>;
export type AutoencoderConfigInput = z.input<typeof AutoencoderConfigSchema>;

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
