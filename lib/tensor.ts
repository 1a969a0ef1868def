// Tensors as the public API offers them: created from typed arrays, read back as typed arrays.
import type { Dtype, NativeTensor, TypedArray } from './native/addon-types.js';
import { native } from './native/loader.js';

export type { Dtype, NativeTensor as Tensor, TypedArray };

/** A new CPU tensor holding a copy of `data` with the given shape (C order). */
export function tensor(data: TypedArray | number[], shape: number[], dtype?: Dtype): NativeTensor {
  const values = Array.isArray(data) ? Float32Array.from(data) : data;
  return new (native().Tensor)(values, shape, dtype);
}

/** True for tensors made by this package. */
export function isTensor(value: unknown): value is NativeTensor {
  return value instanceof native().Tensor;
}
