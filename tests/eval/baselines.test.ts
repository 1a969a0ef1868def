// The persistence and climatology baselines: metrics against hand-computed values, the climatology against an
// independent mean of the raw train data and its cache, and, through eval on tiny runs, the exact cases
// (persistence of a field constant in time, climatology of identical trajectories) and the CSV/summary columns.
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { WellDataset } from '../../lib/data/dataset.js';
import { baselineMetrics } from '../../lib/eval/baselines.js';
import { climatology } from '../../lib/eval/climatology.js';
import { BASELINE_CSV_COLUMNS, evaluateRun } from '../../lib/eval/evaluate.js';
import { ENSEMBLE_METRICS } from '../../lib/eval/metrics.js';
import { setNumThreads } from '../../lib/runtime.js';
import { cacheLatents } from '../../lib/train/cache-latents.js';
import { composeConfig, resolveAeConfig, resolveEmulatorConfig } from '../../lib/train/config.js';
import { trainAutoencoder } from '../../lib/train/train-ae.js';
import { trainEmulator } from '../../lib/train/train-emulator.js';
import { tempDir, WAVES, wavesRun, writeWaves } from '../train/fixtures.js';

const col = (name: string) => ENSEMBLE_METRICS.indexOf(name as (typeof ENSEMBLE_METRICS)[number]);

describe('baselineMetrics by hand', () => {
  // One field on a 2×2 grid: state_t = p + a_t with p = (0, 1, 2, 3) (unbiased variance 5/3), a = (0, 0.5, 2);
  // climatology_t = p + b_t with b = (0, 0, 1).
  const p = [0, 1, 2, 3];
  const states = (offsets: number[]) => ({ data: Float32Array.from(offsets.flatMap((a) => p.map((x) => x + a))), shape: [offsets.length, 1, 2, 2] });
  const truth = states([0, 0.5, 2]);
  const clim = states([0, 0, 1]);
  const sd = Math.sqrt(5 / 3 + 1e-6);

  test('context 1: persistence repeats state 0, climatology is the mean state at the same step', () => {
    const r = baselineMetrics(truth, clim, 1);
    const [lead1, lead2] = r.persistence![0]!;
    // A uniform offset d: rmse = |d|, vrmse = |d|/sd, crps = MAE = |d| (one member), mass error 1 − Σv/Σu.
    expect(lead1![col('rmse')]).toBeCloseTo(0.5, 6);
    expect(lead1![col('vrmse')]).toBeCloseTo(0.5 / sd, 6);
    expect(lead1![col('crps')]).toBeCloseTo(0.5, 6);
    expect(lead1![col('mass_error')]).toBeCloseTo(1 - 6 / 8, 6);
    expect(lead1![col('spread')]).toBe(0);
    expect(lead1![col('spread_skill')]).toBeNaN();
    expect(lead2![col('rmse')]).toBeCloseTo(2, 6);
    expect(lead2![col('vrmse')]).toBeCloseTo(2 / sd, 6);
    expect(lead2![col('mass_error')]).toBeCloseTo(1 - 6 / 14, 6);
    const [c1, c2] = r.climatology![0]!;
    expect(c1![col('rmse')]).toBeCloseTo(0.5, 6);
    expect(c2![col('rmse')]).toBeCloseTo(1, 6);
    expect(c2![col('vrmse')]).toBeCloseTo(1 / sd, 6);
  });

  test('context 2: persistence repeats state 1; no climatology gives null rows', () => {
    const r = baselineMetrics(truth, null, 2);
    expect(r.persistence![0]).toHaveLength(1);
    expect(r.persistence![0]![0]![col('rmse')]).toBeCloseTo(1.5, 6);
    expect(r.climatology).toBeNull();
  });

  test('bad input: a context that leaves no lead time, mismatched climatology', () => {
    expect(() => baselineMetrics(truth, clim, 3)).toThrow(/context 3 must be in \[1, 2\]/);
    expect(() => baselineMetrics(truth, states([0, 1]), 1)).toThrow(/climatology \[2,1,2,2\] and truth \[3,1,2,2\] differ/);
  });
});

