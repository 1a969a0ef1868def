// The climatology baseline's state: the mean over a split's trajectories (the train split by default) of each
// field at each time step, in physical units, x̄_s = (1/N) Σ_n x_s^(n) for the steps s = s0, s0 + Δ, …
// It is computed once per dataset, split and step grid and cached as two files:
//   <name>.f32   float32 little-endian, C-order (L, C, *space)
//   <name>.json  what it is (a "note" for readers), the steps, fields and shape, and the key of the data it
//                was computed from (data directory, dataset configuration, each file's size and mtime): a
//                cache whose key differs is recomputed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { DatasetConfig } from '../data/config.js';
import { WellDataset } from '../data/dataset.js';
import { numel, type Tensor } from '../data/types.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';

export interface ClimatologyOptions {
  root: string;
  dataset: DatasetConfig;
  /** The split averaged over (default train). */
  split?: string;
  /** First step s0, step Δ and number of states L of the grid. */
  start: number;
  stride: number;
  length: number;
  /** Cache folder (created). */
  cacheDir: string;
}

export interface Climatology {
  /** (L, C, *space), physical units. */
  states: Tensor;
  /** The cache's .json path. */
  path: string;
  split: string;
  trajectories: number;
  steps: number[];
  /** True when read from the cache. */
  cached: boolean;
}

interface ClimatologyNote {
  note: string;
  key: string;
  dataset: string;
  split: string;
  fields: string[];
  steps: number[];
  shape: number[];
  trajectories: number;
}

/** Reads the climatology from its cache, or computes and caches it. */
export async function climatology(o: ClimatologyOptions): Promise<Climatology> {
  const split = o.split ?? 'train';
  const steps = Array.from({ length: o.length }, (_, i) => o.start + i * o.stride);
  const dataset = await WellDataset.open({ root: o.root, split, config: o.dataset, steps: 1, stride: 1 });
  let key: string;
  try {
    key = createHash('sha256')
      .update(JSON.stringify({ root: o.root, dataset: o.dataset, split, steps, files: dataset.paths.map((p) => [p, statSync(p).size, statSync(p).mtimeMs]) }))
      .digest('hex');
  } finally {
    dataset.close();
  }
  const name = `${split}_from${o.start}_every${o.stride}_x${o.length}`;
  const jsonPath = join(o.cacheDir, `${name}.json`);
  const binPath = join(o.cacheDir, `${name}.f32`);
  if (existsSync(jsonPath) && existsSync(binPath)) {
    const note = JSON.parse(readFileSync(jsonPath, 'utf8')) as ClimatologyNote;
    const bytes = readFileSync(binPath);
    if (note.key === key && bytes.length === 4 * numel(note.shape)) {
      const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      return { states: { data, shape: note.shape }, path: jsonPath, split, trajectories: note.trajectories, steps, cached: true };
    }
  }

  // Windows of L states every Δ; the one starting at s0 of each trajectory is averaged (float64 sums).
  let windows: WellDataset;
  try {
    windows = await WellDataset.open({ root: o.root, split, config: o.dataset, steps: o.length, stride: o.stride });
  } catch (err) {
    throw new Error(`climatology of the ${split} split at steps ${steps[0]}…${steps.at(-1)}: ${(err as Error).message}`);
  }
  let states: Tensor;
  let trajectories = 0;
  try {
    const shape = windows.stateShape;
    const sum = new Float64Array(numel(shape));
    for (let i = 0; i < windows.length; i++) {
      if (windows.locate(i).start !== o.start) continue;
      const x = windows.postprocess.invert(windows.item(i).state, 1);
      for (let q = 0; q < sum.length; q++) sum[q] = sum[q]! + x.data[q]!;
      trajectories++;
    }
    if (trajectories === 0)
      throw new Error(
        `climatology: no ${split} trajectory of ${o.root} holds ${o.length} states every ${o.stride} steps from step ${o.start} (steps ${steps[0]}…${steps.at(-1)}); the ${split} trajectories are too short`,
      );
    states = { data: Float32Array.from(sum, (v) => v / trajectories), shape };
  } finally {
    windows.close();
  }
  const note: ClimatologyNote = {
    note:
      `Climatology baseline of latent-emulator eval: the mean over the ${trajectories} ${split} trajectories of dataset ${o.dataset.name} ` +
      `of each field at each time step (steps ${steps.join(', ')}), in physical units. ${name}.f32 holds float32 little-endian values ` +
      `in C order with the shape below (states, fields, space). Recomputed when the data changes; safe to delete.`,
    key,
    dataset: o.dataset.name,
    split,
    fields: o.dataset.fields.map((f) => f.name),
    steps,
    shape: states.shape,
    trajectories,
  };
  mkdirSync(o.cacheDir, { recursive: true });
  writeFileAtomic(binPath, new Uint8Array(states.data.buffer, states.data.byteOffset, states.data.byteLength));
  writeFileAtomic(jsonPath, `${JSON.stringify(note, null, 1)}\n`);
  return { states, path: jsonPath, split, trajectories, steps, cached: false };
}
