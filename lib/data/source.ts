// A dataset described by plain data, so that a worker thread can open its own copy of it.
import { LatentDataset, type LatentDatasetOptions } from './latent-dataset.js';
import { WellDataset, type WellDatasetOptions } from './dataset.js';
import type { Rng } from './rng.js';
import { numel, type Batch, type Item } from './types.js';

export type DatasetSource = { kind: 'well'; options: WellDatasetOptions } | { kind: 'latent'; options: LatentDatasetOptions };

/** What the loader needs from a dataset. */
export interface WindowDataset {
  readonly length: number;
  readonly stateShape: number[];
  item(index: number, rng?: Rng): Item;
  close(): void;
}

export async function openSource(source: DatasetSource): Promise<WindowDataset> {
  return source.kind === 'well' ? WellDataset.open(source.options) : LatentDataset.open(source.options);
}

/** Reads the items of `indices` into one (B, ...) batch, each augmented with its own generator. */
export function buildBatch(dataset: WindowDataset, indices: readonly number[], rngs: readonly Rng[]): Batch {
  let state: Float32Array | undefined;
  let label: Float32Array | undefined;
  let itemShape: number[] = [];
  let D = 0;
  indices.forEach((index, b) => {
    const item = dataset.item(index, rngs[b]);
    if (!state) {
      itemShape = item.state.shape;
      D = item.label.data.length;
      state = new Float32Array(indices.length * numel(itemShape));
      label = new Float32Array(indices.length * D);
    }
    if (item.label.data.length !== D) throw new Error(`label length differs between items (${D} vs ${item.label.data.length}); the files have different constant scalars`);
    state.set(item.state.data, b * item.state.data.length);
    label!.set(item.label.data, b * D);
  });
  return { state: { data: state!, shape: [indices.length, ...itemShape] }, label: { data: label!, shape: [indices.length, D] } };
}
