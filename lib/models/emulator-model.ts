// What the two latent emulators (Denoiser, Surrogate) share on top of NativeModel: a native Emulator built from a
// ViT config, data-layer batches (state (B, T, C, *space), label (B, D)), rollouts, and models rebuilt from the
// config in their weights files.
import type { NativeEmulator, NativeTensor } from '../native/addon-types.js';
import { native } from '../native/loader.js';
import { readSafetensors } from '../io/safetensors.js';
import { asNative, NativeModel, optionalNative, type Precision, type TensorLike } from './native-model.js';
import { optionsError, RolloutOptionsSchema, windowCount, type EmulatorKind, type RolloutOptions, type ViTConfig, type ViTConfigInput } from './schemas.js';
import { vitConfig } from './vit-config.js';
import { guardMemory } from '../util/size-guard.js';
import { DISTILL_STEPS_KEY, nativeSamplerOptions } from './distilled-sampler.js';
import type { WeightsInfo } from './native-model.js';

export type { TensorLike, TrainStepResult, WeightsInfo } from './native-model.js';

export interface EmulatorOptions {
  /** Latent channels C (from the cache), unless the config says. */
  channels?: number;
  /** Label features D (from the dataset), unless the config says. */
  label_features?: number;
  /** Physical axes, 1–3. */
  spatial?: 1 | 2 | 3;
  /** The spatial size the model is for; inputs of another size are refused. */
  spatial_shape?: number[];
  device?: string;
  precision?: Precision;
  overrides?: Partial<ViTConfigInput>;
}

export interface EmulatorBatch {
  /** (B, T, C, *space), T = the window. */
  state: TensorLike;
  /** (B, D) or (D). */
  label?: TensorLike;
}

export interface Rollout {
  /** (B, K, length, C, *space). */
  states: NativeTensor;
  /** Seconds inside the native call (the JS boundary costs the rest). */
  seconds: number;
  /** Network evaluations for one member batch. */
  evaluations: number;
  /** Windows emulated. */
  windows: number;
}

/** A concrete emulator class (Denoiser, Surrogate): its kind and its constructor. */
export interface EmulatorClass<T extends EmulatorModel> {
  readonly kind: EmulatorKind;
  new (config: ViTConfig, handle: NativeEmulator, precision?: Precision): T;
}

export abstract class EmulatorModel extends NativeModel<EmulatorBatch, { state: NativeTensor; label?: NativeTensor }> {
  abstract readonly kind: EmulatorKind;
  readonly config: ViTConfig;
  protected readonly model: NativeEmulator;
  /**
   * The step count of a distilled student (latent-emulator distill), read from its weights' metadata by
   * loadWeights; undefined for any other weights. Only students take the 'distilled' sampler.
   */
  distilledSteps: number | undefined;

  /** @internal Use `create` or `fromWeights`. */
  constructor(config: ViTConfig, handle: NativeEmulator, precision?: Precision) {
    super(handle, precision);
    this.config = config;
    this.model = handle;
  }

  /** A model of class `Class` from a preset name, YAML path or config object (Denoiser.create, Surrogate.create). */
  protected static build<T extends EmulatorModel>(Class: EmulatorClass<T>, source: string | ViTConfigInput, options: EmulatorOptions = {}): T {
    const given: Partial<ViTConfigInput> = { ...options.overrides };
    if (options.channels !== undefined) given.channels = options.channels;
    if (options.label_features !== undefined) given.label_features = options.label_features;
    if (options.spatial !== undefined) given.spatial = options.spatial;
    if (options.spatial_shape !== undefined) given.spatial_shape = options.spatial_shape;
    const config = vitConfig(Class.kind, source, given);
    if (config.channels === undefined) throw new Error(`${Class.kind} config ${config.name ?? ''}: channels is not set (give the latent channels)`);
    return new Class(config, new (native().Emulator)({ ...config, kind: Class.kind }, options.device ?? 'cpu'), options.precision);
  }

