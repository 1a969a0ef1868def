import { applyBoundary, applyGeometric, checkAugmentations, drawAugmentation, type ChannelSpec } from '../../lib/data/augment.js';
import { logScalars, makeLabel } from '../../lib/data/labels.js';
import { Rng } from '../../lib/data/rng.js';
import type { Tensor } from '../../lib/data/types.js';

// Channels density, velocity_x, velocity_y on a 2-D grid.
const vec: ChannelSpec[] = [
  { field: 'density', components: [] },
  { field: 'velocity', components: [0] },
  { field: 'velocity', components: [1] },
];
const state = (space: number[], values: number[][]): Tensor => ({ data: Float32Array.from(values.flat()), shape: [1, values.length, ...space] });
const channels = (t: Tensor) => {
  const n = t.data.length / t.shape[1]!;
  return Array.from({ length: t.shape[1]! }, (_, c) => Array.from(t.data.subarray(c * n, (c + 1) * n)));
};

test('flip of x on a 2×3 grid: rows reversed, velocity_x changes sign, velocity_y does not, x boundary row reversed', () => {
  // density [[0,1,2],[3,4,5]], velocity_x 10+, velocity_y 20+ (x rows, y columns).
  const s = state([2, 3], [[0, 1, 2, 3, 4, 5], [10, 11, 12, 13, 14, 15], [20, 21, 22, 23, 24, 25]]);
  const out = applyGeometric(s, vec, [{ kind: 'flip', axes: [true, false] }]);
  expect(channels(out)).toEqual([
    [3, 4, 5, 0, 1, 2],
    [-13, -14, -15, -10, -11, -12],
    [23, 24, 25, 20, 21, 22],
  ]);
  expect(applyBoundary([[0, 1], [2, 2]], { kind: 'flip', axes: [true, false] })).toEqual([[1, 0], [2, 2]]);
});

test('flip of y: columns reversed, only velocity_y changes sign', () => {
  const s = state([2, 3], [[0, 1, 2, 3, 4, 5], [10, 11, 12, 13, 14, 15], [20, 21, 22, 23, 24, 25]]);
  const out = applyGeometric(s, vec, [{ kind: 'flip', axes: [false, true] }]);
  expect(channels(out)).toEqual([
    [2, 1, 0, 5, 4, 3],
    [12, 11, 10, 15, 14, 13],
    [-22, -21, -20, -25, -24, -23],
  ]);
});

test('tensor components flip sign once per flipped index', () => {
  const t2: ChannelSpec[] = [
    { field: 'stress', components: [0, 0] },
    { field: 'stress', components: [0, 1] },
    { field: 'stress', components: [1, 0] },
    { field: 'stress', components: [1, 1] },
  ];
  const s = state([1, 1], [[1], [2], [3], [4]]);
  expect(channels(applyGeometric(s, t2, [{ kind: 'flip', axes: [true, false] }]))).toEqual([[1], [-2], [-3], [4]]);
  expect(channels(applyGeometric(s, t2, [{ kind: 'flip', axes: [true, true] }]))).toEqual([[1], [2], [3], [4]]);
  // Swapping the axes maps stress_xy to stress_yx.
  expect(channels(applyGeometric(s, t2, [{ kind: 'permute', perm: [1, 0] }]))).toEqual([[4], [3], [2], [1]]);
});

test('permutation of the axes on 2×2: transposed fields, velocity components swapped, boundary rows swapped', () => {
  const s = state([2, 2], [[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23]]);
  const out = applyGeometric(s, vec, [{ kind: 'permute', perm: [1, 0] }]);
  expect(channels(out)).toEqual([
    [0, 2, 1, 3],
    [20, 22, 21, 23],
    [10, 12, 11, 13],
  ]);
  expect(applyBoundary([[2, 2], [0, 1]], { kind: 'permute', perm: [1, 0] })).toEqual([[0, 1], [2, 2]]);
});

