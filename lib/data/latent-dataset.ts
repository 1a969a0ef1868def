// Windows over a latent cache (`<cache>/<physics>/<split>/*.hdf5`): what the emulators train on.
// T − (steps−1)·stride windows per stored trajectory; an item is the window (steps, C, ...latent) and
// the stored label. No transform or augmentation: both were applied before encoding.
import { join } from 'node:path';
import { WellFormatError } from './errors.js';
import { listWellFiles } from './dataset.js';
import { LatentCacheFile, type LatentCacheExpect } from './latent-cache.js';
import type { Item } from './types.js';
import type { Rng } from './rng.js';

export interface LatentDatasetOptions {
  /** The cache directory, holding `<physics>/<split>/`. */
  root: string;
  physics: string[];
  split: string;
  steps: number;
  stride: number;
  /** Refuse files whose metadata differs (stale cache). */
  expect?: LatentCacheExpect;
}

export class LatentDataset {
  private constructor(
    readonly options: LatentDatasetOptions,
    private readonly files: { file: LatentCacheFile; windows: number; offset: number }[],
    readonly length: number,
  ) {}

  static async open(options: LatentDatasetOptions): Promise<LatentDataset> {
    const files: { file: LatentCacheFile; windows: number; offset: number }[] = [];
    let offset = 0;
    try {
      for (const physics of options.physics) {
        const dir = join(options.root, physics, options.split);
        const paths = listWellFiles(dir);
        if (paths.length === 0) throw new WellFormatError(dir, `empty split: no cached .hdf5 files`);
        for (const path of paths) {
          const file = await LatentCacheFile.open(path, options.expect);
          const windows = file.steps - (options.steps - 1) * options.stride;
          files.push({ file, windows, offset });
          if (windows < 1) throw new WellFormatError(path, `${file.steps} steps are too few for ${options.steps} states at stride ${options.stride}`);
          offset += file.n * windows;
        }
      }
    } catch (err) {
      for (const f of files) f.file.close();
      throw err;
    }
    return new LatentDataset(options, files, offset);
  }

  get stateShape(): number[] {
    return [this.options.steps, ...this.files[0]!.file.stateShape.slice(2)];
  }

  item(index: number, _rng?: Rng): Item {
    if (index < 0 || index >= this.length) throw new RangeError(`window ${index} out of range [0, ${this.length})`);
    let k = this.files.length - 1;
    while (this.files[k]!.offset > index) k--;
    const f = this.files[k]!;
    const local = index - f.offset;
    const n = Math.floor(local / f.windows);
    const state = f.file.readWindow(n, local % f.windows, this.options.steps, this.options.stride);
    const label = f.file.label(n);
    return { state, label: { data: label, shape: [label.length] } };
  }

  close(): void {
    for (const f of this.files) f.file.close();
  }
}
