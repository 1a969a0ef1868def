// The data layer's public API: Well files (read, write, check), datasets of windows, transforms,
// augmentations, the batch loader, the latent cache and downloads.
export type { HostArray, Item, Batch } from './types.js';
export { numel } from './types.js';
export { WellFormatError } from './errors.js';
export { BoundaryCondition, boundaryCodes, type BoundaryType, type WellBoundary } from './boundary.js';
export { WellFile, tensorComponents, type WellInfo, type WellField, type WellScalar, type ChannelRef } from './well-file.js';
export { WellWriter, type WellWriterSpec, type WellFieldSpec, type WellScalarSpec } from './well-writer.js';
export { checkWellFormat, checkWellFormatReport, type WellFormatReport } from './format-check.js';
export {
  loadDatasetConfig,
  parseDatasetConfig,
  shippedConfigNames,
  SHIPPED_CONFIG_DIR,
  FIELD_TRANSFORMS,
  AUGMENTATIONS,
  type DatasetConfig,
  type FieldConfig,
  type FieldTransform,
  type Augmentation,
} from './config.js';
export { Preprocess, type PreprocessOptions } from './transforms.js';
export { applyGeometric, applyBoundary, drawAugmentation, checkAugmentations, type GeometricOp, type ChannelSpec } from './augment.js';
export { logScalars, makeLabel, LOG_SCALAR_KEYS } from './labels.js';
export { Rng } from './rng.js';
export { WellDataset, splitDirectory, listWellFiles, type WellDatasetOptions, type WellItem, type WindowLocation, type Split } from './dataset.js';
export { LatentDataset, type LatentDatasetOptions } from './latent-dataset.js';
export { openSource, buildBatch, type DatasetSource, type WindowDataset } from './source.js';
export { lazyShuffle, type LazyShuffleOptions } from './lazy-shuffle.js';
export { BatchLoader, type LoaderOptions } from './loader.js';
export {
  LatentCacheWriter,
  LatentCacheFile,
  StaleCacheError,
  hashFile,
  configHash,
  LATENT_CACHE_FORMAT,
  type LatentCacheMeta,
  type LatentCacheSpec,
  type LatentCacheExpect,
} from './latent-cache.js';
export { computeStats, type ChannelStats } from './stats.js';
export { download, downloadFile, listDownloads, wellBaseUrl, DEFAULT_WELL_URL, WELL_URL_ENV, type DownloadOptions, type DownloadTarget } from './download.js';
export { inspectFile, formatInspection } from './inspect.js';
