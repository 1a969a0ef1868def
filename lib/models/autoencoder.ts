// The DCAE autoencoder as users see it: built from a preset or config with the reference's keys; encode,
// decode, loss and whole training steps run in C++ off the JavaScript thread (the shared members are
// NativeModel's), one call at a time per model.
import type { NativeAutoencoder, NativeTensor } from '../native/addon-types.js';
import { native } from '../native/loader.js';
import { autoencoderConfig, downsampling, type AutoencoderConfig, type AutoencoderConfigInput } from './autoencoder-config.js';
import { asNative, NativeModel, type Precision, type TensorLike } from './native-model.js';

export type { OptimizerOptions, TensorLike, TrainStepResult, WeightsInfo } from './native-model.js';

export interface AutoencoderOptions {
  /** Channels of the physical state (the dataset's), unless the config says. */
  pix_channels?: number;
  device?: string;
  /** 'bfloat16' runs encode/decode/loss/training under bf16 autocast; float32 by default. */
  precision?: Precision;
  overrides?: Partial<AutoencoderConfigInput>;
}

export class Autoencoder extends NativeModel<TensorLike, { x: NativeTensor }> {
  readonly config: AutoencoderConfig & { pix_channels: number };
  private readonly model: NativeAutoencoder;

  private constructor(config: AutoencoderConfig & { pix_channels: number }, model: NativeAutoencoder, precision?: Precision) {
    super(model, precision);
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
    return new Autoencoder(full, new (native().Autoencoder)(nativeConfig, options.device ?? 'cpu'), options.precision);
  }

  protected nativeBatch(x: TensorLike): { x: NativeTensor } {
    return { x: asNative(x) };
  }

  protected fileConfig(): object {
    const { name: _name, ...config } = this.config;
    return config;
  }

  /** Total spatial downsampling r. */
  get downsampling(): number {
    return downsampling(this.config);
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

  /** (B, pix_channels, *space) → (B, lat_channels, *space / r), saturated. */
  encode(x: TensorLike): Promise<NativeTensor> {
    return this.run(() => this.model.encode(asNative(x)));
  }

  /** (B, lat_channels, *s) → (B, pix_channels, *s · r). */
  decode(z: TensorLike): Promise<NativeTensor> {
    return this.run(() => this.model.decode(asNative(z)));
  }

  /** Seconds for `iterations` of encode/decode/train inside C++ (benchmarks: the cost of the JS boundary). */
  benchLoop(x: TensorLike, what: 'encode' | 'decode' | 'train', iterations: number, learningRate = 0): Promise<number> {
    return this.run(() => this.model.benchLoop(asNative(x), what, iterations, learningRate));
  }
}
