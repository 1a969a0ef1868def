// Python's `random.Random(seed).random()` for a non-negative integer seed (MT19937 seeded by
// init_by_array with the seed's 32-bit words, 53-bit floats), so that evaluation picks the same test
// trajectories as the reference (`index = int(u · len(test))`, u from random.Random(0)).
const N = 624;
const M = 397;

export class PythonRandom {
  private readonly mt = new Uint32Array(N);
  private index = N + 1;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
    // Python splits |seed| into 32-bit words, least significant first (at least one word).
    const key: number[] = [];
    let s = seed;
    do {
      key.push(s % 0x1_0000_0000);
      s = Math.floor(s / 0x1_0000_0000);
    } while (s > 0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  private next32(): number {
    const mt = this.mt;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
        mt[k] = mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y = (y ^ ((y << 7) & 0x9d2c5680)) >>> 0;
    y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A float in [0, 1) with 53 random bits, as random.random(). */
  random(): number {
    const a = this.next32() >>> 5;
    const b = this.next32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

/**
 * The reference's choice of evaluation trajectories: `index = int(u · length)` for u drawn from
 * random.Random(seed). Repeated indices are kept once (they would give identical rollouts), and
 * drawing continues until `count` distinct indices (or all of them) are chosen; order as drawn.
 */
export function chooseTrajectories(length: number, count: number, seed = 0): number[] {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`no trajectories to choose from (${length})`);
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`trajectories must be a positive integer, got ${count}`);
  const want = Math.min(count, length);
  const rng = new PythonRandom(seed);
  const chosen: number[] = [];
  const seen = new Set<number>();
  while (chosen.length < want) {
    const i = Math.floor(rng.random() * length);
    if (!seen.has(i)) {
      seen.add(i);
      chosen.push(i);
    }
  }
  return chosen;
}
