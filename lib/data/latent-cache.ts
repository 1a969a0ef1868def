// The latent cache: each trajectory encoded once by a trained autoencoder, stored as the reference
// does (`state` (N, T, C, ...latent) and `label` (N, D) per file, `<cache>/<physics>/<split>/<file>`),
// plus metadata tying it to what made it, so a stale cache is detected instead of silently used:
// the content hash of the autoencoder weights, the compression rate and the dataset configuration.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { h5Ready, h5wasm, hdf5Failure, openH5, attr, asNumber, toFloat32, isDataset, type Dataset, type H5File } from './h5.js';
import { WellFormatError } from './errors.js';
import { numel, type Tensor } from './types.js';

export const LATENT_CACHE_FORMAT = 'latent-emulator/latent-cache/1';

export interface LatentCacheMeta {
  /** sha256 (hex) of the autoencoder weights file that encoded the cache. */
  aeHash: string;
  /** Pixel values per latent value, e.g. 80 for Euler with C_lat = 64. */
  compressionRate: number;
  /** sha256 (hex) of the dataset configuration (see configHash). */
  datasetConfigHash: string;
  /** The dataset configuration itself, as JSON, for humans and `inspect`. */
  datasetConfig?: unknown;
  /** The Well file the trajectories came from. */
  source?: string;
  /** Augmented copies per trajectory (4 for train, 1 otherwise, in the reference). */
  repeat?: number;
}

export class StaleCacheError extends Error {
  constructor(
    readonly file: string,
    readonly mismatches: string[],
  ) {
    super(`${file}: stale latent cache (${mismatches.join('; ')}); re-encode it`);
    this.name = 'StaleCacheError';
  }
}

/** sha256 of a file's bytes, streamed (weights files are large). */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 of a JSON value with sorted keys, so equal configurations hash equally. */
export function configHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export interface LatentCacheSpec extends LatentCacheMeta {
  /** Number of stored (possibly augmented) trajectories. */
  n: number;
  /** Time steps per trajectory. */
  steps: number;
  /** (C_lat, ...latent grid). */
  latentShape: number[];
  /** Label length D. */
  labelDim: number;
}

/** Writes one cache file, trajectory by trajectory. */
export class LatentCacheWriter {
  private constructor(
    private readonly file: H5File,
    readonly path: string,
    readonly spec: LatentCacheSpec,
  ) {}

  static async create(path: string, spec: LatentCacheSpec): Promise<LatentCacheWriter> {
    await h5Ready();
    const file = new h5wasm.File(path, 'w');
    const { n, steps, latentShape, labelDim } = spec;
    const stateShape = [n, steps, ...latentShape];
    file.create_dataset({ name: 'state', data: new Float32Array(0), shape: [0, ...stateShape.slice(1)], maxshape: [null, ...stateShape.slice(1)], chunks: [1, 1, ...latentShape], dtype: '<f4' }).resize(stateShape);
    file.create_dataset({ name: 'label', data: new Float32Array(n * labelDim), shape: [n, labelDim], dtype: '<f4' });
    file.create_attribute('format', LATENT_CACHE_FORMAT);
    file.create_attribute('ae_hash', spec.aeHash);
    file.create_attribute('compression_rate', Float64Array.of(spec.compressionRate), []);
    file.create_attribute('dataset_config_hash', spec.datasetConfigHash);
    file.create_attribute('dataset_config', JSON.stringify(spec.datasetConfig ?? null));
    file.create_attribute('source', spec.source ?? '');
    file.create_attribute('repeat', BigInt64Array.of(BigInt(spec.repeat ?? 1)), []);
    return new LatentCacheWriter(file, path, spec);
  }

  /** Stores trajectory `index`: `state` (T, C, ...latent), `label` (D,). */
  write(index: number, state: Tensor, label: Float32Array): void {
    const { n, steps, latentShape, labelDim } = this.spec;
    const expected = [steps, ...latentShape];
    if (index < 0 || index >= n) throw new RangeError(`${this.path}: index ${index} out of range [0, ${n})`);
    if (state.shape.length !== expected.length || state.shape.some((s, i) => s !== expected[i])) {
      throw new Error(`${this.path}: state shape [${state.shape}] is not [${expected}]`);
    }
    if (label.length !== labelDim) throw new Error(`${this.path}: label has ${label.length} values, expected ${labelDim}`);
    (this.file.get('state') as Dataset).write_slice([[index, index + 1], ...expected.map((s) => [0, s] as [number, number])], state.data);
    (this.file.get('label') as Dataset).write_slice([[index, index + 1], [0, labelDim]], label);
  }

  close(): void {
    this.file.close();
  }
}

/** What a reader expects; any key given must match the file's metadata. */
export type LatentCacheExpect = Partial<Pick<LatentCacheMeta, 'aeHash' | 'compressionRate' | 'datasetConfigHash'>>;

