// `emulate RUN --observe … --operator … --obs-noise σ` end to end on tiny runs: the guided dataset is written
// and differs from the unguided one, and bad guidance input is refused before any compute.
import { join } from 'node:path';

import { WellDataset } from '../../lib/data/dataset.js';
import { emulateBatch } from '../../lib/emulate/batch.js';
import { evaluateRun } from '../../lib/eval/evaluate.js';
import { setNumThreads } from '../../lib/runtime.js';
import type { EmulatorRunKind } from '../../lib/train/config.js';
import { runCli } from '../run-cli.js';
import { trainTinyEmulators } from '../train/emulator-fixtures.js';
import { tempDir, WAVES } from '../train/fixtures.js';

let root: string;
let cleanup: () => void;
let runs: Record<EmulatorRunKind, string>;

beforeAll(async () => {
  setNumThreads(1);
  ({ dir: root, cleanup } = tempDir('le-guided-'));
  ({ runs } = await trainTinyEmulators(root, { train: 4, valid: 2, test: 1 }));
}, 180_000);
afterAll(() => cleanup());

const input = () => join(root, 'data', 'datasets', 'waves', 'data', 'test');

test('a guided emulation observes the input itself (subsample:4, σ = 0.1) and writes a different dataset', async () => {
  const common = { input: input(), samples: 1, steps: 3, length: 6, seed: 2 };
  await emulateBatch(runs.diffusion, { ...common, out: join(root, 'plain') });
  const r = await emulateBatch(runs.diffusion, { ...common, out: join(root, 'guided'), observe: input(), operator: 'subsample:4', obsNoise: 0.1 });
  expect(r.files).toHaveLength(1);
  const [a, b] = await Promise.all(['plain', 'guided'].map((d) => WellDataset.open({ root: join(root, d), split: 'test', config: WAVES, steps: 6, stride: 1 })));
  const x = a!.item(0).state.data, y = b!.item(0).state.data;
  const per = x.length / 6;
  // The context state is the same (not guided); later states differ.
  expect(Array.from(y.subarray(0, per))).toEqual(Array.from(x.subarray(0, per)));
  expect(Math.max(...y.subarray(per).map((v, i) => Math.abs(v - x[per + i]!)))).toBeGreaterThan(1e-4);
  a!.close();
  b!.close();
}, 120_000);

test('bad guidance input: the neural solver, an operator that does not divide the grid, a missing --operator', async () => {
  const common = { input: input(), out: join(root, 'bad'), steps: 2, length: 6, observe: input(), obsNoise: 0.1 };
  await expect(emulateBatch(runs.surrogate, { ...common, operator: 'subsample:4' })).rejects.toThrow(/--observe: MMPS guidance needs a diffusion run; .* is a surrogate/);
  await expect(emulateBatch(runs.diffusion, { ...common, operator: 'downscale:3' })).rejects.toThrow(/--operator downscale:3 does not divide the grid 16×16/);
  await expect(emulateBatch(runs.diffusion, { ...common, operator: 'subsample:4', obsNoise: -1 })).rejects.toThrow(/--obs-noise must be a positive number/);
  const cli = await runCli('emulate', runs.diffusion, '--input', input(), '--out', join(root, 'bad'), '--observe', input());
  expect(cli.code).not.toBe(0);
  expect(cli.err).toMatch(/--operator must be subsample:N or downscale:N/);
});

test('eval --operator: a guided evaluation beside the unguided one, both VRMSE by horizon in the summary', async () => {
  const out = join(root, 'eval-guided');
  const common = { trajectories: 1, samples: 2, steps: 2, solverSpeed: false };
  const { dir, summary } = await evaluateRun(runs.diffusion, { ...common, out, operator: 'subsample:4', obsNoise: 0.1 });
  expect(dir).toBe(out);
  expect(summary.protocol).toMatchObject({ guidance: 'subsample:4,sigma=0.1' });
  expect(summary.guidance!.unguided_dir).toBe(`${out}-unguided`);
  expect(summary.guidance!.unguided_vrmse).toHaveLength(summary.horizons.length);
  // The unguided numbers are those of the plain evaluation.
  const plain = await evaluateRun(runs.diffusion, { ...common, out: `${out}-unguided` });
  expect(summary.guidance!.unguided_vrmse).toEqual(plain.summary.by_horizon.vrmse!.mean);
  expect(summary.by_horizon.vrmse!.mean).not.toEqual(plain.summary.by_horizon.vrmse!.mean);
  await expect(evaluateRun(runs.surrogate, { ...common, out: join(root, 'eval-bad'), operator: 'subsample:4' })).rejects.toThrow(/--operator: MMPS guidance needs a diffusion run/);
}, 120_000);
