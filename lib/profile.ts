// Where native time goes: libtorch's profiler around JavaScript-driven work (native/core/op_profiler.h).
import type { OpProfile } from './native/addon-types.js';
import { native } from './native/loader.js';

export type { OpProfile, OpProfileRow } from './native/addon-types.js';

/**
 * Runs `work` (which awaits native calls: train steps, encodes, rollouts…) under libtorch's profiler and
 * returns one row per operator by self time (the `top` largest, all when omitted), like torch.profiler's
 * key_averages(). With `shapes`, one row per operator and input shapes/types (`row.inputs`), as
 * key_averages(group_by_input_shape=True); recording them slows every call, so read shares, not wall times.
 * Profiles cannot nest; other native work running at the same time is included.
 */
export async function profileOps(work: () => Promise<unknown>, options: { top?: number; shapes?: boolean } = {}): Promise<OpProfile> {
  const { top, shapes = false } = options;
  if (top !== undefined && !(Number.isInteger(top) && top >= 1)) throw new RangeError(`profileOps: top must be a positive integer, got ${top}`);
  const addon = native();
  await addon.profilerStart(shapes);
  try {
    await work();
  } catch (err) {
    await addon.profilerStop(1).catch(() => undefined);
    throw err;
  }
  return addon.profilerStop(top);
}
