// A dataset of training windows over Well files: the directory layouts, file-name filters, several
// physics concatenated, T − (steps−1)·stride windows per trajectory, and items made of the window's
// state (T, C, ...space), augmented and pre-processed, and its label (D,).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyGeometric, checkAugmentations, drawAugmentation, type ChannelSpec } from './augment.js';
import { loadDatasetConfig, parseDatasetConfig, type DatasetConfig } from './config.js';
import { WellFormatError } from './errors.js';
import { logScalars, makeLabel } from './labels.js';
import { Rng } from './rng.js';
import { Preprocess } from './transforms.js';
import type { Item, Tensor } from './types.js';
import { WellFile, type ChannelRef } from './well-file.js';

export type Split = 'train' | 'valid' | 'test';

export interface WellDatasetOptions {
  /** Where the data lives: `<root>/datasets/<physics>/data/<split>/` or `<root>/<physics>/<split>/`. */
  root: string;
  split: Split | string;
  /** A shipped configuration name, a YAML path, or a configuration object. */
  config: string | DatasetConfig;
  /** States per window (default 1: single states, as for autoencoder training). */
  steps?: number;
  /** Time stride between the states of a window (default: the configuration's). */
  stride?: number;
  /** Apply the configuration's random augmentations (default false; log_scalars always applies). */
  augment?: boolean;
  /** Apply the per-field transforms (default true). */
  transform?: boolean;
  /** Standardise with the configured mean/std (default true). */
  normalize?: boolean;
  /** Extra file-name filters, added to the configuration's. */
  include?: string[];
  exclude?: string[];
  /** Seed of the augmentations when an item is asked for without its own generator. */
  seed?: number;
  // The rest of The Well's item, under The Well's names (off by default: today's items are unchanged).
  /** The Well's `min_dt_stride`: the smallest stride, which sets the number of windows (default: `stride`). */
  min_dt_stride?: number;
  /**
   * The Well's `max_dt_stride`: when above the minimum, each item draws its stride uniformly from
   * [min_dt_stride, min(max_dt_stride, ⌊(n_steps − start − 1)/(steps − 1)⌋)] (as The Well does), seeded like
   * the augmentations.
   */
  max_dt_stride?: number;
  /** Add the window's time-varying scalars as `scalars` (T, S) (The Well's `input_scalars`/`output_scalars`). */
  return_scalars?: boolean;
  /** The Well's `return_grid` (default false here, true in The Well): `space_grid` and `time_grid` in items. */
  return_grid?: boolean;
  /** The Well's `normalize_time_grid` (default true): the time grid starts at 0. */
  normalize_time_grid?: boolean;
}

/** An item with the parts The Well's options add. */
export interface WellItem extends Item {
  /** The stride between the window's states (The Well's `time_stride`). */
  stride: number;
  /** (T, S) time-varying scalars at the window's states, names in `scalarNames` (`return_scalars`). */
  scalars?: Tensor;
  /** (...space, D) coordinates of every grid point, axes in `spatial_dims` order (`return_grid`). */
  space_grid?: Tensor;
  /** (T,) times of the window's states (`return_grid`). */
  time_grid?: Tensor;
}

interface FileEntry {
  physics: string;
  file: WellFile;
  refs: ChannelRef[];
  windowsPerTrajectory: number;
  /** Index of this file's first window in the dataset. */
  offset: number;
}

/** The location of a window in the dataset. */
export interface WindowLocation {
  file: string;
  physics: string;
  sample: number;
  start: number;
}

/** The split directory of one physics, trying the layouts in the reference's order. */
export function splitDirectory(root: string, physics: string, split: string): string {
  const candidates = [join(root, 'datasets', physics, 'data', split), join(root, physics, 'data', split), join(root, physics, split)];
  const found = candidates.find((d) => existsSync(d) && statSync(d).isDirectory());
  if (!found) throw new WellFormatError(resolve(root), `no '${split}' split of '${physics}'; looked in ${candidates.join(', ')}`);
  return found;
}

/** Sorted *.h5 / *.hdf5 files, kept if they contain any include string, dropped if any exclude string. */
export function listWellFiles(dir: string, include: readonly string[] = [], exclude: readonly string[] = []): string[] {
  let files = readdirSync(dir).filter((f) => /\.(h5|hdf5)$/.test(f));
  if (include.length) files = files.filter((f) => include.some((s) => f.includes(s)));
  if (exclude.length) files = files.filter((f) => !exclude.some((s) => f.includes(s)));
  return files.sort().map((f) => join(dir, f));
}

