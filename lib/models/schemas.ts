// The zod schemas of every option set the package takes: the single source of their types, defaults and
// validation. Model configs (the ViT emulators', the DCAE autoencoder's) cross to the addon nested as these
// schemas return them; optimizer, sampler and rollout options are checked here before any native call, and the
// CLI takes its defaults from here. The C++ side reads each set with one parser (native/js/option_sets.cc).
import { z } from 'zod';
import type { NativeAutoencoder, NativeTensor } from '../native/addon-types.js';

// Integers with messages that read after the key: "options.steps must be a positive integer".
const integer = (min: number, what: string) => z.number({ error: 'must be a number' }).int({ error: `must be ${what}` }).min(min, { error: `must be ${what}` });
const positiveInteger = () => integer(1, 'a positive integer');
const nonNegativeInteger = () => integer(0, 'a non-negative integer');

/** "Denoiser.rollout: options.steps must be a positive integer": the first problem zod found, naming the key. */
export function optionsError(context: string, error: z.ZodError): Error {
  const issue = error.issues[0]!;
  const key = ['options', ...issue.path.map(String)].join('.');
  return new Error(`${context}: ${key} ${issue.code === 'unrecognized_keys' ? `has an unknown key '${issue.keys.join("', '")}'` : issue.message}`);
}

// ---- Optimizer ----------------------------------------------------------------------------------------

export const OPTIMIZERS = ['adamw', 'soap'] as const;
export const SCHEDULERS = ['constant', 'linear', 'cosine'] as const;

/** The optimizer's own settings, with the same names in a run config's `optim` section and in the native call. */
const optimizerSettings = {
  /** AdamW, or SOAP (Adam in Shampoo's eigenbasis), the preconditioned kind the reference found decisive
   *  for autoencoders (it used PSGD-Kron, which is not implemented). */
  optimizer: z.enum(OPTIMIZERS).default('adamw'),
  eps: z.number().positive().default(1e-8),
  weight_decay: z.number().min(0).default(0),
  /** AdamW's AMSGrad variant: divide by the square root of the running maximum of the second moment. */
  amsgrad: z.boolean().default(false),
  /** Exponential moving average of the weights after every step, used for validation and export; 0 disables
   *  (the reference's AE: no EMA). */
  ema_decay: z.number().min(0).lt(1).default(0),
  /** SOAP: eigenbasis refresh period in steps. */
  precondition_frequency: positiveInteger().default(10),
  /** SOAP: EMA factor of the Kronecker factors (default: beta2). */
  shampoo_beta: z.number().min(0).lt(1).optional(),
  /** SOAP: dimensions larger than this are not preconditioned. */
  max_precond_dim: positiveInteger().default(4096),
};

/** A training run's `optim` section (configs/optim/*.yaml), with the reference's names for the shared keys. */
export const OptimSchema = z
  .object({
    name: z.string().optional(),
    learning_rate: z.number().positive(),
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.99]),
    scheduler: z.enum(SCHEDULERS).default('cosine'),
    /** Linear warm-up steps from 0 to learning_rate. */
    warmup: z.number().int().min(0).default(0),
    /** Global gradient-norm clip; ≤ 0 disables. */
    grad_clip: z.number().default(1),
    ...optimizerSettings,
  })
  .strict();
export type OptimConfig = z.infer<typeof OptimSchema>;

/** What `configureOptimizer` takes; absent keys keep their current values. */
export const OptimizerOptionsSchema = z
  .object({
    ...optimizerSettings,
    lr: z.number().min(0),
    beta1: z.number().min(0).lt(1),
    beta2: z.number().min(0).lt(1),
    /** Global gradient-norm clip (≤ 0 disables). */
    clip: z.number(),
    /** Micro-batches per optimizer step: the batch is split in `accumulate` equal parts (gradient accumulation). */
    accumulate: positiveInteger(),
    /** Training steps under bfloat16 autocast (setPrecision sets it too). */
    bf16: z.boolean(),
  })
  .partial()
  .strict();
export type OptimizerOptions = z.input<typeof OptimizerOptionsSchema>;

/** Only the keys given, validated (zod would otherwise fill in the defaults of the absent ones); `context` names the call in errors. */
export function optimizerOptions(options: OptimizerOptions, context = 'configureOptimizer'): OptimizerOptions {
  const parsed = OptimizerOptionsSchema.safeParse(options);
  if (!parsed.success) throw optionsError(context, parsed.error);
  return Object.fromEntries(Object.keys(options).map((k) => [k, (parsed.data as Record<string, unknown>)[k]])) as OptimizerOptions;
}

/** The native optimizer options of a run's `optim` section and its gradient accumulation. */
export function optimizerOptionsOf(optim: OptimConfig, accumulate = 1): OptimizerOptions {
  const { name: _name, learning_rate, betas, scheduler: _scheduler, warmup: _warmup, grad_clip, ...settings } = optim;
  return { ...settings, lr: learning_rate, beta1: betas[0], beta2: betas[1], clip: grad_clip, accumulate };
}

// ---- Sampler and rollout --------------------------------------------------------------------------------

