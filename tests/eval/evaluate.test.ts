// The evaluation protocol and batch emulation end to end on tiny runs: a 16×16 autoencoder run → latent cache →
// a tiny denoiser and surrogate → eval (CSV columns and rows, horizon means recomputed from the CSV, the
// autoencoder's metrics recomputed independently, determinism, resumption, bad input) → emulate (Well files
// that read back as a dataset, context states = the autoencoder's reconstruction, resumption).
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { WellDataset } from '../../lib/data/dataset.js';
import { emulateBatch } from '../../lib/emulate/batch.js';
import { CSV_COLUMNS, defaultHorizons, evaluateRun } from '../../lib/eval/evaluate.js';
import { fieldMetrics } from '../../lib/eval/metrics.js';
import { Autoencoder } from '../../lib/models/autoencoder.js';
import { setNumThreads } from '../../lib/runtime.js';
import { findCheckpoint } from '../../lib/train/checkpoint.js';
import { composeConfig, readRunConfig, resolveEmulatorConfig, type EmulatorRunKind } from '../../lib/train/config.js';
import { trainEmulator } from '../../lib/train/train-emulator.js';
import { runCli } from '../run-cli.js';
import { TINY_EMULATOR_TRAINING, TINY_VIT, trainTinyEmulators } from '../train/emulator-fixtures.js';
import { tempDir, WAVES, wavesRun } from '../train/fixtures.js';

const quiet = { progress: 'none' as const, log: () => {} };

let root: string;
let cleanup: () => void;
let aeRun: string;
let runs: Record<EmulatorRunKind, string>;
let pixelRun: string;

beforeAll(async () => {
  setNumThreads(1);
  ({ dir: root, cleanup } = tempDir('le-eval-'));
  ({ aeRun, runs } = await trainTinyEmulators(root, { train: 6, valid: 2, test: 3 }));
  // A pixel-space neural solver on the same data (patches of 4×4).
  const pixel = {
    name: 'pixel',
    runs_dir: join(root, 'runs', 'pixel'),
    dataset: wavesRun(join(root, 'data'), join(root, 'runs')).dataset,
    surrogate: { ...TINY_VIT, patch_size: [1, 4, 4] },
    ...TINY_EMULATOR_TRAINING,
  };
  pixelRun = (await trainEmulator(resolveEmulatorConfig(composeConfig(pixel, [], 'surrogate'), 'surrogate'), { ...quiet, runDir: join(root, 'runs', 'pixel', 'run') })).dir;
}, 120_000);
afterAll(() => cleanup());

const evalOptions = { trajectories: 2, samples: 3, steps: 4, solverSpeed: false } as const;

function readCsv(path: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(','));
  return { header: header!, rows };
}

