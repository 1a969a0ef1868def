// The reference's I/O-friendly "lazy shuffle": the index range is cut into chunks of consecutive
// indices (neighbouring windows of a trajectory, so reads stay local in the file), the chunks are
// visited in random order, and items are popped at random from a bounded buffer of them.
import type { Rng } from './rng.js';

export interface LazyShuffleOptions {
  /** Consecutive indices per chunk (reference: 16). */
  chunk?: number;
  /** Items held before popping (reference: 256). */
  buffer?: number;
}

export function* lazyShuffle(n: number, rng: Rng, { chunk = 16, buffer = 256 }: LazyShuffleOptions = {}): Generator<number> {
  const chunks = rng.permutation(Math.ceil(n / chunk));
  const held: number[] = [];
  const pop = () => {
    const j = rng.int(held.length);
    const v = held[j]!;
    held[j] = held[held.length - 1]!;
    held.pop();
    return v;
  };
  for (const c of chunks) {
    for (let i = c * chunk; i < Math.min(n, (c + 1) * chunk); i++) {
      held.push(i);
      if (held.length >= buffer) yield pop();
    }
  }
  while (held.length) yield pop();
}
