// Observation operators of MMPS guidance, and the checks of what a guided rollout is given (all before
// any compute, each error naming the argument).
import { applyObservationOperator, checkGuidance, observationsFrom, observedShape, parseObservationOperator, type GuidanceInput } from '../../lib/emulate/guidance.js';

// One channel on a 4×4 grid: value 10·row + column.
const grid = { data: Float32Array.from({ length: 16 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4)), shape: [1, 4, 4] };

test('operators parse, and name --operator when they do not', () => {
  expect(parseObservationOperator('subsample:32')).toEqual({ kind: 'subsample', factor: 32 });
  expect(parseObservationOperator('downscale:8')).toEqual({ kind: 'downscale', factor: 8 });
  expect(() => parseObservationOperator('subsample')).toThrow(/--operator must be subsample:N or downscale:N .*got 'subsample'/);
  expect(() => parseObservationOperator('blur:2')).toThrow(/--operator must be/);
  expect(() => parseObservationOperator('downscale:0')).toThrow(/factor must be a positive integer, got 0/);
});

test('subsample keeps every N-th point from the first; downscale averages N×N blocks (hand values)', () => {
  const sub = applyObservationOperator({ kind: 'subsample', factor: 2 }, grid, 2);
  expect(sub.shape).toEqual([1, 2, 2]);
  expect(Array.from(sub.data)).toEqual([0, 2, 20, 22]);
  const down = applyObservationOperator({ kind: 'downscale', factor: 2 }, grid, 2);
  // block (0,0): 0, 1, 10, 11 → 5.5; (0,1): 2, 3, 12, 13 → 7.5; (1,0): 25.5; (1,1): 27.5
  expect(Array.from(down.data)).toEqual([5.5, 7.5, 25.5, 27.5]);
  // Leading axes are kept: two states, the second doubled.
  const two = { data: Float32Array.from([...grid.data, ...grid.data.map((v) => 2 * v)]), shape: [2, 1, 4, 4] };
  expect(Array.from(applyObservationOperator({ kind: 'downscale', factor: 4 }, two, 2).data)).toEqual([16.5, 33]);
  // 1-D and 3-D: the mean of the whole axis / cube.
  expect(Array.from(applyObservationOperator({ kind: 'downscale', factor: 3 }, { data: Float32Array.of(1, 2, 6), shape: [3] }, 1).data)).toEqual([3]);
  const cube = { data: Float32Array.from({ length: 8 }, (_, k) => k), shape: [2, 2, 2] };
  expect(Array.from(applyObservationOperator({ kind: 'downscale', factor: 2 }, cube, 3).data)).toEqual([3.5]);
  expect(Array.from(applyObservationOperator({ kind: 'subsample', factor: 2 }, cube, 3).data)).toEqual([0]);
});

test('an operator that does not divide the grid is an error naming the axis', () => {
  expect(observedShape({ kind: 'subsample', factor: 4 }, [64, 32])).toEqual([16, 8]);
  expect(() => observedShape({ kind: 'downscale', factor: 3 }, [64, 63])).toThrow(/--operator downscale:3 does not divide the grid 64×63 \(axis 0: 64 is not a multiple of 3\)/);
});