describe('eval', () => {
  let dir: string;
  beforeAll(async () => {
    dir = (await evaluateRun(runs.diffusion, { ...evalOptions, out: join(root, 'eval-a') })).dir;
  }, 60_000);

  test('metrics.csv: one row per (trajectory, field, lead time) with the documented columns', () => {
    const { header, rows } = readCsv(join(dir, 'metrics.csv'));
    expect(header).toEqual(CSV_COLUMNS);
    expect(header.slice(0, 5)).toEqual(['trajectory', 'field', 'lead_time', 'rmse', 'nrmse']);
    // 8 steps at stride 1, context 1 → lead times 1..7; 2 trajectories × 3 fields.
    expect(rows).toHaveLength(2 * 3 * 7);
    const fields = new Set(rows.map((r) => r[1]));
    expect([...fields]).toEqual(['density', 'velocity_x', 'velocity_y']);
    expect(new Set(rows.map((r) => Number(r[2])))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]));
    // The reference's draw (random.Random(0), int(u · 3)): u = 0.844… → 2, 0.757… → 2 (repeat), 0.420… → 1.
    expect([...new Set(rows.map((r) => Number(r[0])))]).toEqual([2, 1]);
    for (const r of rows) for (const v of r.slice(3, 3 + 6)) expect(Number.isFinite(Number(v))).toBe(true);
  });

  test('summary: per-lead and per-horizon means equal those recomputed from the CSV', () => {
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    const { header, rows } = readCsv(join(dir, 'metrics.csv'));
    expect(summary.horizons).toEqual([[1, 2], [3, 5], [6, 7]]);
    expect(summary.lead_times).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const col = header.indexOf('vrmse');
    const valuesOf = (field: string, a: number, b: number) => rows.filter((r) => r[1] === field && Number(r[2]) >= a && Number(r[2]) <= b).map((r) => Number(r[col]));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    summary.horizons.forEach(([a, b]: [number, number], h: number) => {
      const perField = ['density', 'velocity_x', 'velocity_y'].map((f) => mean(valuesOf(f, a, b)));
      perField.forEach((v, f) => expect(summary.by_horizon.vrmse[['density', 'velocity_x', 'velocity_y'][f]!][h]).toBeCloseTo(v, 5));
      expect(summary.by_horizon.vrmse.mean[h]).toBeCloseTo(mean(perField), 5);
    });
    expect(summary.per_lead.vrmse.density[0]).toBeCloseTo(mean(valuesOf('density', 1, 1)), 5);
    expect(summary.speed.states).toBe(2 * 3 * 7);
    expect(summary.speed.seconds_per_state).toBeGreaterThan(0);
    expect(Object.keys(summary.spectra)).toEqual(['density', 'velocity_x', 'velocity_y']);
    expect(summary.spectra.density.truth).toHaveLength(3);
    const animation = JSON.parse(readFileSync(join(dir, 'animation.json'), 'utf8'));
    expect(animation.shape).toEqual([16, 16]);
    expect(Buffer.from(animation.truth.density, 'base64')).toHaveLength(8 * 16 * 16);
    expect(animation.members.density).toHaveLength(3);
    expect(animation.lead_times).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('the autoencoder columns equal D(E(x)) scored independently', async () => {
    const config = readRunConfig(join(aeRun, 'config.yaml'));
    const ae = Autoencoder.create({ ...config.ae, pix_channels: 3 }).eval();
    await ae.loadWeights(findCheckpoint(aeRun, 'state')!.path);
    const { root: dataRoot, ...datasetConfig } = config.dataset;
    const test = await WellDataset.open({ root: dataRoot, split: 'test', config: datasetConfig, steps: 8, stride: 1 });
    const x = test.item(1).state; // trajectory 1: one window of all 8 steps
    const y = await (await ae.decode(await ae.encode(x))).data();
    const truth = test.postprocess.invert({ data: Float32Array.from(x.data), shape: x.shape });
    const recon = test.postprocess.invert({ data: Float32Array.from(y as Float32Array), shape: x.shape });
    test.close();
    const expected = fieldMetrics(truth, recon).vrmse;
    const { header, rows } = readCsv(join(dir, 'metrics.csv'));
    const col = header.indexOf('ae_vrmse');
    for (const lead of [1, 4, 7]) {
      const row = rows.find((r) => r[0] === '1' && r[1] === 'velocity_x' && Number(r[2]) === lead)!;
      expect(Number(row[col])).toBeCloseTo(expected[lead]![1]!, 4);
    }
  });

  test('seeded: a second evaluation gives the same CSV; an interrupted one resumes from its finished items', async () => {
    const out = join(root, 'eval-b');
    await evaluateRun(runs.diffusion, { ...evalOptions, out });
    expect(readFileSync(join(out, 'metrics.csv'), 'utf8')).toBe(readFileSync(join(dir, 'metrics.csv'), 'utf8'));
    const kept = join(out, 'items', '2.json');
    const mtime = statSync(kept).mtimeMs;
    rmSync(join(out, 'items', '1.json'));
    rmSync(join(out, 'metrics.csv'));
    await evaluateRun(runs.diffusion, { ...evalOptions, out });
    expect(statSync(kept).mtimeMs).toBe(mtime);
    expect(readFileSync(join(out, 'metrics.csv'), 'utf8')).toBe(readFileSync(join(dir, 'metrics.csv'), 'utf8'));
    await expect(evaluateRun(runs.diffusion, { ...evalOptions, samples: 2, out })).rejects.toThrow(/another evaluation/);
  }, 60_000);

  test('an aborted evaluation keeps what it finished', async () => {
    const out = join(root, 'eval-abort');
    const controller = new AbortController();
    await expect(evaluateRun(runs.diffusion, { ...evalOptions, out, signal: controller.signal, onProgress: () => controller.abort() })).rejects.toThrow(/interrupted after 1 of 2.*resume/);
    expect(existsSync(join(out, 'items', '2.json'))).toBe(true);
  }, 60_000);

  test('surrogate: one deterministic member, spread and spread/skill 0', async () => {
    const { dir: out, summary } = await evaluateRun(runs.surrogate, { ...evalOptions, out: join(root, 'eval-s') });
    expect(summary.protocol.samples).toBe(1);
    const { header, rows } = readCsv(join(out, 'metrics.csv'));
    for (const r of rows) {
      expect(Number(r[header.indexOf('spread')])).toBe(0);
      expect(Number(r[header.indexOf('spread_skill')])).toBe(0);
      expect(Number(r[header.indexOf('crps')])).toBeGreaterThan(0);
    }
  }, 60_000);

  test('pixel-space run: no autoencoder, so the rel_ and ae_ columns are empty; the emulator\'s are scored', async () => {
    const { dir: out, summary } = await evaluateRun(pixelRun, { ...evalOptions, out: join(root, 'eval-pixel') });
    expect(summary.ae_run).toBeNull();
    expect(summary.compression_rate).toBe(1);
    const { header, rows } = readCsv(join(out, 'metrics.csv'));
    expect(rows).toHaveLength(2 * 3 * 7);
    for (const r of rows) {
      expect(Number.isFinite(Number(r[header.indexOf('vrmse')]))).toBe(true);
      expect(r[header.indexOf('rel_vrmse')]).toBe('');
      expect(r[header.indexOf('ae_vrmse')]).toBe('');
    }
    expect(summary.spectra.density!.autoencoder).toBeNull();
    const animation = JSON.parse(readFileSync(join(out, 'animation.json'), 'utf8'));
    expect(animation.autoencoder).toBeNull();
  }, 60_000);

  test('bad input: clear errors naming the run and the mismatch', async () => {
    const run = runs.diffusion;
    await expect(evaluateRun(aeRun, evalOptions)).rejects.toThrow(/is not an emulator run/);
    await expect(evaluateRun(run, { ...evalOptions, dataset: 'euler_open' })).rejects.toThrow(new RegExp(`run .*run: was trained on dataset 'waves'.*not 'euler_open'`));
    await expect(evaluateRun(run, { ...evalOptions, start: 7, out: join(root, 'x1') })).rejects.toThrow(/1 states at stride 1 from step 7: not longer than the context of 1/);
    await expect(evaluateRun(run, { ...evalOptions, context: 5 })).rejects.toThrow(/context 5 must be shorter than the run's window of 5/);
    await expect(evaluateRun(join(root, 'nope'), evalOptions)).rejects.toThrow(/nope: does not exist/);
    // A corrupt checkpoint with no previous one; then none at all.
    const state = join(run, 'state.safetensors');
    const saved = readFileSync(state);
    const savedManifest = readFileSync(join(run, 'state.json'));
    const hasPrev = existsSync(join(run, 'state.prev.safetensors'));
    if (hasPrev) renameSync(join(run, 'state.prev.safetensors'), join(run, 'prev.bak'));
    try {
      writeFileSync(state, saved.subarray(0, 100));
      await expect(evaluateRun(run, evalOptions)).rejects.toThrow(/no usable checkpoint 'state'.*truncated/);
      rmSync(state);
      rmSync(join(run, 'state.json'), { force: true });
      await expect(evaluateRun(run, evalOptions)).rejects.toThrow(/no 'state' checkpoint/);
    } finally {
      writeFileSync(state, saved);
      writeFileSync(join(run, 'state.json'), savedManifest);
      if (hasPrev) renameSync(join(run, 'prev.bak'), join(run, 'state.prev.safetensors'));
    }
  });

  test('default horizons: the reference\'s per physics, thirds when the trajectories are shorter', () => {
    expect(defaultHorizons('euler_multi_quadrants_openBC', 100)).toEqual([[1, 20], [21, 60], [61, 100]]);
    expect(defaultHorizons('rayleigh_benard', 180)).toEqual([[1, 20], [21, 60], [61, 180]]);
    expect(defaultHorizons('turbulence_gravity_cooling', 50)).toEqual([[1, 10], [11, 30], [31, 50]]);
    expect(defaultHorizons('euler_multi_quadrants_openBC', 20)).toEqual([[1, 7], [8, 13], [14, 20]]);
  });

  test('CLI: eval prints the table and the directory', async () => {
    const r = await runCli('eval', runs.surrogate, '--trajectories', '1', '--out', join(root, 'eval-cli'), '--no-solver-speed');
    expect(r.err).toMatch(/VRMSE \(mean of fields\)/);
    expect(r.code ?? 0).toBe(0);
    expect(r.out.trim()).toBe(join(root, 'eval-cli'));
    const bad = await runCli('eval', runs.surrogate, '--sampler', 'magic');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/unknown sampler 'magic'/);
    const badWeights = await runCli('eval', runs.surrogate, '--weights', 'latest');
    expect(badWeights.code).not.toBe(0);
    expect(badWeights.err).toMatch(/--weights must be state or best, got 'latest'/);
  }, 60_000);
});