describe('baselines in eval', () => {
  let root: string;
  let cleanup: () => void;

  beforeAll(() => {
    ({ dir: root, cleanup } = tempDir('le-baselines-'));
  });
  afterAll(() => cleanup());

  test('climatology: the mean of the raw train trajectories at each step, cached with a note, recomputed when the data change', async () => {
    const data = join(root, 'waves');
    await writeWaves(data, { T: 6, trajectories: { train: 3, test: 1 } });
    const o = { root: data, dataset: WAVES, start: 1, stride: 2, length: 3, cacheDir: join(root, 'clim') };
    const c = await climatology(o);
    expect(c.cached).toBe(false);
    expect(c.trajectories).toBe(3);
    expect(c.steps).toEqual([1, 3, 5]);
    expect(c.states.shape).toEqual([3, 3, 16, 16]);
    // Independently: the raw (untransformed, unnormalised) states of each train trajectory, averaged.
    const raw = await WellDataset.open({ root: data, split: 'train', config: WAVES, steps: 1, stride: 1, transform: false, normalize: false });
    const n = 3 * 16 * 16;
    for (const [s, step] of c.steps.entries())
      for (const q of [0, 17, n / 3 + 5, n - 1]) {
        const perTrajectory = [0, 1, 2].map((b) => raw.item(b * 6 + step).state.data[q]!);
        expect(c.states.data[s * n + q]).toBeCloseTo(perTrajectory.reduce((a, x) => a + x, 0) / 3, 5);
      }
    raw.close();
    const note = JSON.parse(readFileSync(c.path, 'utf8'));
    expect(note.note).toMatch(/mean over the 3 train trajectories .* physical units/);
    expect(note.shape).toEqual([3, 3, 16, 16]);
    const again = await climatology(o);
    expect(again.cached).toBe(true);
    expect(Array.from(again.states.data)).toEqual(Array.from(c.states.data));
    // New data (another seed) under the same name: the cache key differs, so it is recomputed.
    rmSync(join(data, 'datasets', 'waves', 'data', 'train'), { recursive: true });
    await writeWaves(data, { T: 6, trajectories: { train: 3 }, seed: 9 });
    const changed = await climatology(o);
    expect(changed.cached).toBe(false);
    expect(changed.states.data[0]).not.toBeCloseTo(c.states.data[0]!, 5);
    await expect(climatology({ ...o, length: 4 })).rejects.toThrow(/climatology of the train split at steps 1…7: .*6 time steps are too few/);
    await expect(climatology({ ...o, start: 4, length: 2 })).rejects.toThrow(/no train trajectory .* holds 2 states every 2 steps from step 4/);
  });

  test('exact cases: persistence of a constant field and climatology of identical trajectories score 0; CSV and summary columns', async () => {
    setNumThreads(1);
    // Every trajectory identical and constant in time: both baselines equal the truth.
    const data = join(root, 'frozen');
    await writeWaves(data, { T: 5, trajectories: { train: 4, valid: 2, test: 2 }, identical: true, frozen: true });
    const quiet = { progress: 'none' as const, log: () => {} };
    const ae = resolveAeConfig(composeConfig(wavesRun(data, join(root, 'runs')), ['train.epochs=1', 'train.epoch_size=1']));
    const aeRun = (await trainAutoencoder(ae, { ...quiet, runDir: join(root, 'runs', 'ae') })).dir;
    await cacheLatents(aeRun, { split: 'train', repeat: 1 });
    await cacheLatents(aeRun, { split: 'valid' });
    const raw = {
      name: 'surrogate',
      runs_dir: join(root, 'runs'),
      ae_run: aeRun,
      surrogate: { name: 'tiny', hid_channels: 16, hid_blocks: 1, attention_heads: 2, ffn_factor: 2, emb_features: 8, dropout: 0 },
      optim: { learning_rate: 1e-3, scheduler: 'constant', grad_clip: 1 },
      train: { epochs: 1, epoch_size: 1, batch_size: 2, seed: 1, threads: 1 },
      valid: { epoch_size: 2, batch_size: 2 },
      trajectory: { length: 3, stride: 1 },
    };
    const run = (await trainEmulator(resolveEmulatorConfig(composeConfig(raw, [], 'surrogate'), 'surrogate'), { ...quiet, runDir: join(root, 'runs', 'surrogate') })).dir;
    const out = join(root, 'eval');
    const { summary } = await evaluateRun(run, { trajectories: 2, context: 2, solverSpeed: false, out });

    const [header, ...rows] = readFileSync(join(out, 'baselines.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    expect(header).toEqual(BASELINE_CSV_COLUMNS);
    expect(header!.slice(0, 5)).toEqual(['model', 'trajectory', 'field', 'lead_time', 'rmse']);
    // 5 steps, context 2 → lead times 1..3; 2 baselines × the trajectories drawn × 3 fields.
    const trajectories = summary.indices.length;
    expect(rows).toHaveLength(2 * trajectories * 3 * 3);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(['persistence', 'climatology']));
    for (const r of rows) {
      expect(Number(r[header!.indexOf('rmse')])).toBeLessThan(1e-5);
      expect(Number(r[header!.indexOf('vrmse')])).toBeLessThan(1e-4);
      expect(r[header!.indexOf('spread_skill')]).toBe('');
    }
    // The emulator's own CSV keeps its columns and rows.
    expect(readFileSync(join(out, 'metrics.csv'), 'utf8').split('\n')[0]!.startsWith('trajectory,field,lead_time,rmse')).toBe(true);
    for (const b of ['persistence', 'climatology']) {
      expect(summary.by_horizon[`${b}_vrmse`]!.mean!.every((v) => v !== null && v < 1e-4)).toBe(true);
      expect(summary.per_lead[`${b}_rmse`]!.density).toHaveLength(3);
    }
    expect(summary.by_horizon.vrmse!.mean![0]).toBeGreaterThan(1e-3); // the untrained emulator is not exact
    expect(summary.baselines.models).toEqual(['persistence', 'climatology']);
    expect(summary.baselines.climatology!.trajectories).toBe(4);
    expect(existsSync(join(aeRun, 'climatology', 'train_from0_every1_x5.f32'))).toBe(true);

    // Items written before baselines existed get them on resume; the climatology comes from its cache.
    const item = join(out, 'items', `${summary.indices[0]}.json`);
    const stored = JSON.parse(readFileSync(item, 'utf8'));
    delete stored.baselines;
    writeFileSync(item, JSON.stringify(stored));
    const cacheTime = statSync(join(aeRun, 'climatology', 'train_from0_every1_x5.f32')).mtimeMs;
    const again = await evaluateRun(run, { trajectories: 2, context: 2, solverSpeed: false, out });
    expect(again.summary.by_horizon.persistence_vrmse).toEqual(summary.by_horizon.persistence_vrmse);
    expect(JSON.parse(readFileSync(item, 'utf8')).baselines).toBeDefined();
    expect(statSync(join(aeRun, 'climatology', 'train_from0_every1_x5.f32')).mtimeMs).toBe(cacheTime);

    // Data without a train split: the climatology is skipped with a warning, persistence still scored.
    const testOnly = join(root, 'test-only');
    cpSync(join(data, 'datasets', 'waves', 'data', 'test'), join(testOnly, 'datasets', 'waves', 'data', 'test'), { recursive: true });
    const warnings: string[] = [];
    const partial = await evaluateRun(run, { trajectories: 2, context: 2, solverSpeed: false, root: testOnly, warn: (w) => warnings.push(w), out: join(root, 'eval-test-only') });
    expect(warnings.join('\n')).toMatch(/climatology baseline skipped: .*no 'train' split of 'waves'/);
    expect(partial.summary.baselines).toEqual({ models: ['persistence'], climatology: null });
    expect(partial.summary.by_horizon.persistence_vrmse).toEqual(summary.by_horizon.persistence_vrmse);
    expect(partial.summary.by_horizon.climatology_vrmse).toBeUndefined();
    expect(new Set(readFileSync(join(root, 'eval-test-only', 'baselines.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]))).toEqual(new Set(['persistence']));

    const none = await evaluateRun(run, { trajectories: 2, context: 2, solverSpeed: false, baselines: false, out: join(root, 'eval-none') });
    expect(none.summary.baselines.models).toEqual([]);
    expect(none.summary.by_horizon.persistence_vrmse).toBeUndefined();
    expect(existsSync(join(root, 'eval-none', 'baselines.csv'))).toBe(false);
  }, 120_000);
});