/** A cache file open for reading windows, checked against what the caller expects. */
export class LatentCacheFile {
  private constructor(
    private readonly file: H5File,
    readonly path: string,
    readonly meta: LatentCacheMeta,
    /** (N, T, C, ...latent). */
    readonly stateShape: number[],
    readonly labels: Float32Array,
    readonly labelDim: number,
  ) {}

  static async open(path: string, expect: LatentCacheExpect = {}): Promise<LatentCacheFile> {
    const file = await openH5(path, 'r');
    try {
      const state = file.get('state');
      const label = file.get('label');
      if (!isDataset(state) || !isDataset(label)) throw new WellFormatError(path, `not a latent cache: needs 'state' and 'label' datasets`);
      const format = attr(file, 'format');
      if (format !== LATENT_CACHE_FORMAT) throw new WellFormatError(path, `not a latent cache written by latent-emulator (format ${JSON.stringify(format)})`);
      const meta: LatentCacheMeta = {
        aeHash: String(attr(file, 'ae_hash')),
        compressionRate: asNumber(attr(file, 'compression_rate')) ?? NaN,
        datasetConfigHash: String(attr(file, 'dataset_config_hash')),
        datasetConfig: JSON.parse(String(attr(file, 'dataset_config') ?? 'null')),
        source: String(attr(file, 'source') ?? ''),
        repeat: asNumber(attr(file, 'repeat')) ?? 1,
      };
      const mismatches: string[] = [];
      if (expect.aeHash !== undefined && expect.aeHash !== meta.aeHash) mismatches.push(`autoencoder weights hash ${meta.aeHash.slice(0, 12)}… ≠ expected ${expect.aeHash.slice(0, 12)}…`);
      if (expect.compressionRate !== undefined && expect.compressionRate !== meta.compressionRate) mismatches.push(`compression rate ${meta.compressionRate} ≠ expected ${expect.compressionRate}`);
      if (expect.datasetConfigHash !== undefined && expect.datasetConfigHash !== meta.datasetConfigHash) mismatches.push(`dataset configuration changed since the cache was written`);
      if (mismatches.length) throw new StaleCacheError(path, mismatches);
      const stateShape = state.shape ?? [];
      const labelShape = label.shape ?? [];
      if (stateShape.length < 3 || labelShape.length !== 2 || labelShape[0] !== stateShape[0]) {
        throw new WellFormatError(path, `latent cache shapes do not agree: state [${stateShape}], label [${labelShape}]`);
      }
      return new LatentCacheFile(file, path, meta, stateShape, toFloat32(label.value), labelShape[1]!);
    } catch (err) {
      file.close();
      throw err;
    }
  }

  get n(): number {
    return this.stateShape[0]!;
  }

  get steps(): number {
    return this.stateShape[1]!;
  }

  /** (steps, C, ...latent) of trajectory `index`, every `stride` steps from `start`: one hyperslab. */
  readWindow(index: number, start: number, steps: number, stride = 1): Tensor {
    const tail = this.stateShape.slice(2);
    const last = start + (steps - 1) * stride;
    if (index < 0 || index >= this.n || start < 0 || last >= this.steps) throw new RangeError(`${this.path}: window (${index}, ${start}, ${steps}, ${stride}) out of range`);
    let data: Float32Array;
    try {
      data = toFloat32((this.file.get('state') as Dataset).slice([[index, index + 1], [start, last + 1, stride]]));
    } catch (err) {
      throw hdf5Failure(err, 'reading', this.path, 'state');
    }
    return { data, shape: [steps, ...tail] };
  }

  label(index: number): Float32Array {
    return this.labels.slice(index * this.labelDim, (index + 1) * this.labelDim);
  }

  get stateNumel(): number {
    return numel(this.stateShape.slice(2));
  }

  close(): void {
    this.file.close();
  }
}

/**
 * Re-reads a written (or previously finished) latent cache: it must open as a cache, hold `stateShape`
 * (N, T, C, ...latent), and its last trajectory must read back finite (a write that failed part-way leaves
 * fill values or an unreadable chunk there). Throws naming the file otherwise.
 */
export async function verifyLatentCacheFile(path: string, stateShape: number[]): Promise<void> {
  const cache = await LatentCacheFile.open(path);
  try {
    if (cache.stateShape.join() !== stateShape.join())
      throw new WellFormatError(path, `latent cache holds state [${cache.stateShape}], expected [${stateShape}]`);
    if (cache.n > 0) {
      const last = cache.readWindow(cache.n - 1, 0, cache.steps);
      if (!last.data.every(Number.isFinite)) throw new WellFormatError(path, 'latent cache holds non-finite values in its last trajectory');
    }
  } finally {
    cache.close();
  }
}
