// What every model shares in TypeScript, written once over the native handle (native/js/js_model.h): the call
// queue, train/eval, precision, optimizer, loss, training steps, weights and checkpoints. Autoencoder and the
// emulators (EmulatorModel) add only their own methods and say how a batch crosses. Calls on one model run in
// order (a per-model queue; the C++ side also holds a lock per model).
import type { HostArray } from '../data/types.js';
import type { NativeModel as NativeHandle, NativeTensor, Precision, TrainStepResult, WeightsInfo } from '../native/addon-types.js';
import { isTensor, tensor } from '../tensor.js';
import { optimizerOptions, type OptimizerOptions } from './schemas.js';

export type { OptimizerOptions, Precision, TrainStepResult, WeightsInfo };

/** A native tensor, or a plain `{data, shape}` array as the data layer yields it. */
export type TensorLike = NativeTensor | HostArray;

export function asNative(x: TensorLike): NativeTensor {
  return isTensor(x) ? x : tensor(x.data, x.shape);
}

export function optionalNative(x: TensorLike | undefined): NativeTensor | undefined {
  return x === undefined ? undefined : asNative(x);
}

export interface LossOptions {
  /** Evaluate the trainer's averaged weights (when EMA is on). */
  ema?: boolean;
  /** Dropout off for this call only. */
  eval?: boolean;
  /** Draw the random parts (masks, times, noise) from generators seeded with this and leave libtorch's
   *  untouched: a reproducible validation loss that does not shift the training stream. */
  seed?: number;
}

/** `Batch` is what users pass, `NativeBatch` what crosses to the addon. */
export abstract class NativeModel<Batch, NativeBatch> {
  private queue: Promise<unknown> = Promise.resolve();

  protected constructor(
    protected readonly handle: NativeHandle<NativeBatch>,
    precision?: Precision,
  ) {
    if (precision) handle.setAutocast(precision);
  }

  /** The batch as the addon takes it. */
  protected abstract nativeBatch(batch: Batch): NativeBatch;
  /** The config stored as `config` in the metadata of every weights file and checkpoint. */
  protected abstract fileConfig(): object;

  protected run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private metadata(metadata: Record<string, string>): Record<string, string> {
    return { ...metadata, config: JSON.stringify(this.fileConfig()) };
  }

  get device(): string {
    return this.handle.device;
  }

  get training(): boolean {
    return this.handle.training;
  }

  parameterCount(): number {
    return this.handle.parameterCount();
  }

  /** Dropout on (training) or off (evaluation). */
  train(training = true): this {
    this.handle.setTraining(training);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** 'bfloat16' runs inference, loss and training steps under bf16 autocast. */
  setPrecision(precision: Precision): void {
    this.handle.setAutocast(precision);
  }

  /** Optimizer settings (AdamW or SOAP, EMA, accumulation) for the next training steps; resets the moments and the EMA. */
  configureOptimizer(options: OptimizerOptions): void {
    this.handle.configureOptimizer(optimizerOptions(options, `${this.constructor.name}.configureOptimizer`));
  }

  /** The training loss of a batch, without gradients. */
  loss(batch: Batch, options: LossOptions = {}): Promise<number> {
    return this.run(() => this.handle.loss(this.nativeBatch(batch), options));
  }

  /** One whole step in C++: forward, loss, backward, clipping, optimizer step; non-finite steps are skipped. */
  trainStep(batch: Batch, learningRate: number): Promise<TrainStepResult> {
    return this.run(() => this.handle.trainStep(this.nativeBatch(batch), learningRate));
  }

  /** d loss along a random parameter direction: autograd against the central difference, in float64 with dropout off. */
  gradCheck(batch: Batch, eps = 1e-5, seed = 0): Promise<{ analytic: number; numeric: number }> {
    return this.run(() => this.handle.gradCheck(this.nativeBatch(batch), eps, seed));
  }

  /** Weights as safetensors with the reference's state-dict keys (buffers included), written atomically; `ema`: the averaged weights. */
  saveWeights(path: string, metadata: Record<string, string> = {}, options: { ema?: boolean } = {}): Promise<void> {
    return this.run(() => this.handle.saveWeights(path, this.metadata(metadata), options));
  }

  /**
   * Loads safetensors weights (ours, or the reference's converted by scripts/convert_pth.py). Strict by
   * default: missing, unexpected and mis-shaped keys are listed in one error; `strict: false` reports
   * missing and unexpected keys instead (shapes must still match). Checkpoints (saveCheckpoint) load too:
   * their training state is skipped, and `ema: true` takes the EMA weights where the checkpoint has them.
   */
  loadWeights(path: string, options: { strict?: boolean; ema?: boolean } = {}): Promise<WeightsInfo> {
    return this.run(() => this.handle.loadWeights(path, options));
  }

  /**
   * The whole training state in one safetensors file, written atomically: weights (state-dict keys, so
   * `loadWeights` reads it too), optimizer moments and step counts (`optimizer.*`), EMA (`ema.*`),
   * counters (`trainer.*`) and libtorch's generator state (`rng.*`); `metadata` is stored as given.
   */
  saveCheckpoint(path: string, metadata: Record<string, string> = {}): Promise<void> {
    return this.run(() => this.handle.saveCheckpoint(path, this.metadata(metadata)));
  }

  /** Restores what saveCheckpoint wrote (configure the optimizer first, EMA included); returns its metadata. */
  loadCheckpoint(path: string, options: { restoreRng?: boolean } = {}): Promise<Record<string, string>> {
    return this.run(() => this.handle.loadCheckpoint(path, options));
  }

  stateDictShapes(): Array<{ name: string; shape: number[]; dtype: string }> {
    return this.handle.stateDictShapes();
  }

  to(device: string): Promise<void> {
    return this.run(() => this.handle.toDevice(device));
  }
}