describe('emulate', () => {
  test('writes a Well dataset of K members per input trajectory; context = D(E(x0)); resumable', async () => {
    const input = join(root, 'data', 'datasets', 'waves', 'data', 'test');
    const out = join(root, 'emulated');
    const r = await emulateBatch(runs.diffusion, { input, out, samples: 2, steps: 3, length: 6, decodeBatch: 4 });
    expect(r.files).toHaveLength(3);
    expect(r.states).toBe(3 * 2 * 5);
    const ds = await WellDataset.open({ root: out, split: 'test', config: WAVES, steps: 6, stride: 1 });
    expect(ds.trajectories).toBe(6);
    expect(ds.stateShape).toEqual([6, 3, 16, 16]);
    // Member 0 of trajectory 0 at t = 0 is the decoded context, i.e. the autoencoder's reconstruction.
    const config = readRunConfig(join(aeRun, 'config.yaml'));
    const ae = Autoencoder.create({ ...config.ae, pix_channels: 3 }).eval();
    await ae.loadWeights(findCheckpoint(aeRun, 'state')!.path);
    const source = await WellDataset.open({ root: join(root, 'data'), split: 'test', config: WAVES, steps: 1 });
    const x0 = source.item(0).state;
    const recon = (await (await ae.decode(await ae.encode(x0))).data()) as Float32Array;
    const emulated = ds.item(0).state.data.subarray(0, recon.length);
    let maxDiff = 0;
    for (let i = 0; i < recon.length; i++) maxDiff = Math.max(maxDiff, Math.abs(recon[i]! - emulated[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
    ds.close();
    source.close();
    const again = await emulateBatch(runs.diffusion, { input, out, samples: 2, steps: 3, length: 6 });
    expect(again.files).toHaveLength(0);
    expect(again.skipped).toBe(3);
    await expect(emulateBatch(runs.diffusion, { input: join(root, 'missing'), out })).rejects.toThrow(/missing does not exist/);
    // A pixel-space run: its context state comes back as the input's own first state.
    const pixelOut = join(root, 'emulated-pixel');
    expect((await emulateBatch(pixelRun, { input, out: pixelOut, length: 6 })).files).toHaveLength(3);
    const pds = await WellDataset.open({ root: pixelOut, split: 'test', config: WAVES, steps: 6, stride: 1 });
    const src = await WellDataset.open({ root: join(root, 'data'), split: 'test', config: WAVES, steps: 1 });
    const a = src.item(0).state.data;
    const b = pds.item(0).state.data.subarray(0, a.length);
    let pixelDiff = 0;
    for (let i = 0; i < a.length; i++) pixelDiff = Math.max(pixelDiff, Math.abs(a[i]! - b[i]!));
    expect(pixelDiff).toBeLessThan(1e-5);
    pds.close();
    src.close();
    await expect(emulateBatch(runs.diffusion, { input, out, length: 1 })).rejects.toThrow(/larger than the context/);
  }, 60_000);
});
