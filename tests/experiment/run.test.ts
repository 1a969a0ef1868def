// The experiment runner end to end at the demo's tiny sizes: two autoencoders × {diffusion, neural solver},
// interrupted (abort signal) as the third emulator starts, resumed with the finished stages reused, rerun with
// everything reused, the comparison table's cells recomputed from the evaluations' CSVs, and a changed file
// refused.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { COMPARISON_CSV_COLUMNS } from '../../lib/experiment/comparison.js';
import { planExperiment } from '../../lib/experiment/plan.js';
import { describePlan, runExperiment } from '../../lib/experiment/run.js';
import { parseExperiment } from '../../lib/experiment/spec.js';
import { setNumThreads } from '../../lib/runtime.js';
import { tempDir } from '../train/fixtures.js';

const TINY = {
  name: 'tiny-study',
  data: { generate: { resolution: 16, trajectories: 5, gamma: [1.4], steps: 9 } },
  autoencoder: {
    overrides: ['ae=dcae_f8c16_cpu', 'ae.hid_channels=[8, 16]', 'ae.hid_blocks=[1, 1]', 'train.epochs=2', 'train.epoch_size=1', 'train.batch_size=4', 'valid.epoch_size=4', 'valid.batch_size=4', 'optim.warmup=1'],
    variants: { c4: ['ae.lat_channels=4'], c2: ['ae.lat_channels=2'] },
  },
  emulators: {
    overrides: ['model=vit_tiny_cpu', 'model.hid_channels=32', 'model.hid_blocks=1', 'model.attention_heads=2', 'model.emb_features=16', 'train.epochs=2', 'train.epoch_size=1', 'train.batch_size=4', 'valid.epoch_size=4', 'valid.batch_size=4', 'optim.warmup=1', 'trajectory.stride=1'],
    diffusion: {},
    surrogate: {},
  },
  eval: { trajectories: 1, samples: 2, samplers: [{ sampler: 'ab', steps: 2 }] },
};

let root: string;
let cleanup: () => void;
beforeAll(() => {
  setNumThreads(1);
  ({ dir: root, cleanup } = tempDir('le-experiment-'));
});
afterAll(() => cleanup());

type Csv = { header: string[]; rows: string[][] };
function readCsv(path: string): Csv {
  const [header, ...rows] = readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(','));
  return { header: header!, rows };
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Horizon [a, b] of a metric from an evaluation's CSV rows: per field the mean over trajectories and lead times, then over fields. */
function fromCsv(csv: Csv, column: string, [a, b]: [number, number], keep: (r: string[]) => boolean = () => true): number {
  const c = csv.header.indexOf(column);
  const fi = csv.header.indexOf('field');
  const li = csv.header.indexOf('lead_time');
  const rows = csv.rows.filter((r) => keep(r) && Number(r[li]) >= a && Number(r[li]) <= b);
  const fields = [...new Set(rows.map((r) => r[fi]!))];
  return mean(fields.map((f) => mean(rows.filter((r) => r[fi] === f).map((r) => Number(r[c])))));
}