describe('checkGuidance', () => {
  const model = { kind: 'denoiser', channels: 1, spatialShape: [4, 4], batch: 1, length: 3 };
  const ok = (): GuidanceInput => ({ operator: { kind: 'subsample', factor: 2 }, observations: { data: new Float32Array(3 * 4), shape: [1, 3, 1, 2, 2] }, obsNoise: 0.1 });

  test('valid input passes', () => {
    expect(() => checkGuidance(ok(), model)).not.toThrow();
    expect(() => checkGuidance({ ...ok(), mask: { data: Float32Array.of(1, 0, 0, 1), shape: [2, 2] } }, model)).not.toThrow();
  });
  test('the neural solver cannot be guided', () => {
    expect(() => checkGuidance(ok(), { ...model, kind: 'surrogate' })).toThrow(/--observe: MMPS guidance needs a diffusion emulator; the neural solver \(surrogate\)/);
  });
  test('observations whose shape does not match the operator', () => {
    const g = { ...ok(), observations: { data: new Float32Array(3 * 16), shape: [1, 3, 1, 4, 4] } };
    expect(() => checkGuidance(g, model)).toThrow(/--observe: observations have shape \[1, 3, 1, 4, 4\], expected \[1, T ≤ 3, 1, 2, 2\] \(B, T, C, \*observed\) for subsample:2 on the grid 4×4/);
  });
  test('an operator that does not divide the grid', () => {
    expect(() => checkGuidance({ ...ok(), operator: { kind: 'downscale', factor: 3 } }, model)).toThrow(/--operator downscale:3 does not divide the grid 4×4/);
  });
  test('NaN observations, unless masked out', () => {
    const g = ok();
    g.observations.data[5] = NaN; // state 1, point 1
    expect(() => checkGuidance(g, model)).toThrow(/--observe: observations must be finite at observed points; found NaN at trajectory 0, state 1/);
    expect(() => checkGuidance({ ...g, mask: { data: Float32Array.of(1, 0, 1, 1), shape: [2, 2] } }, model)).not.toThrow();
  });
  test('noise, mask shape, an empty mask, solver settings', () => {
    expect(() => checkGuidance({ ...ok(), obsNoise: 0 }, model)).toThrow(/--obs-noise must be a positive number \(the observation noise σ\), got 0/);
    expect(() => checkGuidance({ ...ok(), mask: { data: new Float32Array(4), shape: [4] } }, model)).toThrow(/observation mask has shape \[4\], expected \[2, 2\] or \[1, 2, 2\]/);
    expect(() => checkGuidance({ ...ok(), mask: { data: new Float32Array(4), shape: [2, 2] } }, model)).toThrow(/observation mask observes no point/);
    expect(() => checkGuidance({ ...ok(), iterations: 0 }, model)).toThrow(/guidance iterations must be an integer in 1\.\.64, got 0/);
  });
});

test('observationsFrom: A(x) + σ ε on the data grid (seeded), as given on the observed grid, else an error', () => {
  // 2 states of one channel on 8×8, constant 3: subsample:2 gives 16 values per state, each 3 + 0.5 ε.
  const states = { data: new Float32Array(2 * 64).fill(3), shape: [2, 1, 8, 8] };
  const y = observationsFrom(states, { kind: 'subsample', factor: 2 }, [8, 8], 0.5, 1);
  expect(y.shape).toEqual([1, 2, 1, 4, 4]);
  const mean = y.data.reduce((a, b) => a + b, 0) / 32;
  const sd = Math.sqrt(y.data.reduce((a, b) => a + (b - mean) ** 2, 0) / 31);
  expect(Math.abs(mean - 3)).toBeLessThan(4 * 0.5 / Math.sqrt(32));
  expect(sd).toBeGreaterThan(0.3);
  expect(sd).toBeLessThan(0.75);
  expect(observationsFrom(states, { kind: 'subsample', factor: 2 }, [8, 8], 0.5, 1).data).toEqual(y.data);
  expect(observationsFrom(states, { kind: 'subsample', factor: 2 }, [8, 8], 0.5, 2).data).not.toEqual(y.data);
  const coarse = { data: Float32Array.from({ length: 16 }, (_, i) => i), shape: [1, 1, 4, 4] };
  expect(Array.from(observationsFrom(coarse, { kind: 'downscale', factor: 2 }, [8, 8], 0.5, 1).data)).toEqual(Array.from(coarse.data));
  expect(() => observationsFrom({ data: new Float32Array(36), shape: [1, 1, 6, 6] }, { kind: 'downscale', factor: 2 }, [8, 8], 0.5, 1)).toThrow(/--observe: grid 6×6 is neither the data grid 8×8 nor the observed grid 4×4 of downscale:2/);
});
