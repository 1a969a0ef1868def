// The shape of what the C++ addon exports (native/js/*.cc), typed in one place; option and config types come
// from the zod schemas (lib/models/schemas.ts). Only lib/ talks to the addon directly.
import type { AutoencoderConfig, EmulatorKind, GuidanceOptions, OptimizerOptions, RolloutOptions, SamplerOptions, ViTConfig } from '../models/schemas.js';

export type Dtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'uint8' | 'bool';
export type TypedArray = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

/** A libtorch tensor owned by JavaScript. Its memory is freed by `dispose()` or when it is collected. */
export interface NativeTensor {
  readonly shape: number[];
  readonly dtype: Dtype;
  /** "cpu", "cuda:0", … */
  readonly device: string;
  readonly disposed: boolean;
  /** The values as a typed array (float16/bfloat16 as raw Uint16 bits); copies to CPU first when needed. */
  dataSync(): TypedArray;
  data(): Promise<TypedArray>;
  /** A copy on another device and/or of another dtype, e.g. `to('cuda')`, `to('bfloat16')`, `to('cpu', 'float64')`. */
  to(deviceOrDtype?: string, dtype?: string): Promise<NativeTensor>;
  dispose(): void;
}

export interface NativeTensorClass {
  new (data: TypedArray, shape: number[], dtype?: Dtype): NativeTensor;
}

/** One operator's row of a profile (native/core/op_profiler.h). */
export interface OpProfileRow {
  name: string;
  /** with `shapes`: the inputs' shapes and types, e.g. "[1280, 256] bf16, [256, 1024] bf16" */
  inputs?: string;
  calls: number;
  /** time inside the op minus its callees' */
  selfMs: number;
  totalMs: number;
  /** selfMs / opsMs */
  share: number;
}

export interface OpProfile {
  wallMs: number;
  /** self time of all ops together */
  opsMs: number;
  /** by self time, largest first */
  ops: OpProfileRow[];
}

export interface RuntimeInfo {
  torchVersion: string;
  cudaBuilt: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  mklAvailable: boolean;
  mkldnnAvailable: boolean;
  numThreads: number;
  numInteropThreads: number;
  parallelInfo: string;
  buildConfig: string;
  napiVersion: number;
}

export interface TrainStepResult {
  loss: number;
  gradNorm: number;
  skipped: boolean;
  /** Optimizer steps taken so far (not counting skipped ones). */
  steps: number;
  /** Non-finite steps skipped so far. */
  skippedSteps: number;
  /** Seconds the step took on the compute thread. */
  seconds: number;
}

export interface WeightsInfo {
  /** The file's `__metadata__` (ours hold `config`). */
  metadata: Record<string, string>;
  /** Keys the model has and the file lacks (non-strict loads only). */
  missing: string[];
  /** Keys the file has and the model lacks (non-strict loads only). */
  unexpected: string[];
}

export type Precision = 'float32' | 'bfloat16';

/** What every native model handle offers (native/js/js_model.h); `B` is the model's batch object. */
export interface NativeModel<B> {
  /** With seed: the random draws come from generators seeded with it; libtorch's are left as they were. */
  loss(batch: B, options?: { ema?: boolean; eval?: boolean; seed?: number }): Promise<number>;
  trainStep(batch: B, learningRate: number): Promise<TrainStepResult>;
  configureOptimizer(options: OptimizerOptions): void;
  setTraining(training: boolean): void;
  readonly training: boolean;
  parameterCount(): number;
  stateDictShapes(): Array<{ name: string; shape: number[]; dtype: Dtype }>;
  saveWeights(path: string, metadata: Record<string, string>, options?: { ema?: boolean }): Promise<void>;
  loadWeights(path: string, options?: { strict?: boolean; ema?: boolean }): Promise<WeightsInfo>;
  /** Weights, optimizer state, trainer counters and generator state(s) in one file; metadata as given. */
  saveCheckpoint(path: string, metadata: Record<string, string>): Promise<void>;
  loadCheckpoint(path: string, options?: { restoreRng?: boolean }): Promise<Record<string, string>>;
  toDevice(device: string): Promise<void>;
  readonly device: string;
  setAutocast(dtype: Precision): void;
  gradCheck(batch: B, eps: number, seed: number): Promise<{ analytic: number; numeric: number }>;
}

