// Emulator configuration (configs/denoiser/*.yaml, configs/surrogate/*.yaml): the ViT backbone's keys as in the
// reference (§4.1), the diffusion schedule and time prior (§4.3) and the training context mask (§4.2).
// Data-dependent fields (channels, label_features, spatial, spatial_shape) come from the dataset or cache.
import { z } from 'zod';

import { readConfigFile, validateConfig } from '../util/config-file.js';

export const SCHEDULES = ['log_logit', 'log_linear'] as const;
export const TIME_PRIORS = ['uniform', 'beta', 'kumaraswamy'] as const;

const positiveInt = z.number().int().positive();
const windowEntry = z
  .number()
  .int()
  .refine((w) => w > 0 && w % 2 === 1, { message: 'entries must be positive odd integers (a token sees w // 2 tokens on each side of it)' });

export const ViTConfigSchema = z
  .object({
    name: z.string().optional(),
    /** Latent (or pixel) channels C of a state. */
    channels: positiveInt.optional(),
    /** Features D of the label θ (0: no label). */
    label_features: z.number().int().nonnegative().optional(),
    /** Physical axes: 1, 2 or 3; the transformer adds time as one more. */
    spatial: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(2),
    /** The spatial size the model is for (checked on every input); absent: any size. */
    spatial_shape: z.array(positiveInt).optional(),
    /** States per window (n + 1). */
    window: z.number().int().min(2).default(5),
    hid_channels: positiveInt.default(1024),
    hid_blocks: z.number().int().nonnegative().default(16),
    attention_heads: positiveInt.default(8),
    ffn_factor: positiveInt.default(4),
    emb_features: positiveInt.default(256),
    /** One size for every axis, or one per axis with time first, e.g. [1, 16, 16]. */
    patch_size: z.union([positiveInt, z.array(positiveInt)]).default(1),
    /**
     * Local attention (reference `window_size`; the reference's configs use full attention, null). One odd size for
     * every token axis, or one per axis with time first, e.g. [1, 7, 7]: a token attends only to the tokens whose
     * coordinates on the token grid (after patching) differ by at most w // 2 on every axis, the distance being
     * periodic on every axis, time included, as in the reference. The weights are those of full attention.
     */
    window_size: z
      .union([windowEntry, z.array(windowEntry)], {
        error: 'must be null (full attention), a positive odd integer, or a list of them with one per token axis (time first)',
      })
      .nullable()
      .default(null),
    dropout: z.number().min(0).max(0.99).default(0.05),
    qk_norm: z.boolean().default(true),
    rope: z.boolean().default(true),
    schedule: z
      .object({
        name: z.enum(SCHEDULES).default('log_logit'),
        sigma_min: z.number().positive().default(1e-3),
        sigma_max: z.number().positive().default(1e3),
        scale: z.number().default(1),
        shift: z.number().default(0),
      })
      .strict()
      .default({ name: 'log_logit', sigma_min: 1e-3, sigma_max: 1e3, scale: 1, shift: 0 }),
    time_prior: z
      .object({ name: z.enum(TIME_PRIORS).default('uniform'), a: z.number().positive().default(1), b: z.number().positive().default(0.5) })
      .strict()
      .default({ name: 'uniform', a: 1, b: 0.5 }),
    /** Training context mask: c = (Pois(context_rate) mod (L−1)) + 1, forward with this probability. */
    context_rate: z.number().min(0).default(1),
    forward_probability: z.number().min(0).max(1).default(0.66),
  })
  .strict()
  .refine((c) => c.hid_channels % c.attention_heads === 0 && (c.hid_channels / c.attention_heads) % 2 === 0, {
    message: 'hid_channels must be divisible by attention_heads, with an even head dimension (rotary pairs)',
  })
  .refine((c) => c.schedule.sigma_max > c.schedule.sigma_min, { message: 'schedule: sigma_max must exceed sigma_min' })
  .refine((c) => !Array.isArray(c.window_size) || c.window_size.length === c.spatial + 1, {
    message: 'needs one entry per token axis (spatial + 1: time first, then each spatial axis), or one integer for all',
    path: ['window_size'],
  });

export type ViTConfig = z.infer<typeof ViTConfigSchema>;
export type ViTConfigInput = z.input<typeof ViTConfigSchema>;
export type EmulatorKind = 'denoiser' | 'surrogate';

/** A preset name (`vit_tiny_cpu`), a YAML path, or a config object, from configs/<kind>/; `overrides` win. */
export function vitConfig(kind: EmulatorKind, source: string | ViTConfigInput, overrides: Partial<ViTConfigInput> = {}): ViTConfig {
  const { raw, source: where } = typeof source === 'string' ? readConfigFile(kind, source) : { raw: source, source: `${kind} config` };
  return validateConfig(ViTConfigSchema as unknown as z.ZodObject, { ...(raw as object), ...overrides }, where) as ViTConfig;
}

/** The flat JSON the native Emulator takes. */
export function nativeEmulatorConfig(kind: EmulatorKind, c: ViTConfig): Record<string, unknown> {
  const axes = c.spatial + 1;
  const patch = Array.isArray(c.patch_size) ? c.patch_size : c.patch_size === 1 ? [] : Array.from({ length: axes }, () => c.patch_size as number);
  if (Array.isArray(c.patch_size) && c.patch_size.length !== axes)
    throw new Error(`${kind} config ${c.name ?? ''}: patch_size needs ${axes} entries (time first), got ${c.patch_size.length}`);
  const window = c.window_size === null ? null : Array.isArray(c.window_size) ? c.window_size : Array.from({ length: axes }, () => c.window_size as number);
  if (window !== null && window.length !== axes)
    throw new Error(`${kind} config ${c.name ?? ''}: window_size needs ${axes} entries (time first), got ${window.length}`);
  if (c.channels === undefined) throw new Error(`${kind} config ${c.name ?? ''}: channels is not set (give the latent channels)`);
  return {
    kind,
    channels: c.channels,
    label_features: c.label_features ?? 0,
    spatial: c.spatial,
    spatial_shape: c.spatial_shape ?? [],
    window: c.window,
    hid_channels: c.hid_channels,
    hid_blocks: c.hid_blocks,
    attention_heads: c.attention_heads,
    ffn_factor: c.ffn_factor,
    emb_features: c.emb_features,
    patch_size: patch,
    window_size: window,
    dropout: c.dropout,
    qk_norm: c.qk_norm,
    rope: c.rope,
    schedule: c.schedule.name,
    sigma_min: c.schedule.sigma_min,
    sigma_max: c.schedule.sigma_max,
    schedule_scale: c.schedule.scale,
    schedule_shift: c.schedule.shift,
    time_prior: c.time_prior.name,
    prior_a: c.time_prior.a,
    prior_b: c.time_prior.b,
    context_rate: c.context_rate,
    forward_probability: c.forward_probability,
  };
}
