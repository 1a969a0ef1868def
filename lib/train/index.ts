// Training runs: configurations, schedules, the loop, checkpoints, run directories, autoencoder
// training and latent caching.
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
  OPTIMIZERS,
  SCHEDULERS,
  type AeRunConfig,
} from './config.js';
export { learningRate, schedule, type ScheduleOptions, type SchedulerName } from './schedule.js';
export { saveCheckpoint, findCheckpoint, writeFileAtomic, sha256File, removeStaleTemporaries, type CheckpointManifest, type FoundCheckpoint } from './checkpoint.js';
export { createRunDir, lockRunDir, isRunDir, type RunLock } from './run-dir.js';
export { batchPlan, BatchStream, fixedBatches, type PlanOptions } from './batches.js';
export { trainLoop, type Trainable, type LoopOptions, type LoopResult, type EpochMetrics, type StepInfo } from './loop.js';
export { Progress, type ProgressMode } from './progress.js';
export { trainAutoencoder, checkAeRun, type TrainAeOptions, type TrainAeResult } from './train-ae.js';
export { cacheLatents, type CacheLatentsOptions, type CacheLatentsResult } from './cache-latents.js';
