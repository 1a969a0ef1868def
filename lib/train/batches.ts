// Training batches by position: the same (indices, item seeds) plan as BatchLoader with
// `{shuffle: 'lazy', infinite: true}`, but able to start at any global batch index without reading the
// skipped batches, so a resumed run sees exactly the batches the uninterrupted run would have.
// Batches are built on the calling thread while the native step of the previous batch runs on the
// compute thread, so reading overlaps with compute without worker threads.
import { lazyShuffle, type LazyShuffleOptions } from '../data/lazy-shuffle.js';
import { Rng } from '../data/rng.js';
import { buildBatch, type WindowDataset } from '../data/source.js';
import type { Batch } from '../data/types.js';
import { checkFiniteBatch } from '../util/finite-check.js';

export interface PlanOptions {
  batchSize: number;
  seed: number;
  lazy?: LazyShuffleOptions;
}

/** (indices, seeds) of every batch from global batch `start` on, epoch after epoch (partial batches dropped). */
export function* batchPlan(length: number, o: PlanOptions, start = 0): Generator<{ indices: number[]; seeds: string[]; epoch: number }> {
  const { batchSize, seed } = o;
  if (length < batchSize) throw new Error(`batch size ${batchSize} is larger than the dataset (${length} items)`);
  const perEpoch = Math.floor(length / batchSize);
  let epoch = Math.floor(start / perEpoch);
  let skip = start - epoch * perEpoch;
  for (; ; epoch++) {
    const order = lazyShuffle(length, new Rng(`${seed}:order:${epoch}`), o.lazy);
    let indices: number[] = [];
    let seeds: string[] = [];
    let position = 0;
    for (const i of order) {
      if (skip > 0) {
        // skipped batch: the order generator still has to advance
        if (++position % batchSize === 0) skip--;
        continue;
      }
      indices.push(i);
      seeds.push(`${seed}:${epoch}:${position++}`);
      if (indices.length === batchSize) {
        yield { indices, seeds, epoch };
        indices = [];
        seeds = [];
      }
    }
  }
}

/** Batches of `dataset` from global batch `start`; `squeezeTime` drops the window axis of single-state windows. */
export class BatchStream {
  private readonly plan: Generator<{ indices: number[]; seeds: string[] }>;

  constructor(
    private readonly dataset: WindowDataset,
    o: PlanOptions,
    start = 0,
    private readonly squeezeTime = false,
  ) {
    this.plan = batchPlan(dataset.length, o, start);
  }

  next(): Batch {
    const { indices, seeds } = this.plan.next().value as { indices: number[]; seeds: string[] };
    const batch = buildBatch(this.dataset, indices, seeds.map((s) => new Rng(s)));
    checkFiniteBatch(batch, indices);
    if (this.squeezeTime) squeeze(batch);
    return batch;
  }
}

/** (B, 1, C, ...) → (B, C, ...) in place (the data is unchanged). */
export function squeeze(batch: Batch): Batch {
  const [b, t, ...rest] = batch.state.shape;
  if (t !== 1) throw new Error(`expected windows of one state, got ${t}`);
  batch.state.shape = [b!, ...rest];
  return batch;
}

/** Evenly spread, fixed items of `dataset` (no augmentation draws), in batches: the validation set. */
export function* fixedBatches(dataset: WindowDataset, count: number, batchSize: number, squeezeTime = false): Generator<Batch> {
  const n = Math.min(count, dataset.length);
  const indices = Array.from({ length: n }, (_, k) => Math.floor((k * dataset.length) / n));
  for (let k = 0; k < n; k += batchSize) {
    const chunk = indices.slice(k, k + batchSize);
    const batch = buildBatch(dataset, chunk, chunk.map((i) => new Rng(`valid:${i}`)));
    yield squeezeTime ? squeeze(batch) : batch;
  }
}