  /** A model of class `Class` rebuilt from the config in one of our weights files (or checkpoints), with those weights loaded. */
  protected static async load<T extends EmulatorModel>(Class: EmulatorClass<T>, path: string, options: Omit<EmulatorOptions, 'overrides'> = {}): Promise<T> {
    const model = EmulatorModel.build(Class, configFromWeights(path), { device: options.device, precision: options.precision });
    await model.loadWeights(path);
    return model;
  }

  override async loadWeights(path: string, options: { strict?: boolean; ema?: boolean } = {}): Promise<WeightsInfo> {
    const info = await super.loadWeights(path, options);
    const steps = info.metadata[DISTILL_STEPS_KEY];
    this.distilledSteps = steps === undefined ? undefined : Number(steps);
    return info;
  }

  protected nativeBatch(batch: EmulatorBatch): { state: NativeTensor; label?: NativeTensor } {
    return { state: asNative(batch.state), label: optionalNative(batch.label) };
  }

  protected fileConfig(): object {
    return { kind: this.kind, ...this.config };
  }

  /** FLOPs of one network evaluation of one window (B = 1) of the given spatial size. */
  forwardFlops(spatialShape: number[], window = this.config.window): number {
    return this.model.forwardFlops(window, spatialShape);
  }

  /**
   * Autoregressive rollout (spec §5 emulate_rollout) in one native call: windows of `window` states, the first
   * conditioned on the `context` given states, each later one on the last `overlap` states of the previous
   * window (cropped to `crop`), for K ensemble `members` at once, seeded. context (B, c, C, *space) → states
   * (B, K, length, C, *space), context included at the start. Rollouts run in evaluation mode.
   */
  rollout(context: TensorLike, label: TensorLike | undefined, options: RolloutOptions): Promise<Rollout> {
    const parsed = RolloutOptionsSchema.safeParse(options);
    if (!parsed.success) return Promise.reject(optionsError(`${this.kind === 'denoiser' ? 'Denoiser' : 'Surrogate'}.rollout`, parsed.error));
    let o: Omit<typeof parsed.data, 'ignoreSizeLimits'> & { window: number };
    let ignoreSizeLimits: boolean | undefined;
    try {
      ({ ignoreSizeLimits, ...o } = { window: this.config.window, ...parsed.data });
      o = nativeSamplerOptions(o, this.distilledSteps, `${this.kind === 'denoiser' ? 'Denoiser' : 'Surrogate'}.rollout`);
    } catch (err) {
      return Promise.reject(err);
    }
    // (B, K, length, C, *space) float32 states, plus about as much again in windows and sampler buffers.
    const [B = 1, , ...state] = context.shape;
    try {
      guardMemory(`rollout of ${B} × ${o.members} members × ${o.length} states`, 2 * 4 * B * o.members * o.length * state.reduce((a, b) => a * b, 1), { ignoreSizeLimits });
    } catch (err) {
      return Promise.reject(err);
    }
    return this.run(async () => {
      const { states, seconds, evaluations } = await this.model.rollout(asNative(context), optionalNative(label), o);
      return { states, seconds, evaluations, windows: windowCount(o) };
    });
  }
}

/** The config stored in a weights file's metadata (ours), for rebuilding the model. */
function configFromWeights(path: string): ViTConfigInput {
  const meta = readSafetensors(path).metadata;
  if (!meta.config) throw new Error(`${path}: no config in the weights' metadata (build the model from a preset, then loadWeights)`);
  const { kind: _kind, ...config } = JSON.parse(meta.config) as Record<string, unknown>;
  return (typeof config.schedule === 'string' ? legacyFlatConfig(config) : config) as ViTConfigInput;
}

/** Weights written before the config crossed nested (0.1): schedule and time prior were flattened. */
function legacyFlatConfig(c: Record<string, unknown>): Record<string, unknown> {
  const { schedule, sigma_min, sigma_max, schedule_scale, schedule_shift, time_prior, prior_a, prior_b, spatial_shape, patch_size, ...rest } = c;
  return {
    ...rest,
    ...((spatial_shape as number[]).length ? { spatial_shape } : {}),
    patch_size: (patch_size as number[]).length ? patch_size : 1,
    schedule: { name: schedule, sigma_min, sigma_max, scale: schedule_scale, shift: schedule_shift },
    time_prior: { name: time_prior, a: prior_a, b: prior_b },
  };
}
