// The public API of latent-emulator: re-exports only.
export { VERSION } from './version.js';
export { tensor, isTensor, type Tensor, type Dtype, type TypedArray } from './tensor.js';
export { setNumThreads, getNumThreads, manualSeed, doctor, type DoctorReport } from './runtime.js';
export { Autoencoder, type AutoencoderOptions, type OptimizerOptions, type TensorLike, type TrainStepResult } from './models/autoencoder.js';
export { autoencoderConfig, AutoencoderConfigSchema, type AutoencoderConfig, type AutoencoderConfigInput } from './models/autoencoder-config.js';
export { autoencoderFlops, type AutoencoderFlops } from './models/flops.js';
export { readSafetensors, type SafetensorsFile } from './io/safetensors.js';
export { resolveLibtorch, type Libtorch } from './native/libtorch.js';
export { installLibtorch, type InstallOptions } from './native/libtorch-install.js';
export * from './data/index.js';
export * from './solvers/index.js';
export * from './train/index.js';
export { Denoiser } from './models/denoiser.js';
export { Surrogate } from './models/surrogate.js';
export { EmulatorModel, type EmulatorOptions, type EmulatorBatch } from './models/emulator-model.js';
export { vitConfig, ViTConfigSchema, type ViTConfig, type ViTConfigInput, type EmulatorKind } from './models/vit-config.js';
export { emulateRollout, windowCount, SAMPLERS, type Rollout, type RolloutOptions, type SamplerOptions, type SamplerName } from './emulate/rollout.js';
