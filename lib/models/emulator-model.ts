// What the two latent emulators share in TypeScript: a native Emulator built from a ViT config, training steps on
// data-layer batches (state (B, T, C, *space), label (B, D)), rollouts, weights with the reference's keys. Calls
// on one model run in order (a per-model queue; the C++ side also holds a lock).
import type { Tensor as Batch } from '../data/types.js';
import { emulateRollout, type Rollout, type RolloutOptions } from '../emulate/rollout.js';
import type { NativeEmulator, NativeEmulatorOptimizerOptions, NativeTensor, TrainStepResult, WeightsInfo } from '../native/addon-types.js';
import { native } from '../native/loader.js';
import { readSafetensors } from '../io/safetensors.js';
import { isTensor, tensor } from '../tensor.js';
import { nativeEmulatorConfig, vitConfig, type EmulatorKind, type ViTConfig, type ViTConfigInput } from './vit-config.js';

export type { TrainStepResult, WeightsInfo };
export type TensorLike = NativeTensor | Batch;

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
  precision?: 'float32' | 'bfloat16';
  overrides?: Partial<ViTConfigInput>;
}

export interface EmulatorBatch {
  /** (B, T, C, *space), T = the window. */
  state: TensorLike;
  /** (B, D) or (D). */
  label?: TensorLike;
}

function asNative(x: TensorLike): NativeTensor {
  return isTensor(x) ? x : tensor(x.data, x.shape);
}

function optionalNative(x: TensorLike | undefined): NativeTensor | undefined {
  return x === undefined ? undefined : asNative(x);
}

export abstract class EmulatorModel {
  readonly config: ViTConfig;
  protected readonly model: NativeEmulator;
  private queue: Promise<unknown> = Promise.resolve();

  protected constructor(config: ViTConfig, model: NativeEmulator) {
    this.config = config;
    this.model = model;
  }

  protected static build(kind: EmulatorKind, source: string | ViTConfigInput, options: EmulatorOptions): { config: ViTConfig; model: NativeEmulator } {
    const given: Partial<ViTConfigInput> = { ...options.overrides };
    if (options.channels !== undefined) given.channels = options.channels;
    if (options.label_features !== undefined) given.label_features = options.label_features;
    if (options.spatial !== undefined) given.spatial = options.spatial;
    if (options.spatial_shape !== undefined) given.spatial_shape = options.spatial_shape;
    const config = vitConfig(kind, source, given);
    const model = new (native().Emulator)(JSON.stringify(nativeEmulatorConfig(kind, config)), options.device ?? 'cpu');
    if (options.precision) model.setAutocast(options.precision);
    return { config, model };
  }

  /** The config stored in a weights file's metadata (ours), for rebuilding the model. */
  protected static configFromWeights(path: string): ViTConfigInput {
    const meta = readSafetensors(path).metadata;
    if (!meta.config) throw new Error(`${path}: no config in the weights' metadata (build the model from a preset, then loadWeights)`);
    const c = JSON.parse(meta.config) as Record<string, unknown>;
    const shape = c.spatial_shape as number[];
    return {
      channels: c.channels as number,
      label_features: c.label_features as number,
      spatial: c.spatial as 1 | 2 | 3,
      ...(shape.length ? { spatial_shape: shape } : {}),
      window: c.window as number,
      hid_channels: c.hid_channels as number,
      hid_blocks: c.hid_blocks as number,
      attention_heads: c.attention_heads as number,
      ffn_factor: c.ffn_factor as number,
      emb_features: c.emb_features as number,
      patch_size: (c.patch_size as number[]).length ? (c.patch_size as number[]) : 1,
      window_size: (c.window_size as number[] | null | undefined) ?? null,
      dropout: c.dropout as number,
      qk_norm: c.qk_norm as boolean,
      rope: c.rope as boolean,
      schedule: { name: c.schedule as 'log_logit', sigma_min: c.sigma_min as number, sigma_max: c.sigma_max as number, scale: c.schedule_scale as number, shift: c.schedule_shift as number },
      time_prior: { name: c.time_prior as 'uniform', a: c.prior_a as number, b: c.prior_b as number },
      context_rate: c.context_rate as number,
      forward_probability: c.forward_probability as number,
    };
  }

