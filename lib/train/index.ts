// Training runs: configurations, schedules, the loop, checkpoints, run directories, autoencoder
// training, latent caching and latent emulator (diffusion / surrogate) training.
export {
  aeRunConfig,
  composeConfig,
  resolveAeConfig,
  parseOverrides,
  readRunConfig,
  configYaml,
  OptimSchema,
  TrainSchema,
  ValidSchema,
  TrajectorySchema,
  emulatorRunConfig,
  resolveEmulatorConfig,
  readEmulatorRunConfig,
  emulatorConfigYaml,
  modelSection,
  OPTIMIZERS,
  SCHEDULERS,
  type AeRunConfig,
  type EmulatorRunConfig,
  type EmulatorRunKind,
  type EmulatorModelConfig,
  type RunKind,
} from './config.js';
export { learningRate, schedule, type ScheduleOptions, type SchedulerName } from './schedule.js';
export { saveCheckpoint, findCheckpoint, writeFileAtomic, sha256File, removeStaleTemporaries, type CheckpointManifest, type FoundCheckpoint } from './checkpoint.js';
export { createRunDir, lockRunDir, isRunDir, type RunLock } from './run-dir.js';
export { batchPlan, BatchStream, fixedBatches, type PlanOptions } from './batches.js';
export { trainLoop, type Trainable, type LoopOptions, type LoopResult, type EpochMetrics, type StepInfo, type RunOptions } from './loop.js';
export { Progress, type ProgressMode } from './progress.js';
export { trainAutoencoder, checkAeRun, type TrainAeOptions, type TrainAeResult } from './train-ae.js';
export { cacheLatents, type CacheLatentsOptions, type CacheLatentsResult } from './cache-latents.js';
export { trainEmulator, checkEmulatorRun, createEmulator, type TrainEmulatorOptions, type TrainEmulatorResult, type CacheInfo, type OpenedEmulatorData } from './train-emulator.js';
