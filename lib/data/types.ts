// The shapes that travel between the data layer and the native core: C-contiguous float32 arrays.

/** A dense float32 array with its shape (C order), what the native tensor bridge consumes. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

/** One training item: a window `state` laid out (T, C, ...space) and its `label` (D,). */
export interface Item {
  state: Tensor;
  label: Tensor;
}

/** A batch: `state` (B, T, C, ...space) and `label` (B, D). */
export interface Batch {
  state: Tensor;
  label: Tensor;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}
