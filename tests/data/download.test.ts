import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { download, listDownloads } from '../../lib/data/download.js';
import { tempDir } from './fixtures.js';

const { dir, cleanup } = tempDir();

// A file server with Range support, a directory listing, and transfers that can be cut once.
const files: Record<string, Buffer> = {
  '/datasets/toy_dataset/data/train/toy_a.hdf5': Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251)),
  '/datasets/toy_dataset/data/train/toy_b.hdf5': Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 253)),
  '/datasets/toy_dataset/data/valid/toy_a.hdf5': Buffer.from('valid split'),
  '/datasets/toy_dataset/data/test/toy_a.hdf5': Buffer.from('test split'),
};
const ranges: string[] = [];
const cutOnce = new Set<string>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = decodeURIComponent(req.url!.split('?')[0]!);
    if (url.endsWith('/')) {
      const names = Object.keys(files).filter((f) => f.startsWith(url)).map((f) => f.slice(url.length));
      if (!names.length) return res.writeHead(404).end();
      return res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><a href="../">Parent</a>${names.map((n) => `<a href="${n}">${n}</a>`).join('')}</html>`);
    }
    const body = files[url];
    if (!body) return res.writeHead(404).end();
    if (req.method === 'HEAD') return res.writeHead(200, { 'content-length': body.length }).end();
    let start = 0;
    if (req.headers.range) {
      ranges.push(`${url.split('/').pop()} ${req.headers.range}`);
      start = Number(/bytes=(\d+)-/.exec(req.headers.range)![1]);
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else {
      res.writeHead(200, { 'content-length': body.length });
    }
    if (cutOnce.has(url)) {
      // Send part of the body, then drop the connection: the client must resume with Range.
      cutOnce.delete(url);
      res.write(body.subarray(start, start + 100_000), () => res.socket?.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  cleanup();
});

test('lists files from the server directory listing into the Well layout', async () => {
  const t = await listDownloads('toy_dataset', { root: dir, baseUrl: base, split: 'train' });
  expect(t.map((x) => x.path)).toEqual([join(dir, 'datasets/toy_dataset/data/train/toy_a.hdf5'), join(dir, 'datasets/toy_dataset/data/train/toy_b.hdf5')]);
  const first = await listDownloads('toy_dataset', { root: dir, baseUrl: base, firstOnly: true });
  expect(first.map((x) => x.url.slice(base.length))).toEqual(['/datasets/toy_dataset/data/train/toy_a.hdf5', '/datasets/toy_dataset/data/valid/toy_a.hdf5', '/datasets/toy_dataset/data/test/toy_a.hdf5']);
  // Registered datasets need no listing; shipped configuration names expand to their physics.
  const euler = await listDownloads('euler_all', { root: dir, baseUrl: base, split: 'test', firstOnly: true });
  expect(euler.map((x) => x.path.split('/').slice(-4).join('/'))).toEqual([
    'euler_multi_quadrants_openBC/data/test/euler_multi_quadrants_openBC_gamma_1.13_C3H8_16.hdf5',
    'euler_multi_quadrants_periodicBC/data/test/euler_multi_quadrants_periodicBC_gamma_1.13_C3H8_16.hdf5',
  ]);
  await expect(listDownloads('euler_alll', { root: dir, baseUrl: base })).rejects.toThrow(/unknown dataset 'euler_alll' \(did you mean 'euler_all'\?\)/);
});

test('parallel download with an interrupted transfer resumed by HTTP Range, then a re-run skips', async () => {
  cutOnce.add('/datasets/toy_dataset/data/train/toy_a.hdf5');
  const progress: number[] = [];
  const r = await download('toy_dataset', { root: dir, baseUrl: base, split: 'train', parallel: 2, onProgress: (_f, b) => progress.push(b) });
  expect(r).toMatchObject({ downloaded: 2, skipped: 0 });
  const a = join(dir, 'datasets/toy_dataset/data/train/toy_a.hdf5');
  expect(readFileSync(a).equals(files['/datasets/toy_dataset/data/train/toy_a.hdf5']!)).toBe(true);
  expect(readFileSync(join(dir, 'datasets/toy_dataset/data/train/toy_b.hdf5')).length).toBe(70_000);
  // The resumed request starts where the cut transfer stopped (at most the 100 000 bytes sent).
  const resumed = ranges.filter((r) => r.startsWith('toy_a.hdf5'));
  expect(resumed).toHaveLength(1);
  const at = Number(/bytes=(\d+)-/.exec(resumed[0]!)![1]);
  expect(at).toBeGreaterThan(0);
  expect(at).toBeLessThanOrEqual(100_000);
  expect(existsSync(`${a}.part`)).toBe(false);
  expect(Math.max(...progress)).toBe(300_000);
  const again = await download('toy_dataset', { root: dir, baseUrl: base, split: 'train' });
  expect(again).toMatchObject({ downloaded: 0, skipped: 2 });
});

test('a .part file left by an earlier run is resumed, not restarted', async () => {
  const d = join(dir, 'resume');
  const path = join(d, 'datasets/toy_dataset/data/train/toy_b.hdf5');
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(`${path}.part`, files['/datasets/toy_dataset/data/train/toy_b.hdf5']!.subarray(0, 12_345));
  ranges.length = 0;
  await download('toy_dataset', { root: d, baseUrl: base, split: 'train', parallel: 1 });
  expect(ranges).toEqual(['toy_b.hdf5 bytes=12345-']);
  expect(readFileSync(path).equals(files['/datasets/toy_dataset/data/train/toy_b.hdf5']!)).toBe(true);
});

test('the base URL comes from the environment when not given', async () => {
  process.env.LATENT_EMULATOR_WELL_URL = base;
  try {
    const t = await listDownloads('toy_dataset', { root: dir, split: 'valid' });
    expect(t[0]!.url).toBe(`${base}/datasets/toy_dataset/data/valid/toy_a.hdf5`);
  } finally {
    delete process.env.LATENT_EMULATOR_WELL_URL;
  }
});
