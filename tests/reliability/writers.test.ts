// Every writer of HDF5 outputs (generate, cache-latents, emulate) and download on a real full disk: the write fails with
// "no space left on device" and the path, no file is left under its final name (nor a temporary), and a rerun
// with room finishes the job. Also: an existing output is re-verified on a rerun, not trusted, and temporary
// files of killed runs are removed.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { downloadFile } from '../../lib/data/download.js';
import { emulateBatch } from '../../lib/emulate/batch.js';
import { WellFile } from '../../lib/data/well-file.js';
import { WellWriter } from '../../lib/data/well-writer.js';
import { generateEuler } from '../../lib/solvers/generate.js';
import { setNumThreads } from '../../lib/runtime.js';
import { cacheLatents } from '../../lib/train/cache-latents.js';
import { composeConfig, resolveAeConfig, resolveEmulatorConfig } from '../../lib/train/config.js';
import { trainAutoencoder } from '../../lib/train/train-ae.js';
import { trainEmulator } from '../../lib/train/train-emulator.js';
import { tempDir, wavesRun, writeWaves } from '../train/fixtures.js';
import { mountTmpfs, type Tmpfs } from './tmpfs.js';

const quiet = { progress: 'none' as const, log: () => {} };
const TINY_VIT = { name: 'tiny', hid_channels: 16, hid_blocks: 1, attention_heads: 2, ffn_factor: 2, emb_features: 8, dropout: 0 };

let disk: Tmpfs | undefined;
let root: string;
let cleanup: () => void;
beforeAll(() => {
  setNumThreads(1);
  ({ dir: root, cleanup } = tempDir('le-writers-'));
  disk = mountTmpfs(2048);
});
afterAll(() => {
  disk?.unmount();
  cleanup();
});

