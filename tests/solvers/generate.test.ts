// Dataset generation: files in The Well's layout and names, passing The Well's format checker,
// loading through the data layer, deterministic for a seed, and resumable (complete files kept).
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEuler, generateRayleighBenard } from '../../lib/solvers/generate.js';
import { checkWellFormat } from '../../lib/data/format-check.js';
import { WellDataset } from '../../lib/data/dataset.js';
import { WellFile } from '../../lib/data/well-file.js';
import { getNumThreads, setNumThreads } from '../../lib/runtime.js';

let threads = 1;
beforeAll(() => {
  threads = getNumThreads();
  setNumThreads(1);
});

const roots: string[] = [];
function tempRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'le-generate-'));
  roots.push(dir);
  return dir;
}
afterAll(() => {
  setNumThreads(threads);
  roots.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const eulerOptions = { boundary: 'periodic' as const, resolution: 16, trajectories: 4, steps: 3, gamma: [1.4], batch: 3 };
const file = 'euler_multi_quadrants_periodicBC_gamma_1.4_Dry_air_20.hdf5';

async function readDensity(path: string): Promise<Float32Array> {
  const f = await WellFile.open(path);
  try {
    return f.readTrajectory(0, ['density']).data as Float32Array;
  } finally {
    f.close();
  }
}

describe('generate euler_multi_quadrants', () => {
  const root = tempRoot();

  test('writes Well files in every split that pass the format check and load as a dataset', async () => {
    const progress: number[] = [];
    const r = await generateEuler({ ...eulerOptions, root, seed: 3, onProgress: (p) => progress.push(p.done) });
    const dir = join(root, 'datasets', 'euler_multi_quadrants_periodicBC', 'data');
    expect(r.written.sort()).toEqual(['test', 'train', 'valid'].map((s) => join(dir, s, file)));
    for (const path of r.written) expect(await checkWellFormat(path)).toEqual([]);
    expect(progress.at(-1)).toBe(4 * 3);
    const ds = await WellDataset.open({ root, split: 'train', config: 'euler_periodic', steps: 2, stride: 1 });
    expect(ds.trajectories).toBe(2); // 4 → 2 / 1 / 1
    const item = ds.item(0);
    expect(item.state.shape).toEqual([2, 5, 16, 16]);
    expect(Array.from(item.label.data)).toEqual([expect.closeTo(1.4, 5), 2, 2, 2, 2]);
    ds.close();
    const f = await WellFile.open(join(dir, 'train', file));
    expect(Array.from(f.readTime())).toEqual([0, expect.closeTo(0.015, 6), expect.closeTo(0.03, 6)]);
    f.close();
  });

  test('a second run keeps the complete files and redoes nothing', async () => {
    const path = join(root, 'datasets', 'euler_multi_quadrants_periodicBC', 'data', 'train', file);
    const before = statSync(path).mtimeMs;
    const r = await generateEuler({ ...eulerOptions, root, seed: 3 });
    expect(r.written).toEqual([]);
    expect(r.kept).toHaveLength(3);
    expect(statSync(path).mtimeMs).toBe(before);
    // Other settings on top of existing files are refused, not silently mixed.
    await expect(generateEuler({ ...eulerOptions, root, seed: 4 })).rejects.toThrow(/seed=3, this run asks for 4/);
  });

  test('the same seed gives the same data; another seed other data; batching does not matter', async () => {
    const a = join(root, 'datasets', 'euler_multi_quadrants_periodicBC', 'data', 'valid', file);
    const other = tempRoot();
    await generateEuler({ ...eulerOptions, root: other, seed: 3, batch: 1 });
    const b = join(other, 'datasets', 'euler_multi_quadrants_periodicBC', 'data', 'valid', file);
    expect(Array.from(await readDensity(b))).toEqual(Array.from(await readDensity(a)));
    const third = tempRoot();
    await generateEuler({ ...eulerOptions, root: third, seed: 5 });
    const c = join(third, 'datasets', 'euler_multi_quadrants_periodicBC', 'data', 'valid', file);
    expect(Array.from(await readDensity(c))).not.toEqual(Array.from(await readDensity(a)));
  });

  test('bad parameters are refused before anything is written', async () => {
    const r = tempRoot();
    await expect(generateEuler({ ...eulerOptions, root: r, gamma: [1] })).rejects.toThrow(/gamma must be a number > 1/);
    await expect(generateEuler({ ...eulerOptions, root: r, resolution: 2 })).rejects.toThrow(/resolution must be an integer >= 4/);
    await expect(generateEuler({ ...eulerOptions, root: r, cfl: 0 })).rejects.toThrow(/cfl must be in \(0, 1\)/);
    await expect(generateEuler({ ...eulerOptions, root: r, trajectories: 2 })).rejects.toThrow(/trajectories must be an integer >= 3/);
    expect(existsSync(join(r, 'datasets'))).toBe(false);
  });
});

describe('generate rayleigh_benard', () => {
  test('writes Well files with The Well names, grid and scalars', async () => {
    const root = tempRoot();
    const r = await generateRayleighBenard({ root, rayleigh: [1e6], prandtl: [0.2], resolution: [16, 8], trajectories: 3, steps: 3, seed: 1 });
    const name = 'rayleigh_benard_Rayleigh_1e6_Prandtl_2e-1.hdf5';
    expect(r.written.map((p) => p.split('/').slice(-2).join('/')).sort()).toEqual([`test/${name}`, `train/${name}`, `valid/${name}`]);
    for (const path of r.written) expect(await checkWellFormat(path)).toEqual([]);
    const ds = await WellDataset.open({ root, split: 'train', config: 'rayleigh_benard', steps: 1 });
    const item = ds.item(0);
    expect(item.state.shape).toEqual([1, 4, 16, 8]);
    expect(Array.from(item.label.data).map((v) => +v.toFixed(4))).toEqual([+Math.log(1e6).toFixed(4), +Math.log(0.2).toFixed(4), 2, 2, 0, 0]);
    ds.close();
    const f = await WellFile.open(r.written[0]!);
    const y = f.readCoordinates('y');
    expect(y[0]).toBeCloseTo(0.5 * (1 - Math.cos(Math.PI / 16)), 6);
    expect(Array.from(f.readTime())).toEqual([0, 0.25, 0.5]);
    f.close();
  });
});
