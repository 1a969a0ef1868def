// Rollouts: length and overlap, context states returned unchanged, seeding, ensemble members, and the
// surrogate's windows conditioned on the previous window's last states.
import { Denoiser } from '../../lib/models/denoiser.js';
import { Surrogate } from '../../lib/models/surrogate.js';
import { manualSeed } from '../../lib/runtime.js';
import { tensor } from '../../lib/tensor.js';
import { windowCount } from '../../lib/emulate/rollout.js';
import { randomValues, tiny } from './helpers.js';

const S = 4 * 4 * 4; // C·H·W of one state
function context(B: number, c: number, seed = 2) {
  return tensor(randomValues(B * c * S, seed), [B, c, 4, 4, 4]);
}
const label = tensor(randomValues(5, 9), [5]);

manualSeed(5);
const denoiser = Denoiser.create(tiny);
const surrogate = Surrogate.create(tiny);

test('length, members and windows: 13 states from windows of 5 with overlap 1 take 3 windows', async () => {
  const ctx = context(2, 1);
  const r = await denoiser.rollout(ctx, label, { length: 13, members: 3, steps: 4, seed: 1 });
  expect(r.states.shape).toEqual([2, 3, 13, 4, 4, 4]);
  expect(r.windows).toBe(3);
  expect(r.evaluations).toBe(3 * 4);
  expect(windowCount({ length: 26, window: 5 })).toBe(7); // Euler: 26 strided states, 7 windows
  expect(windowCount({ length: 13, window: 5, overlap: 2, crop: 4 })).toBe(6);
  const r2 = await denoiser.rollout(ctx, label, { length: 13, overlap: 2, crop: 4, steps: 2, seed: 1 });
  expect(r2.states.shape).toEqual([2, 1, 13, 4, 4, 4]);
  expect(r2.evaluations).toBe(6 * 2);
});

test('context states come back unchanged; members differ; the same seed gives the same rollout', async () => {
  const ctx = context(1, 2, 4);
  const given = ctx.dataSync() as Float32Array;
  const opts = { length: 9, members: 2, steps: 3, seed: 42, sampler: 'ab' as const };
  const a = (await denoiser.rollout(ctx, label, opts)).states.dataSync() as Float32Array;
  const T = 9;
  for (let k = 0; k < 2; k++) for (let i = 0; i < 2 * S; i++) expect(a[k * T * S + i]).toBe(given[i]);
  // members are different samples
  let diff = 0;
  for (let i = 2 * S; i < T * S; i++) diff = Math.max(diff, Math.abs(a[i]! - a[T * S + i]!));
  expect(diff).toBeGreaterThan(1e-3);
  const b = (await denoiser.rollout(ctx, label, opts)).states.dataSync() as Float32Array;
  expect(Array.from(b)).toEqual(Array.from(a));
  const c = (await denoiser.rollout(ctx, label, { ...opts, seed: 43 })).states.dataSync() as Float32Array;
  expect(Array.from(c)).not.toEqual(Array.from(a));
  for (const sampler of ['euler', 'heun', 'ddpm', 'ddim', 'eab', 'pc'] as const) {
    const r = await denoiser.rollout(ctx, label, { ...opts, sampler, eta: 0.5 });
    const x = r.states.dataSync() as Float32Array;
    expect(x.every(Number.isFinite)).toBe(true);
    for (let i = 0; i < 2 * S; i++) expect(x[i]).toBe(given[i]);
  }
});

test('surrogate: identical members, and each window continues from the last overlap states of the previous', async () => {
  const ctx = context(1, 1, 6);
  const r = await surrogate.rollout(ctx, label, { length: 9, members: 2, overlap: 2 });
  const x = r.states.dataSync() as Float32Array;
  expect(r.states.shape).toEqual([1, 2, 9, 4, 4, 4]);
  expect(Array.from(x.slice(0, 9 * S))).toEqual(Array.from(x.slice(9 * S)));
  // The second window starts from states 3..4 of the first and yields states 5..7.
  const carried = tensor(x.slice(3 * S, 5 * S), [1, 2, 4, 4, 4]);
  const again = (await surrogate.rollout(carried, label, { length: 5 })).states.dataSync() as Float32Array;
  for (let i = 0; i < 3 * S; i++) expect(again[2 * S + i]).toBeCloseTo(x[5 * S + i]!, 5);
});
