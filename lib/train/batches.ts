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
  /** The global batch: samples per optimizer step over all ranks. */
  batchSize: number;
  seed: number;
  lazy?: LazyShuffleOptions;
  /**
   * Data parallelism (the distributed sampler): this rank of `world` gets its disjoint slice
   * [rank·b, (rank+1)·b), b = batchSize / world, of every global batch. The order and the item seeds come
   * from (seed, epoch) alone, so all ranks together see exactly the batches of the single-process run.
   */
  rank?: number;
  world?: number;
}

/** (indices, seeds) of every batch from global batch `start` on, epoch after epoch (partial batches dropped). */
export function* batchPlan(length: number, o: PlanOptions, start = 0): Generator<{ indices: number[]; seeds: string[]; epoch: number }> {
  const { batchSize, seed } = o;
  const rank = o.rank ?? 0;
  const world = o.world ?? 1;
  if (length < batchSize) throw new Error(`batch size ${batchSize} is larger than the dataset (${length} items)`);
  if (!Number.isInteger(world) || world < 1 || !Number.isInteger(rank) || rank < 0 || rank >= world) throw new Error(`rank ${rank} is not in [0, world size ${world})`);
  if (batchSize % world !== 0) throw new Error(`train.batch_size ${batchSize} (the global batch) is not divisible by the ${world} ranks`);
  const local = batchSize / world;
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
        if (world > 1) yield { indices: indices.slice(rank * local, (rank + 1) * local), seeds: seeds.slice(rank * local, (rank + 1) * local), epoch };
        else yield { indices, seeds, epoch };
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
  for (const { batch } of fixedBatchShare(dataset, count, batchSize, squeezeTime)) yield batch;
}

/** fixedBatches' batch number `index` for index ≡ rank (mod world) only: one rank's share of the validation set. */
export function* fixedBatchShare(dataset: WindowDataset, count: number, batchSize: number, squeezeTime = false, rank = 0, world = 1): Generator<{ batch: Batch; index: number }> {
  const n = Math.min(count, dataset.length);
  const indices = Array.from({ length: n }, (_, k) => Math.floor((k * dataset.length) / n));
  for (let k = 0, index = 0; k < n; k += batchSize, index++) {
    if (index % world !== rank) continue;
    const chunk = indices.slice(k, k + batchSize);
    const batch = buildBatch(dataset, chunk, chunk.map((i) => new Rng(`valid:${i}`)));
    yield { batch: squeezeTime ? squeeze(batch) : batch, index };
  }
}
