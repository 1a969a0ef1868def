// Local (windowed) attention of the emulators' ViT, `window_size` (spec §4.1; the reference's
// lola/nn/vit.py coo_and_mask): a token attends to the tokens within w // 2 on every axis of the token
// grid, time first, with periodic distances on every axis (time included, as in the reference).
// Observed through a surrogate's first rollout window with one context state: x̂ = F(y ⊙ m, m, θ), the
// context position overwritten, so the outputs at t = 1..4 are the network's. With hid_blocks 1 the
// receptive field is exactly the window: in_proj, the positional embedding, the skip and the FFN act per
// token, so only the attention mixes tokens.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Denoiser } from '../../lib/models/denoiser.js';
import { Surrogate } from '../../lib/models/surrogate.js';
import { native } from '../../lib/native/loader.js';
import { vitConfig } from '../../lib/models/vit-config.js';
import { getNumThreads, manualSeed, setNumThreads } from '../../lib/runtime.js';
import { tensor } from '../../lib/tensor.js';
import { randomValues, tiny } from '../emulate/helpers.js';

const T = 5; // states per window = time tokens
const C = 4;
const H = 8;
const W = 8;
const one = { ...tiny, hid_blocks: 1 };

let dir: string;
let threads = 1;
beforeAll(() => {
  threads = getNumThreads();
  setNumThreads(1);
  dir = mkdtempSync(join(tmpdir(), 'window-attention-test-'));
});
afterAll(() => {
  setNumThreads(threads);
  rmSync(dir, { recursive: true, force: true });
});

const label = tensor(randomValues(5, 7), [1, 5]);

function context(perturb?: { i: number; j: number }): ReturnType<typeof tensor> {
  const v = randomValues(C * H * W, 3);
  if (perturb) for (let c = 0; c < C; c++) v[(c * H + perturb.i) * W + perturb.j]! += 1;
  return tensor(v, [1, 1, C, H, W]);
}

/** The first window's states (T, C, H, W) flattened. */
async function firstWindow(model: Surrogate, ctx = context()): Promise<Float32Array> {
  return (await model.rollout(ctx, label, { length: T })).states.dataSync() as Float32Array;
}

/** Largest |a − b| over the channels of each token (t, i, j), t = 1..T−1 (t = 0 is the given context). */
function tokenChanges(a: Float32Array, b: Float32Array): number[][][] {
  const out: number[][][] = [];
  for (let t = 1; t < T; t++) {
    const rows: number[][] = [];
    for (let i = 0; i < H; i++) {
      const row: number[] = [];
      for (let j = 0; j < W; j++) {
        let m = 0;
        for (let c = 0; c < C; c++) {
          const k = ((t * C + c) * H + i) * W + j;
          m = Math.max(m, Math.abs(a[k]! - b[k]!));
        }
        row.push(m);
      }
      rows.push(row);
    }
    out.push(rows);
  }
  return out;
}

const periodic = (d: number, n: number) => Math.min(Math.abs(d), n - Math.abs(d));

