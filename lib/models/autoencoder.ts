// The DCAE autoencoder as users see it: built from a preset or config with the reference's keys; encode,
// decode, loss and whole training steps run in C++ off the JavaScript thread, one call at a time per model.
import type { Tensor as Batch } from '../data/types.js';
import type { NativeAutoencoder, NativeTensor, TrainStepResult, WeightsInfo } from '../native/addon-types.js';
import { native } from '../native/loader.js';
import { isTensor, tensor } from '../tensor.js';
import { autoencoderConfig, downsampling, type AutoencoderConfig, type AutoencoderConfigInput } from './autoencoder-config.js';

export type { TrainStepResult, WeightsInfo };
/** A native tensor, or a plain `{data, shape}` batch as the data layer yields it. */
export type TensorLike = NativeTensor | Batch;

export interface AutoencoderOptions {
  /** Channels of the physical state (the dataset's), unless the config says. */
  pix_channels?: number;
  device?: string;
  /** 'bfloat16' runs encode/decode/loss/training under bf16 autocast; float32 by default. */
  precision?: 'float32' | 'bfloat16';
  overrides?: Partial<AutoencoderConfigInput>;
}

export interface OptimizerOptions {
  /** AdamW */
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weight_decay?: number;
  /** Global gradient-norm clip (≤ 0 disables). */
  clip?: number;
  /** Exponential moving average of the weights, updated after every step (0 disables, the default). */
  ema_decay?: number;
  /** Micro-batches per optimizer step: the batch is split in `accumulate` equal parts (gradient accumulation). */
  accumulate?: number;
  /** 'adamw' (default) or 'soap' (Adam in the eigenbasis of Shampoo's Kronecker factors). */
  optimizer?: 'adamw' | 'soap';
  /** SOAP: eigenbasis refresh period (steps, default 10). */
  precondition_frequency?: number;
  /** SOAP: EMA factor of the Kronecker factors (default beta2). */
  shampoo_beta?: number;
  /** SOAP: larger dimensions are left unpreconditioned (default 4096). */
  max_precond_dim?: number;
}

function asNative(x: TensorLike): NativeTensor {
  return isTensor(x) ? x : tensor(x.data, x.shape);
}

export class Autoencoder {
  readonly config: AutoencoderConfig & { pix_channels: number };
  private readonly model: NativeAutoencoder;
  // Calls on one model run in order; the C++ side also holds a lock per model.
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(config: AutoencoderConfig & { pix_channels: number }, model: NativeAutoencoder) {
    this.config = config;
    this.model = model;
  }

  /** The native model, for a guided rollout that decodes inside the emulator's native call (lib/emulate/guidance.ts). */
  get nativeModel(): NativeAutoencoder {
    return this.model;
  }

  /** `Autoencoder.create('dcae_f8c16_cpu', { pix_channels: 5 })`, or with a config object. */
  static create(source: string | AutoencoderConfigInput, options: AutoencoderOptions = {}): Autoencoder {
    const config = autoencoderConfig(source, { ...options.overrides, ...(options.pix_channels ? { pix_channels: options.pix_channels } : {}) });
    if (!config.pix_channels) throw new Error(`autoencoder config ${config.name ?? ''}: pix_channels is not set (give the dataset's channel count)`);
    const full = config as AutoencoderConfig & { pix_channels: number };
    const { name: _name, ...nativeConfig } = full;
    const model = new (native().Autoencoder)(JSON.stringify(nativeConfig), options.device ?? 'cpu');
    if (options.precision) model.setAutocast(options.precision);
    return new Autoencoder(full, model);
  }

  private run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Total spatial downsampling r. */
  get downsampling(): number {
    return downsampling(this.config);
  }

  get device(): string {
    return this.model.device;
  }

  get training(): boolean {
    return this.model.training;
  }

  /** Latent shape for an input shape (B, C, *space). */
  latentShape(inputShape: number[]): number[] {
    const [batch, , ...space] = inputShape;
    return [batch!, this.config.lat_channels, ...space.map((s) => s / this.downsampling)];
  }