test('tiny study: interrupted, resumed with finished stages reused, the table recomputed from the CSVs', async () => {
  const spec = parseExperiment(TINY, 'tiny.yaml');
  const out = join(root, 'study');
  const plan = planExperiment(spec, 'tiny.yaml', { out });
  expect(plan.stages).toHaveLength(1 + 2 * 2 + 4 * 2 + 1);

  // 1. Interrupted as the third emulator run starts (an abort signal, as Ctrl-C gives the CLI).
  const controller = new AbortController();
  const started: string[] = [];
  await expect(
    runExperiment(plan, {
      progress: 'none',
      signal: controller.signal,
      onStage: (s) => {
        started.push(s.id);
        if (s.id === 'train-diffusion/c2/diffusion') controller.abort();
      },
    }),
  ).rejects.toThrow(/experiment interrupted during train-diffusion\/c2\/diffusion; .*run the same command again to resume/);
  expect(started.slice(0, 5)).toEqual(['generate', 'train-ae/c4', 'cache-latents/c4', 'train-ae/c2', 'cache-latents/c2']);
  const listing = describePlan(plan);
  expect(listing).toMatch(/done +train-ae\/c2/);
  expect(listing).toMatch(/done +eval\/c4\/surrogate\/test_c1/);
  expect(listing).toMatch(/started +train-diffusion\/c2\/diffusion/);
  expect(listing).toMatch(/to do +eval\/c2\/diffusion\/test_ab2_c1/);
  const aeState = join(out, 'ae', 'c4', 'state.safetensors');
  const aeTime = statSync(aeState).mtimeMs;
  const cacheTime = statSync(join(out, 'stages', 'cache-latents__c4.json')).mtimeMs;

  // 2. Resumed: only the unfinished stages run; the autoencoders and caches are reused.
  const resumed = await runExperiment(plan, { progress: 'none' });
  expect(resumed.ran).toEqual(['train-diffusion/c2/diffusion', 'eval/c2/diffusion/test_ab2_c1', 'train-surrogate/c2/surrogate', 'eval/c2/surrogate/test_c1', 'compare']);
  expect(statSync(aeState).mtimeMs).toBe(aeTime);
  expect(statSync(join(out, 'stages', 'cache-latents__c4.json')).mtimeMs).toBe(cacheTime);
  // Each emulator was trained on its own autoencoder run.
  for (const ae of ['c4', 'c2'])
    for (const kind of ['diffusion', 'surrogate']) expect(readFileSync(join(out, 'emulators', `${ae}-${kind}`, 'config.yaml'), 'utf8')).toContain(join(out, 'ae', ae));

  // 3. Everything finished: a rerun only rewrites the comparison.
  const again = await runExperiment(plan, { progress: 'none' });
  expect(again.ran).toEqual(['compare']);
  expect(describePlan(plan)).toMatch(/14 stages: 14 done/);

  // The table: rows model × compression (autoencoder first), then the baselines; cells from the CSVs.
  const { comparison } = again;
  expect(comparison.rows.map((r) => r.model)).toEqual(['autoencoder c4', 'diffusion', 'surrogate', 'autoencoder c2', 'diffusion', 'surrogate', 'persistence', 'climatology']);
  expect(comparison.rows.map((r) => r.compression_rate)).toEqual([5, 5, 5, 10, 10, 10, null, null]);
  const table = readCsv(join(out, 'comparison.csv'));
  expect(table.header).toEqual(COMPARISON_CSV_COLUMNS);
  expect(table.rows).toHaveLength(comparison.rows.length * comparison.horizons.length);
  const cell = (model: string, rate: string, horizon: string, column: string) =>
    Number(table.rows.find((r) => r[0] === model && r[3] === rate && r[7] === horizon)![table.header.indexOf(column)]);
  for (const [ae, rate] of [['c4', '5'], ['c2', '10']] as const)
    for (const h of comparison.horizons) {
      const label = `${h[0]}:${h[1]}`;
      const diffusion = readCsv(join(out, 'emulators', `${ae}-diffusion`, 'eval', 'test_ab2_c1', 'metrics.csv'));
      const surrogate = readCsv(join(out, 'emulators', `${ae}-surrogate`, 'eval', 'test_c1', 'metrics.csv'));
      expect(cell('diffusion', rate, label, 'vrmse')).toBeCloseTo(fromCsv(diffusion, 'vrmse', h), 4);
      expect(cell('diffusion', rate, label, 'spread_skill')).toBeCloseTo(fromCsv(diffusion, 'spread_skill', h), 4);
      expect(cell('surrogate', rate, label, 'vrmse')).toBeCloseTo(fromCsv(surrogate, 'vrmse', h), 4);
      expect(table.rows.find((r) => r[0] === 'surrogate' && r[3] === rate && r[7] === label)![9]).toBe('');
      expect(cell(`autoencoder ${ae}`, rate, label, 'vrmse')).toBeCloseTo(fromCsv(diffusion, 'ae_vrmse', h), 4);
    }
  const baselines = readCsv(join(out, 'emulators', 'c4-diffusion', 'eval', 'test_ab2_c1', 'baselines.csv'));
  for (const h of comparison.horizons)
    for (const b of ['persistence', 'climatology'])
      expect(Number(table.rows.find((r) => r[0] === b && r[7] === `${h[0]}:${h[1]}`)![8])).toBeCloseTo(fromCsv(baselines, 'vrmse', h, (r) => r[0] === b), 4);

  const md = readFileSync(join(out, 'comparison.md'), 'utf8');
  expect(md).toContain(`| model | compression | ${comparison.horizons.map(([a, b]) => `${a}:${b}`).join(' | ')} |`);
  expect(md).toMatch(/\| diffusion \| ÷5 \| \d+\.\d{3} \(\d+\.\d{2}\) \|/);
  expect(md).toMatch(/\| persistence \| – \| \d+\.\d{3} \|/);
  expect(existsSync(again.report)).toBe(true);
  expect(readFileSync(again.report, 'utf8')).toContain('c2-surrogate');

  // 4. A changed definition of a finished stage is refused, naming it and its directory.
  const changed = planExperiment(parseExperiment({ ...TINY, emulators: { ...TINY.emulators, overrides: [...TINY.emulators.overrides, 'optim.learning_rate=5e-4'] } }, 'tiny.yaml'), 'tiny.yaml', { out });
  expect(describePlan(changed)).toMatch(/changed +train-diffusion\/c4\/diffusion/);
  await expect(runExperiment(changed)).rejects.toThrow(/made from another definition .*train-diffusion\/c4\/diffusion \(.*emulators\/c4-diffusion\)/);

  // 5. A study that drops (or adds) runs in the same folder is not refused: only its comparison is redone.
  const fewer = planExperiment(parseExperiment({ ...TINY, emulators: { ...TINY.emulators, surrogate: undefined } }, 'tiny.yaml'), 'tiny.yaml', { out });
  expect(describePlan(fewer)).not.toMatch(/changed/);
  expect(describePlan(fewer)).toMatch(/to do +compare/);
  const smaller = await runExperiment(fewer);
  expect(smaller.ran).toEqual(['compare']);
  expect(smaller.comparison.rows.map((r) => r.model)).toEqual(['autoencoder c4', 'diffusion', 'autoencoder c2', 'diffusion', 'persistence', 'climatology']);
}, 600_000);