/** native/js/autoencoder_binding.cc: the batch is {x (B, pix_channels, *space)}. */
export interface NativeAutoencoder extends NativeModel<{ x: NativeTensor }> {
  encode(x: NativeTensor): Promise<NativeTensor>;
  decode(z: NativeTensor): Promise<NativeTensor>;
  benchLoop(x: NativeTensor, what: 'encode' | 'decode' | 'train', iterations: number, learningRate: number): Promise<number>;
}

/** native/js/denoiser_binding.cc: a diffusion denoiser or surrogate (by the config's kind); batch {state (B, T, C, *space), label?}. */
export interface NativeEmulator extends NativeModel<{ state: NativeTensor; label?: NativeTensor }> {
  rollout(context: NativeTensor, label: NativeTensor | undefined, options: RolloutOptions): Promise<{ states: NativeTensor; seconds: number; evaluations: number }>;
  /** One preconditioned denoiser evaluation (diffusion only): x, context (B, L, C, *S), mask (B, L); alpha and sigma 1 or (B) values. */
  denoise(batch: NativeOpenBatch, levels: { alpha: NativeTensor; sigma: NativeTensor }): Promise<NativeDenoised>;
  /** A sampler run from x_1 = batch.x (diffusion only), conditioned on context[mask] when batch.context is given. */
  sampleFrom(batch: NativeOpenBatch, options: SamplerOptions & { seed?: number }): Promise<NativeTensor>;
  /** FLOPs of one network evaluation for one window (B = 1). */
  forwardFlops(window: number, spatialShape: number[]): number;
  /** Progressive distillation (native/sample/distillation.h): loss and trainStep fit `steps` student steps to the teacher's 2·steps DDIM steps; null: off. */
  setDistillation(teacher: string | null, options?: { steps: number }): Promise<void>;
  /** One seeded draw of the distillation example and target (needs setDistillation). */
  distillationTarget(batch: { state: NativeTensor; label?: NativeTensor }, options?: { seed?: number }): Promise<NativeDistillationTarget>;
}

/** native/sample/distillation.h DistillationTarget: states (B, L, C, *S), mask (B, L) bool, the rest (B). */
export interface NativeDistillationTarget {
  x_t: NativeTensor;
  target: NativeTensor;
  teacherNext: NativeTensor;
  mask: NativeTensor;
  index: NativeTensor;
  alpha: NativeTensor;
  sigma: NativeTensor;
  sigmaMid: NativeTensor;
  sigmaNext: NativeTensor;
}

/** The batch of the open denoiser's calls: x (B, L, C, *S), label?, mask? (B, L) nonzero where known, context? like x. */
export interface NativeOpenBatch {
  x: NativeTensor;
  label?: NativeTensor;
  mask?: NativeTensor;
  context?: NativeTensor;
}

/** MMPS guidance of a rollout (native/sample/guided_rollout.h): RolloutOptions' `guidance`, from lib/models/schemas.ts. */
export type NativeGuidanceOptions = GuidanceOptions;

export interface NativeEulerAdvanceOptions {
  boundary: 'open' | 'periodic';
  dx: number;
  dy: number;
  t0?: number;
  t1: number;
  cfl?: number;
  limiter?: 'mc' | 'minmod' | 'none';
  device?: string;
  ids?: number[];
  maxSteps?: number;
}

export interface NativeEulerAdvanceResult {
  state: NativeTensor;
  snapshot: NativeTensor;
  steps: number[];
  firstOrderCells: number;
}

export interface NativeRayleighBenardOptions {
  nx: number;
  ny: number;
  lx?: number;
  ly?: number;
  rayleigh: number;
  prandtl: number;
  dtMax?: number;
  cfl?: number;
  maxLevel?: number;
  device?: string;
  ids?: number[];
}

export interface NativeRayleighBenardStep {
  steps: number;
  time: number;
  dt: number;
  /** (B, 4, Nx, Ny) float32 on the CPU: buoyancy, pressure, velocity_x, velocity_y. */
  snapshot: NativeTensor;
  /** Volume-averaged Nusselt number 1 + <v b>/κ per trajectory. */
  nusselt: number[];
  kinetic: number[];
  maxDivergence: number;
  maxSpeed: number;
}