  protected run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  get device(): string {
    return this.model.device;
  }

  get training(): boolean {
    return this.model.training;
  }

  parameterCount(): number {
    return this.model.parameterCount();
  }

  /** FLOPs of one network evaluation of one window (B = 1) of the given spatial size. */
  forwardFlops(spatialShape: number[], window = this.config.window): number {
    return this.model.forwardFlops(window, spatialShape);
  }

  /** Dropout on (training) or off (evaluation). Rollouts always run in evaluation mode. */
  train(training = true): this {
    this.model.setTraining(training);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  setPrecision(precision: 'float32' | 'bfloat16'): void {
    this.model.setAutocast(precision);
  }

  /** Optimizer settings (AdamW, or SOAP) for the next training steps (resets the optimizer's moments). */
  configureOptimizer(options: NativeEmulatorOptimizerOptions): void {
    this.model.configureOptimizer(options);
  }

  /**
   * The training loss of a batch (random context masks), without gradients. With `seed`, the mask, time
   * and noise are drawn from a generator seeded with it and libtorch's generators are left untouched: a
   * reproducible validation loss that does not shift the training stream.
   */
  loss(batch: EmulatorBatch, options: { seed?: number } = {}): Promise<number> {
    return this.run(() => this.model.loss(asNative(batch.state), optionalNative(batch.label), options.seed));
  }

  /** One whole step in C++: random context mask, loss, backward, clipping, AdamW; non-finite steps are skipped. */
  trainStep(batch: EmulatorBatch, learningRate: number): Promise<TrainStepResult> {
    return this.run(() => this.model.trainStep(asNative(batch.state), optionalNative(batch.label), learningRate));
  }

  /** Autoregressive rollout from `context` (B, c, C, *space); see lib/emulate/rollout.ts. */
  rollout(context: TensorLike, label: TensorLike | undefined, options: RolloutOptions): Promise<Rollout> {
    return this.run(() => emulateRollout(this.model, asNative(context), optionalNative(label), { window: this.config.window, ...options }));
  }

  saveWeights(path: string, metadata: Record<string, string> = {}): Promise<void> {
    return this.run(() => this.model.saveWeights(path, metadata));
  }

  /**
   * Weights plus everything exact resumption needs: optimizer moments and step counts (`optimizer.*`),
   * trainer counters (`trainer.*`) and libtorch's generator state (`rng.*`); `metadata` is stored as given.
   */
  saveCheckpoint(path: string, metadata: Record<string, string> = {}): Promise<void> {
    return this.run(() => this.model.saveCheckpoint(path, JSON.stringify(metadata)));
  }

  /** Restores what saveCheckpoint wrote (configure the optimizer first); returns its metadata. */
  loadCheckpoint(path: string, options: { restoreRng?: boolean } = {}): Promise<Record<string, string>> {
    return this.run(() => this.model.loadCheckpoint(path, options.restoreRng ?? true));
  }

  /** Strict by default: missing, unexpected and mis-shaped keys are listed in one error. Checkpoints load too (their training state is skipped). */
  loadWeights(path: string, options: { strict?: boolean } = {}): Promise<WeightsInfo> {
    return this.run(() => this.model.loadWeights(path, options.strict ?? true));
  }

  stateDictShapes(): Array<{ name: string; shape: number[]; dtype: string }> {
    return this.model.stateDictShapes();
  }

  to(device: string): Promise<void> {
    return this.run(() => this.model.toDevice(device));
  }

  /** d loss along a random parameter direction, autograd vs central difference (float64, fixed mask/time/noise). */
  gradCheck(batch: EmulatorBatch, eps = 1e-5, seed = 0): Promise<{ analytic: number; numeric: number }> {
    return this.run(() => this.model.gradCheck(asNative(batch.state), optionalNative(batch.label), eps, seed));
  }
}
