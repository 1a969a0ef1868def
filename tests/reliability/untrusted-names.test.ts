// Names that come from servers and files are never trusted as paths: a hostile directory listing and a hostile
// dataset_name attribute are refused before anything is written, and nothing lands outside the named folder.
// Also download's stall timeout: a server that stops sending is abandoned after the configured seconds, and
// every error names the URL and the cause.
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { download, downloadFile } from '../../lib/data/download.js';
import { checkUntrustedName, pathInside } from '../../lib/util/safe-name.js';
import { tempDir } from '../train/fixtures.js';

let server: Server;
let base: string;
let listing = '';
const { dir, cleanup } = tempDir('le-names-');

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url!.split('?')[0]!;
    if (url.endsWith('/')) return res.writeHead(200, { 'content-type': 'text/html' }).end(listing);
    if (url.startsWith('/stall/')) {
      // Announces 1000 bytes, sends 10, then goes silent (the socket stays open).
      if (req.method === 'HEAD') return res.writeHead(200, { 'content-length': 1000 }).end();
      res.writeHead(200, { 'content-length': 1000 });
      res.write(Buffer.alloc(10));
      return;
    }
    if (req.method === 'HEAD') return res.writeHead(200, { 'content-length': 3 }).end();
    res.writeHead(200, { 'content-length': 3 }).end('abc');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  cleanup();
});

test.each([
  ['..%2F..%2Fescape.hdf5', /not a plain name/],
  ['..%2Fescape.hdf5', /not a plain name/],
  ['%2Fetc%2Fescape.hdf5', /not a plain name/],
  ['..%5Cescape.hdf5', /not a plain name/],
  ['.hidden.hdf5', /not a safe name/],
  ['a%00b.hdf5', /not a safe name/],
])('download refuses the listed name %s and writes nothing', async (href, message) => {
  listing = `<html><a href="ok.hdf5">ok</a><a href="${href}">x</a></html>`;
  const root = join(dir, 'root');
  await expect(download('hostile_dataset', { root, baseUrl: base, split: 'train' })).rejects.toThrow(message);
  expect(existsSync(root)).toBe(false);
  expect(readdirSync(dir).filter((f) => f.includes('escape'))).toEqual([]);
});

test('download accepts ordinary Well file names', async () => {
  listing = '<html><a href="euler_gamma_1.4_Dry_air%2B2.hdf5">x</a></html>';
  const root = join(dir, 'ok');
  const r = await download('plain_dataset', { root, baseUrl: base, split: 'train' });
  expect(r.files).toEqual([join(root, 'datasets/plain_dataset/data/train/euler_gamma_1.4_Dry_air+2.hdf5')]);
});

test('the name rules themselves', () => {
  for (const ok of ['euler_multi_quadrants_openBC', 'a.b-c+d_1.hdf5', 'x']) expect(checkUntrustedName(ok, 'n')).toBe(ok);
  for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b', '/abs', 'a b', 'ü', 'x'.repeat(256), 3]) expect(() => checkUntrustedName(bad, 'the attribute')).toThrow(/the attribute/);
  expect(pathInside('/data/out', ['a', 'b'], 'w')).toBe('/data/out/a/b');
  expect(() => pathInside('/data/out', ['..', 'b'], 'w')).toThrow(/would lie outside \/data\/out/);
  expect(() => pathInside('/data/out', ['/etc'], 'w')).toThrow(/outside/);
});

test('a server that stops sending is abandoned after stallSeconds, with the URL and the cause', async () => {
  const url = `${base}/stall/f.hdf5`;
  const started = Date.now();
  const err = await downloadFile({ url, path: join(dir, 'stall', 'f.hdf5') }, { stallSeconds: 0.5, retries: 2 }).catch((e: Error) => e);
  expect(String(err)).toContain(url);
  expect(String(err)).toMatch(/stalled: no data for 0\.5 s/);
  expect(String(err)).toMatch(/10 of 1000 bytes/);
  // Two attempts of half a second each, not minutes (a generous bound: the machine may be busy).
  expect(Date.now() - started).toBeLessThan(20_000);
  expect(existsSync(join(dir, 'stall', 'f.hdf5'))).toBe(false);
});

test('an unreachable server: the error names the URL and the cause, not only "fetch failed"', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const url = `http://127.0.0.1:${port}/x.hdf5`;
  await expect(downloadFile({ url, path: join(dir, 'x.hdf5') }, { retries: 1 })).rejects.toThrow(new RegExp(`${url.replace(/[.]/g, '\\.')}: fetch failed \\(ECONNREFUSED`));
});