export interface NativeRayleighBenard {
  setState(buoyancy: NativeTensor, t0?: number): Promise<void>;
  advance(t1: number): Promise<NativeRayleighBenardStep>;
  coordinates(): { x: number[]; y: number[] };
}

/** An evaluation of the open denoiser (Emulator.denoise, native/sample/open_denoiser.h). */
export interface NativeDenoised {
  /** E[x | x_t], (B, L, C, *S). */
  mean: NativeTensor;
  /** EDM preconditioning, each (B) float64. */
  c_skip: NativeTensor;
  c_out: NativeTensor;
  c_in: NativeTensor;
  c_noise: NativeTensor;
}

export interface NativeGaussianSampleOptions extends Omit<SamplerOptions, 'sampler'> {
  /** Checked natively (the test hook takes any name). */
  sampler?: string;
  members?: number;
  seed?: number;
  schedule?: 'log_logit' | 'log_linear';
  sigma_min?: number;
  sigma_max?: number;
  /** (K, *mean.shape) initial x_1 (default: seeded noise). */
  init?: NativeTensor;
  /** With `mask` (bool, mean's shape): sample through MaskedDenoiser. */
  observed?: NativeTensor;
  mask?: NativeTensor;
}

export interface NativeAddon {
  Tensor: NativeTensorClass;
  Autoencoder: new (config: Omit<AutoencoderConfig, 'name'>, device: string) => NativeAutoencoder;
  setNumThreads(threads: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  info(): RuntimeInfo;
  matmulPeak(n: number, dtype: Dtype, iterations: number, device?: string): Promise<number>;
  profilerStart(shapes?: boolean): Promise<void>;
  profilerStop(top?: number): Promise<OpProfile>;
  eulerAdvance(state: NativeTensor, gamma: number[], options: NativeEulerAdvanceOptions): Promise<NativeEulerAdvanceResult>;
  eulerWellChannels(state: NativeTensor, gamma: number[]): Promise<NativeTensor>;
  RayleighBenard: new (options: NativeRayleighBenardOptions) => NativeRayleighBenard;
  Emulator: new (config: ViTConfig & { kind: EmulatorKind }, device: string) => NativeEmulator;
  /** Test hook (native/js/test_hooks.cc): the samplers driven by the exact denoiser of N(mean, diag(var)). */
  /** Test hook: C++ references to the tensor behind a JS Tensor (1 = the JS object's alone). */
  tensorUseCount(t: NativeTensor): number;
  /** Test hook: run the ViT on its pre-lean-path kernels (SDPA, per-forward tables), process-wide. */
  setViTReferencePath(on: boolean): void;
  /** Test hook: nn/dropout.h's training-mode dropout of x (channels-last first when asked) and d sum(y·grad)/dx. */
  counterDropout(x: NativeTensor, grad: NativeTensor, p: number, seed: number, channelsLast?: boolean): Promise<{ y: NativeTensor; dx: NativeTensor }>;
  /** Test hook: nn/channel_norm.h's channel layer norm of x made channels-last (bf16 when asked), d sum(y·grad)/dx, whether its kernel ran;
   *  in float32 also dx from a graph-building backward and d/dx sum(dx·grad) through it and through the plain layout's var_mean path. */
  channelNorm(
    x: NativeTensor,
    grad: NativeTensor,
    eps: number,
    bfloat16?: boolean,
  ): Promise<{ y: NativeTensor; dx: NativeTensor; kernel: boolean; dxGraph?: NativeTensor; second?: NativeTensor; secondReference?: NativeTensor }>;
  gaussianSample(mean: NativeTensor, variance: NativeTensor, options: NativeGaussianSampleOptions): Promise<{ samples: NativeTensor; evaluations: number }>;
  /** The c10d process group of data-parallel training (lib/launch/process-group.ts). */
  distributed: import('../launch/process-group.js').NativeDistributed;
  /** Test hook: MMPS guidance with the exact denoiser of N(mean, diag(variance)) and y = A x + N(0, var_y I): samples (K, E), float64. */
  gaussianGuidedSample(
    mean: NativeTensor,
    variance: NativeTensor,
    A: NativeTensor,
    y: NativeTensor,
    options: { var_y?: number; solver?: 'gmres' | 'cg'; iterations?: number; sampler?: string; steps?: number; order?: number; members?: number; seed?: number; sigma_min?: number; sigma_max?: number },
  ): Promise<NativeTensor>;
}