test('3-D permutation (x,y,z) -> (z,x,y): new axis j is old axis perm[j]', () => {
  // A 2×2×2 grid, value = 100x + 10y + z; perm [2, 0, 1]: out[a,b,c] = in[x=b, y=c, z=a].
  const vals = Array.from({ length: 8 }, (_, i) => 100 * (i >> 2) + 10 * ((i >> 1) & 1) + (i & 1));
  const s: Tensor = { data: Float32Array.from(vals), shape: [1, 1, 2, 2, 2] };
  const out = applyGeometric(s, [{ field: 'd', components: [] }], [{ kind: 'permute', perm: [2, 0, 1] }]);
  expect(Array.from(out.data)).toEqual([0, 10, 100, 110, 1, 11, 101, 111]);
});

test('roll along x by 1 on 3×2: out[i] = in[i − 1], periodic wrap', () => {
  const s = state([3, 2], [[0, 1, 2, 3, 4, 5], [10, 11, 12, 13, 14, 15], [20, 21, 22, 23, 24, 25]]);
  const out = applyGeometric(s, vec, [{ kind: 'roll', shifts: [1, 0] }]);
  expect(channels(out)[0]).toEqual([4, 5, 0, 1, 2, 3]);
  expect(channels(out)[1]).toEqual([14, 15, 10, 11, 12, 13]);
});

test('ops compose in order: flip x then roll x by 1', () => {
  const s = state([3, 1], [[0, 1, 2], [10, 11, 12], [20, 21, 22]]);
  const out = applyGeometric(s, vec, [{ kind: 'flip', axes: [true, false] }, { kind: 'roll', shifts: [1, 0] }]);
  // flip: [2,1,0]; roll by 1: [0,2,1].
  expect(channels(out)[0]).toEqual([0, 2, 1]);
  expect(channels(out)[1]).toEqual([-10, -12, -11]);
});

test('drawn augmentations: seeded, roll only on periodic axes, boundary table follows flips', () => {
  const bc = [[2, 2], [0, 1]];
  const a = drawAugmentation(['random_axis_flip', 'random_axis_roll'], [8, 4], bc, new Rng(7));
  const b = drawAugmentation(['random_axis_flip', 'random_axis_roll'], [8, 4], bc, new Rng(7));
  expect(a).toEqual(b);
  let flipsX = 0;
  for (let seed = 0; seed < 400; seed++) {
    const { ops, bc: out } = drawAugmentation(['random_axis_flip', 'random_axis_roll'], [8, 4], bc, new Rng(seed));
    const flip = ops[0] as { kind: 'flip'; axes: boolean[] };
    const roll = ops[1] as { kind: 'roll'; shifts: number[] };
    expect(roll.shifts[1]).toBe(0); // y has walls: never rolled
    expect(roll.shifts[0]).toBeGreaterThanOrEqual(0);
    expect(roll.shifts[0]).toBeLessThan(8);
    expect(out[1]).toEqual(flip.axes[1] ? [1, 0] : [0, 1]);
    if (flip.axes[0]) flipsX++;
  }
  expect(flipsX).toBeGreaterThan(150);
  expect(flipsX).toBeLessThan(250);
});

test('log_scalars logs Rayleigh, Prandtl and rho0 (case-insensitively) but not T0 or Z; the label appends the boundary codes', () => {
  expect(logScalars({ Rayleigh: Math.E ** 2, Prandtl: 1 })).toEqual({ Rayleigh: 2, Prandtl: 0 });
  const tgc = logScalars({ rho0: 4.45, Z: 0.1, T0: 100 });
  expect(tgc.rho0).toBeCloseTo(Math.log(4.45), 12);
  expect(tgc.Z).toBe(0.1);
  expect(tgc.T0).toBe(100);
  expect(Array.from(makeLabel({ a: 1.5, b: 2 }, [[2, 2], [0, 1]]))).toEqual([1.5, 2, 2, 2, 0, 1]);
});

test('axis permutation is refused on a non-square grid (RB is 512×128)', () => {
  expect(() => checkAugmentations(['random_axis_permute'], [512, 128], 'rb')).toThrow(/rb: random_axis_permute needs equal axis sizes, the grid is 512×128/);
  expect(checkAugmentations(['random_axis_flip', 'random_axis_roll'], [512, 128], 'rb')).toEqual(['random_axis_flip', 'random_axis_roll']);
  expect(checkAugmentations(['random_axis_permute'], [128, 128], 'tgc')).toEqual(['random_axis_permute']);
});