export class WellDataset {
  private constructor(
    readonly options: WellDatasetOptions,
    readonly config: DatasetConfig,
    private readonly files: FileEntry[],
    readonly length: number,
    readonly steps: number,
    /** The minimum stride (The Well's `min_dt_stride`), which sets the windows. */
    readonly stride: number,
    /** The Well's `max_dt_stride` (equal to `stride` unless a random stride was asked for). */
    readonly maxStride: number,
    readonly spatialShape: number[],
    private readonly channelSpecs: ChannelSpec[],
    private readonly preprocess: Preprocess,
  ) {}

  /** Opens every file of the split and validates it, so problems surface before training. */
  static async open(options: WellDatasetOptions): Promise<WellDataset> {
    const config = typeof options.config === 'string' ? loadDatasetConfig(options.config) : parseDatasetConfig(options.config);
    const steps = options.steps ?? 1;
    if (options.stride !== undefined && options.min_dt_stride !== undefined && options.stride !== options.min_dt_stride) {
      throw new Error(`stride (${options.stride}) and min_dt_stride (${options.min_dt_stride}) disagree; give one of them`);
    }
    const stride = options.min_dt_stride ?? options.stride ?? config.stride;
    if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(stride) || stride < 1) throw new Error(`steps and stride must be positive integers (got ${steps}, ${stride})`);
    const maxStride = options.max_dt_stride ?? stride;
    if (!Number.isInteger(maxStride) || maxStride < stride) throw new Error(`max_dt_stride must be an integer ≥ min_dt_stride (${stride}), got ${options.max_dt_stride}`);
    const include = [...config.include_filters, ...(options.include ?? [])];
    const exclude = [...config.exclude_filters, ...(options.exclude ?? [])];
    const channelNames = config.fields.map((f) => f.name);
    const files: FileEntry[] = [];
    let offset = 0;
    let spatialShape: number[] | undefined;
    let channelSpecs: ChannelSpec[] = [];
    try {
      for (const physics of config.physics) {
        const dir = splitDirectory(options.root, physics, options.split);
        const paths = listWellFiles(dir, include, exclude);
        if (paths.length === 0) {
          const filters = include.length || exclude.length ? ` matching include ${JSON.stringify(include)} / exclude ${JSON.stringify(exclude)}` : '';
          throw new WellFormatError(dir, `empty split: no .h5/.hdf5 files${filters} ('${options.split}' of '${physics}')`);
        }
        for (const path of paths) {
          const file = await WellFile.open(path);
          files.push({ physics, file, refs: [], windowsPerTrajectory: 0, offset: 0 });
          const refs = file.resolveChannels(channelNames);
          if (refs.length !== channelNames.length) throw new WellFormatError(path, `configuration channels must name single channels, not whole vector fields (${channelNames.join(', ')})`);
          const { nSteps, spatialShape: shape, nTrajectories } = file.info;
          spatialShape ??= shape;
          if (shape.join() !== spatialShape.join()) throw new WellFormatError(path, `grid ${shape.join('×')} differs from the other files' ${spatialShape.join('×')}`);
          const windows = nSteps - (steps - 1) * stride;
          if (windows < 1) throw new WellFormatError(path, `${nSteps} time steps are too few for windows of ${steps} states at stride ${stride}`);
          Object.assign(files[files.length - 1]!, { refs, windowsPerTrajectory: windows, offset });
          offset += nTrajectories * windows;
          if (channelSpecs.length === 0) channelSpecs = refs.map((r) => ({ field: r.field.name, components: r.field.components[r.component]! }));
          if (options.return_scalars) {
            const names = file.info.scalars.filter((s) => s.timeVarying).map((s) => s.name);
            const first = files[0]!.file.info.scalars.filter((s) => s.timeVarying).map((s) => s.name);
            if (names.join() !== first.join()) throw new WellFormatError(path, `time-varying scalars [${names}] differ from ${files[0]!.file.path}'s [${first}] (return_scalars)`);
          }
        }
      }
      checkAugmentations(config.augment, spatialShape!, config.name);
    } catch (err) {
      for (const f of files) f.file.close();
      throw err;
    }
    const preprocess = new Preprocess(config.fields, { transform: options.transform, normalize: options.normalize });
    return new WellDataset(options, config, files, offset, steps, stride, maxStride, spatialShape!, channelSpecs, preprocess);
  }

  get channels(): string[] {
    return this.config.fields.map((f) => f.name);
  }

  /** Names of the time-varying scalars, the columns of an item's `scalars`. */
  get scalarNames(): string[] {
    return this.files[0]!.file.info.scalars.filter((s) => s.timeVarying).map((s) => s.name);
  }

  get paths(): string[] {
    return this.files.map((f) => f.file.path);
  }

  /** Number of trajectories over all files. */
  get trajectories(): number {
    return this.files.reduce((n, f) => n + f.file.info.nTrajectories, 0);
  }

  /** Label length D: constant scalars plus 2 boundary codes per axis (checked equal across files). */
  get labelDim(): number {
    return this.item(0, new Rng(0)).label.shape[0]!;
  }

  /** The item shape without the batch axis: (steps, C, ...space). */
  get stateShape(): number[] {
    return [this.steps, this.channels.length, ...this.spatialShape];
  }

  /** The pre-processing, for post-processing model outputs back to physical units. */
  get postprocess(): Preprocess {
    return this.preprocess;
  }

  locate(index: number): WindowLocation & { entry: number } {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new RangeError(`window ${index} out of range [0, ${this.length})`);
    let lo = 0;
    let hi = this.files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.files[mid]!.offset <= index) lo = mid;
      else hi = mid - 1;
    }
    const f = this.files[lo]!;
    const local = index - f.offset;
    return { entry: lo, file: f.file.path, physics: f.physics, sample: Math.floor(local / f.windowsPerTrajectory), start: local % f.windowsPerTrajectory };
  }

  /** Window `index`: reads its hyperslab, augments (seeded by `rng`, or by the dataset seed and index), pre-processes. */
  item(index: number, rng?: Rng): WellItem {
    const loc = this.locate(index);
    const f = this.files[loc.entry]!;
    const random = rng ?? new Rng(`${this.options.seed ?? 0}:${index}`);
    const geometric = this.options.augment ? this.config.augment.filter((a) => a !== 'log_scalars') : [];
    const { ops, bc } = drawAugmentation(geometric, this.spatialShape, f.file.info.boundaryConditions, random);
    // Drawn after the augmentations, so that turning the random stride on leaves them as they were.
    const stride = this.drawStride(f.file.info.nSteps, loc.start, random);
    const raw = f.file.readWindow(loc.sample, loc.start, this.steps, stride, f.refs);
    const state = this.preprocess.apply(applyGeometric(raw, this.channelSpecs, ops));
    let scalars = this.scalars(loc.entry, loc.sample);
    if (this.config.augment.includes('log_scalars')) scalars = logScalars(scalars);
    const label = makeLabel(scalars, bc);
    const item: WellItem = { state, label: { data: label, shape: [label.length] }, stride };
    if (this.options.return_scalars) {
      const data = f.file.timeVaryingScalars(loc.sample, loc.start, this.steps, stride);
      item.scalars = { data, shape: [this.steps, data.length / this.steps] };
    }
    if (this.options.return_grid) {
      item.space_grid = this.spaceGrid(f.file, loc.sample);
      const all = f.file.readTime(loc.sample);
      const times = Float32Array.from({ length: this.steps }, (_, t) => all[loc.start + t * stride]!);
      if (this.options.normalize_time_grid ?? true) {
        const t0 = times[0]!;
        times.forEach((v, t) => (times[t] = v - t0));
      }
      item.time_grid = { data: times, shape: [this.steps] };
    }
    return item;
  }

  /**
   * The stride of one item: `stride`, or with a `max_dt_stride` above it, uniform over the strides that
   * still fit the window from `start` (The Well's `maximum_stride_for_initial_index`), capped by the maximum.
   */
  private drawStride(nSteps: number, start: number, rng: Rng): number {
    if (this.maxStride === this.stride || this.steps === 1) return this.stride;
    const fits = Math.floor((nSteps - start - 1) / (this.steps - 1));
    const top = Math.min(this.maxStride, fits);
    return top > this.stride ? this.stride + rng.int(top - this.stride + 1) : this.stride;
  }

  /** The coordinates of every grid point, (...space, D), 'ij' order as The Well's meshgrid. */
  private spaceGrid(file: WellFile, sample: number): Tensor {
    const dims = file.info.spatialDims;
    const coords = dims.map((d) => file.readCoordinates(d, sample));
    const shape = this.spatialShape;
    const n = shape.reduce((a, b) => a * b, 1);
    const D = dims.length;
    const data = new Float32Array(n * D);
    const idx = new Array<number>(D).fill(0);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < D; d++) data[i * D + d] = coords[d]![idx[d]!]!;
      for (let d = D - 1; d >= 0; d--) {
        if (++idx[d]! < shape[d]!) break;
        idx[d] = 0;
      }
    }
    return { data, shape: [...shape, D] };
  }

  private scalarCache = new Map<string, Record<string, number>>();

  /** Constant scalars of a trajectory, read once. */
  private scalars(entry: number, sample: number): Record<string, number> {
    const key = `${entry}:${sample}`;
    let s = this.scalarCache.get(key);
    if (!s) {
      s = this.files[entry]!.file.constantScalars(sample);
      this.scalarCache.set(key, s);
    }
    return { ...s };
  }

  close(): void {
    for (const f of this.files) f.file.close();
  }
}