  /** Input values per latent value, e.g. 512·512·5 / (16·16·64) = 80. */
  compressionRate(inputShape: number[]): number {
    const latent = this.latentShape(inputShape);
    return inputShape.slice(1).reduce((a, b) => a * b, 1) / latent.slice(1).reduce((a, b) => a * b, 1);
  }

  parameterCount(): number {
    return this.model.parameterCount();
  }

  /** Dropout on (training) or off (evaluation). */
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

  /** (B, pix_channels, *space) → (B, lat_channels, *space / r), saturated. */
  encode(x: TensorLike): Promise<NativeTensor> {
    return this.run(() => this.model.encode(asNative(x)));
  }

  /** (B, lat_channels, *s) → (B, pix_channels, *s · r). */
  decode(z: TensorLike): Promise<NativeTensor> {
    return this.run(() => this.model.decode(asNative(z)));
  }

  /** The configured training loss (vrmse by default) of a batch, without gradients. */
  loss(x: TensorLike, options: { ema?: boolean; eval?: boolean } = {}): Promise<number> {
    return this.run(() => this.model.loss(asNative(x), options.ema ?? false, options.eval ?? false));
  }

  /** Optimizer settings for the next training steps (resets the optimizer's moments and the EMA). */
  configureOptimizer(options: OptimizerOptions): void {
    this.model.configureOptimizer(JSON.stringify(options));
  }

  /** One whole step in C++: forward, loss, backward, clipping, AdamW; non-finite steps are skipped. */
  trainStep(x: TensorLike, learningRate: number): Promise<TrainStepResult> {
    return this.run(() => this.model.trainStep(asNative(x), learningRate));
  }

  /** Weights as safetensors with the reference's state-dict keys (buffers included), written atomically. */
  saveWeights(path: string, metadata: Record<string, string> = {}, options: { ema?: boolean } = {}): Promise<void> {
    return this.run(() => this.model.saveWeights(path, JSON.stringify(metadata), options.ema ?? false));
  }

  /**
   * The whole training state in one safetensors file, written atomically: weights (state-dict keys, so
   * `loadWeights` reads it too), optimizer moments and step counts (`optimizer.*`), EMA (`ema.*`),
   * counters (`trainer.*`) and libtorch's generator state (`rng.*`); `metadata` is stored as given.
   */
  saveCheckpoint(path: string, metadata: Record<string, string> = {}): Promise<void> {
    return this.run(() => this.model.saveCheckpoint(path, JSON.stringify(metadata)));
  }

  /** Restores what saveCheckpoint wrote (configure the optimizer first, EMA included); returns its metadata. */
  loadCheckpoint(path: string, options: { restoreRng?: boolean } = {}): Promise<Record<string, string>> {
    return this.run(() => this.model.loadCheckpoint(path, options.restoreRng ?? true));
  }

  /**
   * Loads safetensors weights (ours, or the reference's converted by scripts/convert_pth.py). Strict by
   * default: missing, unexpected and mis-shaped keys are listed in one error; `strict: false` reports
   * missing and unexpected keys instead (shapes must still match). Checkpoints (saveCheckpoint) load too:
   * their training state is skipped, and `ema: true` takes the EMA weights where the checkpoint has them.
   */
  loadWeights(path: string, options: { strict?: boolean; ema?: boolean } = {}): Promise<WeightsInfo> {
    return this.run(() => this.model.loadWeights(path, options.strict ?? true, options.ema ?? false));
  }

  stateDictShapes(): Array<{ name: string; shape: number[]; dtype: string }> {
    return this.model.stateDictShapes();
  }

  to(device: string): Promise<void> {
    return this.run(() => this.model.toDevice(device));
  }

  /** Seconds for `iterations` of encode/decode/train inside C++ (benchmarks: the cost of the JS boundary). */
  benchLoop(x: TensorLike, what: 'encode' | 'decode' | 'train', iterations: number, learningRate = 0): Promise<number> {
    return this.run(() => this.model.benchLoop(asNative(x), what, iterations, learningRate));
  }
}