/** Same weights in every model: saved from the first, loaded into the others. */
async function sameWeights<M extends Surrogate | Denoiser>(name: string, models: M[]): Promise<void> {
  const path = join(dir, `${name}.safetensors`);
  await models[0]!.saveWeights(path);
  for (const m of models.slice(1)) await m.loadWeights(path);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

describe('window_size covering the whole token grid', () => {
  test('gives the full-attention output of the same weights', async () => {
    manualSeed(5);
    const full = Surrogate.create(tiny);
    // [5, 9, 9] is the smallest covering window of a 5×8×8 grid (odd axis: w >= g; even axis: w >= g + 1).
    const covering = [Surrogate.create({ ...tiny, window_size: [5, 9, 9] }), Surrogate.create({ ...tiny, window_size: 17 })];
    await sameWeights('cover-surrogate', [full, ...covering]);
    const ref = await firstWindow(full);
    for (const m of covering) expect(maxAbsDiff(await firstWindow(m), ref)).toBeLessThan(1e-6);
    // A window that does not cover it changes the output (the mask is applied).
    const local = Surrogate.create({ ...tiny, window_size: [5, 7, 9] });
    await sameWeights('cover-surrogate', [full, local]);
    expect(maxAbsDiff(await firstWindow(local), ref)).toBeGreaterThan(1e-4);
  });

  test('denoiser: the same seeded loss as full attention', async () => {
    manualSeed(6);
    const full = Denoiser.create(tiny);
    const covering = Denoiser.create({ ...tiny, window_size: [5, 5, 5] }); // 5×4×4 tokens
    await sameWeights('cover-denoiser', [full, covering]);
    const b = { state: tensor(randomValues(2 * T * C * 4 * 4, 9), [2, T, C, 4, 4]), label: tensor(randomValues(10, 10), [2, 5]) };
    const a = await full.loss(b, { seed: 4 });
    expect(Math.abs((await covering.loss(b, { seed: 4 })) - a)).toBeLessThan(1e-6 * Math.max(1, Math.abs(a)));
  });
});

describe('locality', () => {
  // The perturbed context token sits at t = 0 on the corner column (0, 7): its neighbourhood wraps on all axes.
  const at = { i: 0, j: W - 1 };

  async function changes(window: number | number[] | null): Promise<number[][][]> {
    manualSeed(8);
    const m = Surrogate.create({ ...one, window_size: window });
    return tokenChanges(await firstWindow(m), await firstWindow(m, context(at)));
  }

  function expectNeighbourhood(diff: number[][][], [wt, wi, wj]: number[]): void {
    let inside = 0;
    for (let t = 1; t < T; t++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++) {
          const near = periodic(t, T) <= wt! >> 1 && periodic(i - at.i, H) <= wi! >> 1 && periodic(j - at.j, W) <= wj! >> 1;
          const d = diff[t - 1]![i]![j]!;
          if (near) {
            inside++;
            expect(d).toBeGreaterThan(1e-6);
          } else {
            expect(d).toBe(0);
          }
        }
    expect(inside).toBeGreaterThan(0);
  }

  test('3 on every axis: only the periodic 3×3×3 neighbourhood changes (wrapping in time and space)', async () => {
    const diff = await changes([3, 3, 3]);
    expectNeighbourhood(diff, [3, 3, 3]);
    // The wrap is real: t = 4 (from t = 0), row 7 (from row 0) and column 0 (from column 7) change.
    expect(diff[3]![H - 1]![0]).toBeGreaterThan(1e-6);
  });

  test('per-axis sizes follow the axis order (time, height, width)', async () => {
    expectNeighbourhood(await changes([3, 1, 5]), [3, 1, 5]);
    expectNeighbourhood(await changes([3, 5, 1]), [3, 5, 1]);
  });

  test('window 1 in time: nothing outside the context state changes', async () => {
    const diff = await changes([1, 3, 3]);
    expect(Math.max(...diff.flat(2))).toBe(0);
  });

  test('an integer is the same window on every axis', async () => {
    manualSeed(8);
    const a = Surrogate.create({ ...one, window_size: 3 });
    const b = Surrogate.create({ ...one, window_size: [3, 3, 3] });
    await sameWeights('int-window', [a, b]);
    expect(Array.from(await firstWindow(b))).toEqual(Array.from(await firstWindow(a)));
  });

  test('full attention (null): every token sees the perturbation', async () => {
    const diff = await changes(null);
    expect(Math.min(...diff.flat(2))).toBeGreaterThan(1e-6);
  });

  test('1-D physics: periodic window on a 5×16 token grid', async () => {
    manualSeed(9);
    const m = Surrogate.create({ ...one, spatial: 1, window_size: [3, 5] });
    const L = 16;
    const base = randomValues(C * L, 3);
    const moved = base.slice();
    for (let c = 0; c < C; c++) moved[c * L + 1]! += 1; // position 1: the window (±2) wraps to 15
    const run = async (v: Float32Array) => (await m.rollout(tensor(v, [1, 1, C, L]), label, { length: T })).states.dataSync() as Float32Array;
    const a = await run(base);
    const b = await run(moved);
    for (let t = 1; t < T; t++)
      for (let x = 0; x < L; x++) {
        let d = 0;
        for (let c = 0; c < C; c++) d = Math.max(d, Math.abs(a[(t * C + c) * L + x]! - b[(t * C + c) * L + x]!));
        if (periodic(t, T) <= 1 && periodic(x - 1, L) <= 2) expect(d).toBeGreaterThan(1e-6);
        else expect(d).toBe(0);
      }
  });
});

describe('the model with local attention', () => {
  test('has the state dict of full attention and keeps window_size through its weights file', async () => {
    const local = Surrogate.create({ ...tiny, window_size: [3, 5, 5] });
    expect(local.stateDictShapes()).toEqual(Surrogate.create(tiny).stateDictShapes());
    const path = join(dir, 'local.safetensors');
    await local.saveWeights(path);
    const back = await Surrogate.fromWeights(path);
    expect(back.config.window_size).toEqual([3, 5, 5]);
    expect(Array.from(await firstWindow(back))).toEqual(Array.from(await firstWindow(local)));
  });

  test('trains (after an inference pass cached the mask) with gradients matching finite differences', async () => {
    manualSeed(10);
    const s = Surrogate.create({ ...tiny, window_size: [3, 3, 3] });
    await firstWindow(s); // the mask of a 5×8×8 grid is built under inference mode
    const b = { state: tensor(randomValues(2 * T * C * H * W, 11), [2, T, C, H, W]), label: tensor(randomValues(10, 12), [2, 5]) };
    const r = await s.trainStep(b, 1e-3);
    expect(Number.isFinite(r.loss)).toBe(true);
    const d = Denoiser.create({ ...tiny, window_size: [3, 3, 3] });
    const { analytic, numeric } = await d.gradCheck({ state: tensor(randomValues(2 * T * C * 4 * 4, 13), [2, T, C, 4, 4]), label: b.label }, 1e-6, 5);
    expect(Math.abs(analytic - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
  });
});

describe('bad window_size values', () => {
  test.each([
    [4, /window_size: entries must be positive odd/],
    [0, /window_size: entries must be positive odd/],
    [-3, /window_size: entries must be positive odd/],
    [2.5, /window_size: must be null/],
    [[3, 3], /window_size: needs one entry per token axis/],
    [[3, 3, 3, 3], /window_size: needs one entry per token axis/],
    [[3, 2, 3], /window_size\.1: entries must be positive odd/],
    ['3', /window_size: must be null \(full attention\)/],
  ])('%p is rejected when the model is built', (value, message) => {
    expect(() => Surrogate.create({ ...tiny, window_size: value as never })).toThrow(message);
    expect(() => Denoiser.create({ ...tiny, window_size: value as never })).toThrow(message);
  });

  test('the native config reader checks it too (objects given straight to the addon) and broadcasts one size', async () => {
    const base = { ...vitConfig('surrogate', tiny), kind: 'surrogate' as const };
    const make = (window_size: unknown) => new (native().Emulator)({ ...base, window_size } as never, 'cpu');
    expect(() => make([3, 3])).toThrow(/window_size needs one entry per token axis \(3: time first/);
    expect(() => make([3, 4, 3])).toThrow(/window_size entries must be positive odd integers.*got 4/);
    expect(() => make(0)).toThrow(/window_size entries must be positive odd integers.*got 0/);
    expect(() => make('3')).toThrow(/new Emulator: config\.window_size must be an integer or a list of integers/);
    // One size means that size on every token axis: with the same weights, w = 3 and [3, 3, 3] give the same
    // seeded loss, and full attention (null) a different one.
    const path = join(dir, 'broadcast.safetensors');
    const [single, list, full] = [make(3), make([3, 3, 3]), make(null)];
    await single.saveWeights(path, {});
    await list.loadWeights(path);
    await full.loadWeights(path);
    const batch = { state: tensor(randomValues(2 * T * C * H * W, 3), [2, T, C, H, W]), label: tensor(randomValues(10, 4), [2, 5]) };
    const [a, b, c] = await Promise.all([single, list, full].map((m) => m.loss(batch, { seed: 5 })));
    expect(b).toBe(a);
    expect(Math.abs(c! - a!)).toBeGreaterThan(1e-6);
  });
});
