// Training refuses batches whose inputs are not finite. The trainer's skipped-step rule (a non-finite loss or
// gradient skips one step) is for the rare numerical blow-up; NaN or Inf in the data itself means a damaged
// or wrongly written file, and training on it would "finish" having learnt nothing.
import type { Batch } from '../data/types.js';

/** Non-finite entries of `values`. */
export function countNonFinite(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) n++;
  return n;
}

/** Throws, with the counts and the dataset items, if the batch's states or labels hold NaN or Inf. */
export function checkFiniteBatch(batch: Batch, indices: readonly number[], what = 'training batch'): void {
  const states = countNonFinite(batch.state.data);
  const labels = countNonFinite(batch.label.data);
  if (states === 0 && labels === 0) return;
  const per = batch.state.data.length / Math.max(1, indices.length);
  const bad = indices.filter((_, b) => countNonFinite(batch.state.data.subarray(b * per, (b + 1) * per)) > 0);
  throw new Error(
    `${what} holds ${states} non-finite state value(s) of ${batch.state.data.length} and ${labels} non-finite label value(s), ` +
      `in dataset item(s) ${bad.join(', ') || indices.join(', ')}: the data files hold NaN/Inf there (a damaged or badly written file?); fix or exclude them`,
  );
}
