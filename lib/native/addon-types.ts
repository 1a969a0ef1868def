// The shape of what the C++ addon exports (native/js/*.cc). Only lib/ talks to it directly.

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
  steps?: number;
  /** Non-finite steps skipped so far. */
  skippedSteps?: number;
  /** Seconds the step took on the compute thread. */
  seconds?: number;
}

export interface WeightsInfo {
  /** The file's `__metadata__` (ours hold `config`). */
  metadata: Record<string, string>;
  /** Keys the model has and the file lacks (non-strict loads only). */
  missing: string[];
  /** Keys the file has and the model lacks (non-strict loads only). */
  unexpected: string[];
}

export interface NativeAutoencoder {
  encode(x: NativeTensor): Promise<NativeTensor>;
  decode(z: NativeTensor): Promise<NativeTensor>;
  loss(x: NativeTensor, useEma?: boolean, evalMode?: boolean): Promise<number>;
  trainStep(x: NativeTensor, learningRate: number): Promise<TrainStepResult>;
  configureOptimizer(optionsJson: string): void;
  setTraining(training: boolean): void;
  readonly training: boolean;
  parameterCount(): number;
  stateDictShapes(): Array<{ name: string; shape: number[]; dtype: Dtype }>;
  saveWeights(path: string, metadataJson: string, useEma?: boolean): Promise<void>;
  saveCheckpoint(path: string, metadataJson: string): Promise<void>;
  loadCheckpoint(path: string, restoreRng?: boolean): Promise<Record<string, string>>;
  loadWeights(path: string, strict: boolean, preferEma?: boolean): Promise<WeightsInfo>;
  toDevice(device: string): Promise<void>;
  readonly device: string;
  setAutocast(dtype: 'bfloat16' | 'float32'): void;
  benchLoop(x: NativeTensor, what: 'encode' | 'decode' | 'train', iterations: number, learningRate: number): Promise<number>;
  gradCheck(x: NativeTensor, eps: number, seed: number): Promise<{ analytic: number; numeric: number }>;
}

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
  snapshot: NativeTensor;
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

/** MMPS guidance of a rollout (native/sample/guided_rollout.h); checked first by lib/emulate/guidance.ts. */
export interface NativeGuidanceOptions {
  decoder: NativeAutoencoder;
  /** (B, T, C, *observed). */
  observations: NativeTensor;
  /** (*observed) or (C, *observed), nonzero where observed. */
  observed?: NativeTensor;
  operator: 'subsample' | 'downscale';
  factor: number;
  obs_noise: number;
  solver?: 'gmres' | 'cg';
  iterations?: number;
}

export interface NativeRolloutOptions {
  length: number;
  guidance?: NativeGuidanceOptions;
  window?: number;
  context?: number;
  overlap?: number;
  crop?: number;
  members?: number;
  seed?: number;
  sampler?: string;
  steps?: number;
  order?: number;
  eta?: number;
  corrections?: number;
  delta?: number;
}

/** A latent emulator (native/js/denoiser_binding.cc): diffusion denoiser or surrogate, by the config's kind. */
export interface NativeEmulatorOptimizerOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weight_decay?: number;
  clip?: number;
  optimizer?: 'adamw' | 'soap';
  precondition_frequency?: number;
  shampoo_beta?: number;
  max_precond_dim?: number;
}

export interface NativeEmulator {
  /** With a seed: mask, time and noise from a generator seeded with it; the default generators are left as they were. */
  loss(state: NativeTensor, label: NativeTensor | undefined, seed?: number): Promise<number>;
  trainStep(state: NativeTensor, label: NativeTensor | undefined, learningRate: number): Promise<TrainStepResult>;
  rollout(context: NativeTensor, label: NativeTensor | undefined, options: NativeRolloutOptions): Promise<{ states: NativeTensor; seconds: number; evaluations: number }>;
  /** One preconditioned denoiser evaluation (diffusion only); x, context (B, L, C, *S), mask (B, L), alpha and sigma (B). */
  denoise(x: NativeTensor, label: NativeTensor | undefined, mask: NativeTensor | undefined, context: NativeTensor | undefined, alpha: NativeTensor, sigma: NativeTensor): Promise<NativeDenoised>;
  /** A sampler run from the given x_1 (diffusion only), conditioned on context[mask] when context is given. */
  sampleFrom(x1: NativeTensor, label: NativeTensor | undefined, mask: NativeTensor | undefined, context: NativeTensor | undefined, options: Omit<NativeRolloutOptions, 'length'>): Promise<NativeTensor>;
  configureOptimizer(options: NativeEmulatorOptimizerOptions): void;
  setTraining(training: boolean): void;
  readonly training: boolean;
  /** The native config as JSON. */
  readonly config: string;
  parameterCount(): number;
  /** FLOPs of one network evaluation for one window (B = 1). */
  forwardFlops(window: number, spatialShape: number[]): number;
  stateDictShapes(): Array<{ name: string; shape: number[]; dtype: Dtype }>;
  saveWeights(path: string, metadata: Record<string, string>): Promise<void>;
  loadWeights(path: string, strict: boolean): Promise<WeightsInfo>;
  /** Weights, optimizer state, trainer counters and generator state(s) in one file; metadata as given (JSON object). */
  saveCheckpoint(path: string, metadataJson: string): Promise<void>;
  loadCheckpoint(path: string, restoreRng?: boolean): Promise<Record<string, string>>;
  toDevice(device: string): Promise<void>;
  readonly device: string;
  setAutocast(dtype: 'bfloat16' | 'float32'): void;
  gradCheck(state: NativeTensor, label: NativeTensor | undefined, eps: number, seed: number): Promise<{ analytic: number; numeric: number }>;
}

export interface NativeDenoised {
  /** E[x | x_t], (B, L, C, *S). */
  mean: NativeTensor;
  /** EDM preconditioning, each (B) float64. */
  c_skip: NativeTensor;
  c_out: NativeTensor;
  c_in: NativeTensor;
  c_noise: NativeTensor;
}

export interface NativeGaussianSampleOptions extends Omit<NativeRolloutOptions, 'length'> {
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
  Autoencoder: new (configJson: string, device: string) => NativeAutoencoder;
  setNumThreads(threads: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  info(): RuntimeInfo;
  matmulPeak(n: number, dtype: Dtype, iterations: number, device?: string): Promise<number>;
  eulerAdvance(state: NativeTensor, gamma: number[], options: NativeEulerAdvanceOptions): Promise<NativeEulerAdvanceResult>;
  eulerWellChannels(state: NativeTensor, gamma: number[]): Promise<NativeTensor>;
  RayleighBenard: new (options: NativeRayleighBenardOptions) => NativeRayleighBenard;
  Emulator: new (configJson: string, device: string) => NativeEmulator;
  /** The samplers driven by the exact denoiser of N(mean, diag(var)) (tests). */
  gaussianSample(mean: NativeTensor, variance: NativeTensor, options: NativeGaussianSampleOptions): Promise<{ samples: NativeTensor; evaluations: number }>;
  /** MMPS guidance with the exact denoiser of N(mean, diag(variance)) and y = A x + N(0, var_y I): samples (K, E), float64. */
  gaussianGuidedSample(
    mean: NativeTensor,
    variance: NativeTensor,
    A: NativeTensor,
    y: NativeTensor,
    options: { var_y?: number; solver?: 'gmres' | 'cg'; iterations?: number; sampler?: string; steps?: number; order?: number; members?: number; seed?: number; sigma_min?: number; sigma_max?: number },
  ): Promise<NativeTensor>;
}
