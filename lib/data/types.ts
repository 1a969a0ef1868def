// The shapes that travel between the data layer and the native core: C-contiguous float32 arrays.

/** A dense float32 array in host memory with its shape (C order), what the native tensor bridge consumes
 *  (the native tensor itself is `Tensor` in lib/tensor.ts). */
export interface HostArray {
  data: Float32Array;
  shape: number[];
}

/** @deprecated The old name of HostArray, which clashed with the native `Tensor` of the public API. */
export type Tensor = HostArray;

/** One training item: a window `state` laid out (T, C, ...space) and its `label` (D,). */
export interface Item {
  state: HostArray;
  label: HostArray;
}

/** A batch: `state` (B, T, C, ...space) and `label` (B, D). */
export interface Batch {
  state: HostArray;
  label: HostArray;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}