/** Every file under `dir`, relative. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
    .filter((f) => f !== 'filler.bin')
    .sort();
}

const euler = { boundary: 'periodic' as const, resolution: 16, trajectories: 10, steps: 3, gamma: [1.4], batch: 10 };

test('generate: a full disk fails with the cause and the path, leaves no file, and a rerun with room completes', async () => {
  if (!disk) return;
  const out = join(disk.dir, 'gen');
  disk.leaveFree(24 << 10);
  // The size guard would refuse this up front (see size-guards.test.ts): skip it to exercise the write path.
  await expect(generateEuler({ ...euler, root: out, seed: 1, ignoreSizeLimits: true })).rejects.toThrow(/no space left on device \(ENOSPC\) writing .*gen\/datasets\/euler_multi_quadrants_periodicBC\/data\/train\/.*\.hdf5/);
  expect(filesUnder(out)).toEqual([]);
  disk.refill();
  const r = await generateEuler({ ...euler, root: out, seed: 1 });
  expect(r.written.length).toBe(3);
  expect(filesUnder(out).every((f) => f.endsWith('.hdf5'))).toBe(true);
}, 60_000);

test('read-only file system is reported as such, not as a missing file', async () => {
  if (!disk) return;
  const out = join(disk.dir, 'ro');
  mkdirSync(join(out, 'datasets'), { recursive: true });
  disk.readOnly(true);
  try {
    await expect(generateEuler({ ...euler, root: out, seed: 1 })).rejects.toThrow(/read-only file system \(EROFS\)/);
  } finally {
    disk.readOnly(false);
  }
}, 60_000);

describe('with a trained autoencoder and emulator', () => {
  let aeRun: string;
  let pixelRun: string;
  beforeAll(async () => {
    await writeWaves(join(root, 'data'), { trajectories: { train: 4, valid: 2, test: 2 } });
    const base = wavesRun(join(root, 'data'), join(root, 'runs'));
    aeRun = (await trainAutoencoder(resolveAeConfig(composeConfig(base, ['train.epochs=1', 'train.epoch_size=1'])), { ...quiet, runDir: join(root, 'runs', 'ae') })).dir;
    const pixel = {
      name: 'pixel',
      runs_dir: join(root, 'runs', 'pixel'),
      dataset: base.dataset,
      surrogate: { ...TINY_VIT, patch_size: [1, 4, 4] },
      optim: { learning_rate: 2e-3, scheduler: 'constant', grad_clip: 1 },
      train: { epochs: 1, epoch_size: 1, batch_size: 2, seed: 5, threads: 1 },
      valid: { epoch_size: 2, batch_size: 2 },
      trajectory: { length: 3, stride: 1 },
    };
    pixelRun = (await trainEmulator(resolveEmulatorConfig(composeConfig(pixel, [], 'surrogate'), 'surrogate'), { ...quiet, runDir: join(root, 'runs', 'pixel', 'run') })).dir;
  }, 120_000);

  test('emulate: a hostile dataset_name attribute is refused and nothing is written outside --out', async () => {
    const input = join(root, 'hostile.hdf5');
    const coords = Array.from({ length: 16 }, (_, i) => i / 16);
    const w = await WellWriter.create(input, {
      datasetName: '../../../../escape',
      nTrajectories: 1,
      spatialDims: ['x', 'y'],
      coordinates: { x: coords, y: coords },
      time: [0, 0.1, 0.2, 0.3],
      parameters: { gamma: 1.4 },
      fields: [{ name: 'density' }, { name: 'velocity', order: 1 }],
      boundaryConditions: { x: 'PERIODIC', y: 'PERIODIC' },
    });
    w.writeTrajectory(0, { data: new Float32Array(4 * 3 * 16 * 16).fill(0.5), shape: [4, 3, 16, 16] });
    w.close();
    const out = join(root, 'a', 'b', 'c', 'd', 'out');
    await expect(emulateBatch(pixelRun, { input, out, length: 4 })).rejects.toThrow(/hostile\.hdf5: attribute dataset_name: "\.\.\/\.\.\/\.\.\/\.\.\/escape" is not a plain name/);
    expect(existsSync(join(root, 'escape'))).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  test('emulate: an output that cannot fit on the disk is refused before any compute', async () => {
    const input = join(root, 'data', 'datasets', 'waves', 'data', 'test');
    await expect(emulateBatch(pixelRun, { input, out: join(root, 'huge'), length: 1e9 })).rejects.toThrow(/emulate: 2 trajectories × 1 members needs about .* of disk in .*huge, but .* is free there/);
    expect(existsSync(join(root, 'huge'))).toBe(false);
  });

  test('cache-latents: a full disk fails with the cause and the path and leaves no cache file', async () => {
    if (!disk) return;
    const out = join(disk.dir, 'cache');
    disk.leaveFree(8 << 10);
    await expect(cacheLatents(aeRun, { split: 'train', repeat: 1, out, ignoreSizeLimits: true })).rejects.toThrow(/no space left on device \(ENOSPC\) writing .*cache\/waves\/train\/waves\.hdf5/);
    expect(filesUnder(out)).toEqual([]);
    disk.refill();
    expect((await cacheLatents(aeRun, { split: 'train', repeat: 1, out })).files).toHaveLength(1);
  }, 60_000);

  test('emulate: a full disk leaves no output; orphan temporaries are removed; existing outputs are re-verified', async () => {
    if (!disk) return;
    const input = join(root, 'data', 'datasets', 'waves', 'data', 'test');
    const out = join(disk.dir, 'emulated');
    const folder = join(out, 'waves', 'data', 'test');
    mkdirSync(folder, { recursive: true });
    // A killed run's temporary (its PID no longer exists: pid_max on Linux is at most 2^22).
    writeFileSync(join(folder, 'waves_0000.hdf5.tmp-4999999'), 'partial');
    disk.leaveFree(8 << 10);
    await expect(emulateBatch(pixelRun, { input, out, length: 6, ignoreSizeLimits: true })).rejects.toThrow(/no space left on device \(ENOSPC\) writing .*emulated\/waves\/data\/test\/waves_0000\.hdf5/);
    expect(filesUnder(out)).toEqual([]);
    disk.refill();
    const r = await emulateBatch(pixelRun, { input, out, length: 6 });
    expect(r.files).toHaveLength(2);
    const f = await WellFile.open(r.files[0]!);
    expect([f.info.nTrajectories, f.info.nSteps]).toEqual([1, 6]);
    f.close();
    // A file under a final name that is not what this emulation writes is refused, not kept as done.
    writeFileSync(r.files[1]!, 'not an HDF5 file');
    await expect(emulateBatch(pixelRun, { input, out, length: 6 })).rejects.toThrow(/waves_0001\.hdf5 exists but is not a finished output of this emulation/);
    // Without the bad file, the rerun redoes only that one: the intact output is re-read and kept.
    rmSync(r.files[1]!);
    const again = await emulateBatch(pixelRun, { input, out, length: 6 });
    expect([again.files, again.skipped]).toEqual([[r.files[1]], 1]);
  }, 60_000);
});

test('download: a full disk fails at once with the cause and the .part path (no retries), and a rerun with room resumes to the whole file', async () => {
  if (!disk) return;
  const body = Buffer.from(Array.from({ length: 256 << 10 }, (_, i) => (i * 7) & 255));
  let gets = 0;
  const server = createServer((req, res) => {
    if (req.method === 'HEAD') return res.writeHead(200, { 'content-length': body.length }).end();
    gets += 1;
    const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    res.writeHead(range ? 206 : 200, { 'content-length': body.length - start, ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/f.hdf5`;
    const path = join(disk.dir, 'download', 'f.hdf5');
    disk.leaveFree(64 << 10);
    await expect(downloadFile({ url, path }, { retries: 3 })).rejects.toThrow(/no space left on device \(ENOSPC\) writing .*download\/f\.hdf5\.part/);
    expect(gets).toBe(1); // the local disk failing is not retried as a network error
    expect(existsSync(path)).toBe(false);
    disk.refill();
    expect(await downloadFile({ url, path }, { retries: 3 })).toBe('downloaded');
    expect(readFileSync(path).equals(body)).toBe(true);
    expect(existsSync(`${path}.part`)).toBe(false);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}, 60_000);