/** 'distilled': a progressively distilled student (latent-emulator distill) taking `steps` deterministic DDIM steps. */
export const SAMPLERS = ['euler', 'heun', 'ddpm', 'ddim', 'ab', 'eab', 'pc', 'distilled'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export const SamplerOptionsSchema = z.object({
  /** The reference's evaluation: Adams–Bashforth ('ab') of order 3 with 16 steps. */
  sampler: z.enum(SAMPLERS, { error: (issue) => `must be one of ${SAMPLERS.join(', ')}, got '${String(issue.input)}'` }).default('ab'),
  /** Sampler (integration) steps from t = 1 to 0. */
  steps: positiveInteger().default(16),
  /** ab / eab: 1..3. */
  order: positiveInteger().max(3, { error: 'must be 1, 2 or 3' }).default(3),
  /** ddim: 0 deterministic … 1 = ddpm. */
  eta: z.number().min(0).default(0),
  /** pc: Langevin corrections per step and their step size. */
  corrections: nonNegativeInteger().default(1),
  delta: z.number().positive().default(0.01),
});
export type SamplerOptions = z.input<typeof SamplerOptionsSchema>;
/** The defaults (sampler 'ab', 16 steps, …), e.g. for CLI flags. */
export const SAMPLER_DEFAULTS = SamplerOptionsSchema.parse({});

/** A native handle crossing as it is (checked natively: an Autoencoder, a tensor). */
const handle = <T>(what: string) => z.custom<T>((v) => typeof v === 'object' && v !== null, { error: `must be ${what}` });

export const GUIDANCE_OPERATORS = ['subsample', 'downscale'] as const;
export const GUIDANCE_SOLVERS = ['gmres', 'cg'] as const;

/**
 * MMPS guidance of a rollout (spec §5; native/sample/guided_rollout.h): observations y = A(D(z)) + N(0, obs_noise² I)
 * of the decoded states, A subsampling or block-averaging by `factor`. Checked against the model and data first
 * by lib/emulate/guidance.ts (checkGuidance).
 */
export const GuidanceOptionsSchema = z
  .object({
    /** The autoencoder's native handle: its decoder D is differentiated through. */
    decoder: handle<NativeAutoencoder>('an Autoencoder'),
    /** (B, T, C, *observed): the observations of each trajectory's states, from the first context state on. */
    observations: handle<NativeTensor>('a tensor'),
    /** (*observed) or (C, *observed), nonzero where observed (default everywhere). */
    observed: handle<NativeTensor>('a tensor').optional(),
    operator: z.enum(GUIDANCE_OPERATORS, { error: (issue) => `must be subsample or downscale, got "${String(issue.input)}"` }),
    factor: positiveInteger(),
    /** σ_y, the observation noise. */
    obs_noise: z.number({ error: 'must be a positive number' }).positive({ error: 'must be a positive number' }).default(0.1),
    /** The Krylov solver of (Σ_y + A Σ_x Aᵀ) u = y − ŷ and its iterations. */
    solver: z.enum(GUIDANCE_SOLVERS, { error: (issue) => `must be gmres or cg, got "${String(issue.input)}"` }).default('gmres'),
    iterations: positiveInteger().max(64, { error: 'must be 1..64' }).default(1),
  })
  .strict();
export type GuidanceOptions = z.input<typeof GuidanceOptionsSchema>;

export const RolloutOptionsSchema = SamplerOptionsSchema.extend({
  /** States in the returned trajectory, context included. */
  length: positiveInteger(),
  /** States per window (default: the model's). */
  window: integer(2, 'an integer ≥ 2').optional(),
  /** Known states of the first window (default: as many as given). */
  context: positiveInteger().optional(),
  /** States carried from one window to the next. */
  overlap: positiveInteger().default(1),
  /** States kept of each window (default: the window). */
  crop: positiveInteger().optional(),
  /** Ensemble members K. */
  members: positiveInteger().default(1),
  seed: nonNegativeInteger().default(0),
  /** Skip the up-front memory estimate (lib/util/size-guard.ts). */
  ignoreSizeLimits: z.boolean().optional(),
  /** MMPS guidance by observations (diffusion only). */
  guidance: GuidanceOptionsSchema.optional(),
}).strict();
export type RolloutOptions = z.input<typeof RolloutOptionsSchema>;

/** Denoiser.sample: a sampler's options and the seed of its stochastic draws. */
export const SampleOptionsSchema = SamplerOptionsSchema.extend({ seed: nonNegativeInteger().default(0) }).strict();

/** Windows a rollout of `length` states needs: 1 + ⌈(length − crop) / (crop − overlap)⌉ beyond the first crop. */
export function windowCount(options: { length: number; window?: number; crop?: number; overlap?: number }): number {
  const crop = options.crop ?? options.window ?? 5;
  const overlap = options.overlap ?? 1;
  if (options.length <= crop) return 1;
  return 1 + Math.ceil((options.length - crop) / (crop - overlap));
}

// ---- Emulator (ViT) config ---------------------------------------------------------------------------------
// configs/denoiser/*.yaml, configs/surrogate/*.yaml: the ViT backbone's keys as in the reference (§4.1), the
// diffusion schedule and time prior (§4.3) and the training context mask (§4.2). Data-dependent fields
// (channels, label_features, spatial, spatial_shape) come from the dataset or cache.

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

// ---- Autoencoder (DCAE) config -------------------------------------------------------------------------------
// configs/ae/*.yaml, with the reference's keys.

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
