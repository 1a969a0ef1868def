// Item-parallel commands as several ranks: `launch -- cache-latents | eval | emulate` share their items out
// across the ranks (each rank writes its own finished items, rank 0 eval's summary), and the results are those
// of a single process: the same latent-cache contents, the same summary.json numbers and per-trajectory
// items, the same emulated Well files.
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { LatentCacheFile } from '../../lib/data/latent-cache.js';
import { WellFile } from '../../lib/data/well-file.js';
import { cacheLatents } from '../../lib/train/cache-latents.js';
import { composeConfig, resolveAeConfig } from '../../lib/train/config.js';
import { trainAutoencoder } from '../../lib/train/train-ae.js';
import { trainTinyEmulator } from '../train/emulator-fixtures.js';
import { tempDir, wavesRun, writeWaves } from '../train/fixtures.js';
import { CLI, freePort, run } from './helpers.js';

const quiet = { progress: 'none' as const, log: () => {} };
// One intra-op thread in every process, alone or as a rank: the comparisons below are exact.
const ONE_THREAD = { LATENT_EMULATOR_THREADS: '1' };

let root: string;
let cleanup: () => void;
let aeDir: string;
beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('le-dp-items-'));
  await writeWaves(join(root, 'data'), { trajectories: { train: 4, valid: 1, test: 3 } });
  // A second file in the valid split, so that two ranks have a file each.
  const valid = join(root, 'data', 'datasets', 'waves', 'data', 'valid');
  copyFileSync(join(valid, 'waves.hdf5'), join(valid, 'waves_b.hdf5'));
  const config = resolveAeConfig(composeConfig(wavesRun(join(root, 'data'), join(root, 'runs')), ['train.epochs=1', 'train.epoch_size=1']));
  aeDir = (await trainAutoencoder(config, { ...quiet, runDir: join(root, 'runs', 'ae') })).dir;
}, 120_000);
afterAll(() => cleanup());

const launch2 = async (args: string[]) => run([CLI, 'launch', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--', ...args], ONE_THREAD);
const alone = (args: string[]) => run([CLI, ...args], ONE_THREAD);
function ok(r: { code: number | null; err: string }, what: string): void {
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}: ${r.err.slice(-3000)}`);
}

test('cache-latents on 2 ranks writes every file, identical to one process', async () => {
  const single = await cacheLatents(aeDir, { split: 'valid', out: join(root, 'alone') });
  expect(single.files.map((f) => f.split('/').pop())).toEqual(['waves.hdf5', 'waves_b.hdf5']);

  ok(await launch2(['cache-latents', aeDir, '--split', 'valid', '--out', join(root, 'ranks')]), 'cache-latents on 2 ranks');
  for (const name of ['waves.hdf5', 'waves_b.hdf5']) {
    const a = await LatentCacheFile.open(join(root, 'alone', 'waves', 'valid', name));
    const b = await LatentCacheFile.open(join(root, 'ranks', 'waves', 'valid', name));
    try {
      expect(b.n).toBe(a.n);
      expect(b.meta).toEqual(a.meta);
      for (let i = 0; i < a.n; i++) expect(Array.from(b.readWindow(i, 0, a.steps).data)).toEqual(Array.from(a.readWindow(i, 0, a.steps).data));
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    } finally {
      a.close();
      b.close();
    }
  }
}, 180_000);

describe('eval and emulate on 2 ranks = one process', () => {
  let diffusion: string;
  beforeAll(async () => {
    await cacheLatents(aeDir, { split: 'train', repeat: 1 });
    await cacheLatents(aeDir, { split: 'valid' });
    diffusion = await trainTinyEmulator('diffusion', aeDir, root, join(root, 'runs', 'diffusion', 'run'));
  }, 120_000);

  // Wall-clock fields differ from run to run; everything else must not.
  const timeless = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value, (key, v) => (/seconds/.test(key) || key === 'threads' ? undefined : v)));

  test('eval: the same summary.json numbers and items; each trajectory written once', async () => {
    const args = (out: string) => ['eval', diffusion, '--split', 'test', '--trajectories', '3', '--samples', '2', '--steps', '2', '--no-solver-speed', '--out', join(root, out)];
    ok(await alone(args('eval-alone')), 'eval alone');
    const two = await launch2(args('eval-ranks'));
    ok(two, 'eval on 2 ranks');
    expect(two.out.trim()).toBe(join(root, 'eval-ranks'));  // printed once, by rank 0
    // 3 trajectories over 2 ranks: rank 0 evaluates items 0 and 2, rank 1 item 1 (each logs its own progress lines)
    expect((two.err.match(/^trajectory \d+: \d\/3/gm) ?? []).length).toBe(3);

    const a = JSON.parse(readFileSync(join(root, 'eval-alone', 'summary.json'), 'utf8')) as Record<string, unknown>;
    const b = JSON.parse(readFileSync(join(root, 'eval-ranks', 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect((b.indices as number[]).length).toBe(3);
    for (const key of ['per_lead', 'by_horizon', 'spectra', 'indices', 'lead_times', 'horizons', 'protocol', 'baselines']) expect(timeless(b[key])).toEqual(timeless(a[key]));
    expect(timeless(b.speed)).toEqual(timeless(a.speed));  // states and samples counted over all ranks' items
    const items = readdirSync(join(root, 'eval-alone', 'items')).sort();
    expect(readdirSync(join(root, 'eval-ranks', 'items')).sort()).toEqual(items);
    for (const item of items)
      expect(timeless(JSON.parse(readFileSync(join(root, 'eval-ranks', 'items', item), 'utf8')))).toEqual(timeless(JSON.parse(readFileSync(join(root, 'eval-alone', 'items', item), 'utf8'))));
    expect(readFileSync(join(root, 'eval-ranks', 'metrics.csv'), 'utf8')).toBe(readFileSync(join(root, 'eval-alone', 'metrics.csv'), 'utf8'));
  }, 240_000);

  test('emulate: every trajectory written by exactly one rank, the same Well files', async () => {
    const input = join(root, 'data', 'datasets', 'waves', 'data', 'test', 'waves.hdf5');
    const args = (out: string) => ['emulate', diffusion, '--input', input, '--out', join(root, out), '--samples', '2', '--steps', '2', '--length', '4'];
    const one = await alone(args('emu-alone'));
    ok(one, 'emulate alone');
    const two = await launch2(args('emu-ranks'));
    ok(two, 'emulate on 2 ranks');
    const dir = (out: string) => join(root, out, 'waves', 'data', 'test');
    const files = readdirSync(dir('emu-alone')).sort();
    expect(files).toEqual(['waves_0000.hdf5', 'waves_0001.hdf5', 'waves_0002.hdf5']);
    expect(readdirSync(dir('emu-ranks')).sort()).toEqual(files);
    // Each rank prints the files it wrote: together all three, none twice.
    expect(two.out.trim().split('\n').map((f) => f.split('/').pop()).sort()).toEqual(files);
    expect(two.err).toMatch(/^2 file\(s\) written/m);  // rank 0: trajectories 0 and 2
    expect(two.err).toMatch(/^1 file\(s\) written/m);  // rank 1: trajectory 1
    for (const name of files) {
      const a = await WellFile.open(join(dir('emu-alone'), name));
      const b = await WellFile.open(join(dir('emu-ranks'), name));
      try {
        expect(b.info.nTrajectories).toBe(2);  // the ensemble members
        expect(b.info.nSteps).toBe(4);
        for (let k = 0; k < 2; k++) expect(Array.from(b.readTrajectory(k).data)).toEqual(Array.from(a.readTrajectory(k).data));
      } finally {
        a.close();
        b.close();
      }
    }
  }, 240_000);
});
