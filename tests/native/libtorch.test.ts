// The libtorch resolver and installer: resolution order, clear errors, archive downloads from a local HTTP
// server (checksums, progress), and wheels checked against their RECORD hashes.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

import { describeLibtorch, resolveLibtorch, libtorchCacheDir } from '../../lib/native/libtorch.js';
import { installLibtorch } from '../../lib/native/libtorch-install.js';
import { makeZip } from './zip.js';

const saved = { LIBTORCH: process.env.LIBTORCH, LATENT_EMULATOR_CACHE: process.env.LATENT_EMULATOR_CACHE };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'libtorch-test-'));
  delete process.env.LIBTORCH;
  process.env.LATENT_EMULATOR_CACHE = join(dir, 'cache');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
});

/** The files a libtorch folder needs to be recognised, under `prefix` inside a zip. */
function libtorchFiles(prefix: string, version: string): Record<string, Buffer> {
  return {
    [`${prefix}lib/libc10.so`]: Buffer.from('not really a library'),
    [`${prefix}include/torch/extension.h`]: Buffer.from('// header'),
    [`${prefix}share/cmake/Torch/TorchConfig.cmake`]: Buffer.from('# cmake'),
    [prefix === 'torch/' ? 'torch/version.py' : `${prefix}build-version`]:
      Buffer.from(prefix === 'torch/' ? `__version__ = '${version}'\n` : `${version}\n`),
  };
}

function fakeLibtorchDir(root: string, version: string): string {
  for (const [name, data] of Object.entries(libtorchFiles('', version))) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), data);
  }
  return root;
}

describe('resolveLibtorch', () => {
  test('LIBTORCH wins and its version and variant are read from the folder', () => {
    process.env.LIBTORCH = fakeLibtorchDir(join(dir, 'lt'), '2.5.1+cu124');
    const found = resolveLibtorch({ python: false });
    expect(found).toMatchObject({ origin: 'env', version: '2.5.1', variant: 'cu124', tag: 'torch-2.5.1-cu124' });
    expect(found.libDir).toBe(join(dir, 'lt', 'lib'));
  });

  test('a PyPI CUDA wheel (no +cu suffix) is named after the CUDA release in its version.py', () => {
    const root = fakeLibtorchDir(join(dir, 'wheel'), '2.14.1');
    rmSync(join(root, 'build-version')); // only version.py speaks for a wheel
    writeFileSync(join(root, 'version.py'), "__version__ = '2.14.1'\ncuda: Optional[str] = '13.0'\n");
    expect(describeLibtorch(root, 'python')).toMatchObject({ version: '2.14.1', variant: 'cu130', tag: 'torch-2.14.1-cu130' });
  });

  test('falls back to the cache, then fails naming the set-up command', () => {
    expect(() => resolveLibtorch({ python: false })).toThrow(/libtorch was not found.*latent-emulator libtorch install/);
    fakeLibtorchDir(join(libtorchCacheDir(), 'torch-2.4.0-cpu'), '2.4.0+cpu');
    expect(resolveLibtorch({ python: false })).toMatchObject({ origin: 'cache', tag: 'torch-2.4.0-cpu' });
  });

  test('an incomplete or too old libtorch is refused with the reason', () => {
    mkdirSync(join(dir, 'empty'));
    process.env.LIBTORCH = join(dir, 'empty');
    expect(() => resolveLibtorch({ python: false })).toThrow(/incomplete: missing .*libc10\.so/);
    expect(() => describeLibtorch(fakeLibtorchDir(join(dir, 'old'), '1.13.1'), 'env')).toThrow(/too old.*>= 2\.1/);
  });
});

describe('installLibtorch', () => {
  let server: Server;
  let base: string;
  const files = new Map<string, Buffer>();
  let truncate = false;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length });
      if (!truncate) return void res.end(body);
      res.write(body.subarray(0, body.length >> 1));
      res.destroy(); // the connection drops mid-transfer
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('the archive path downloads, checks the SHA-256, reports progress and extracts atomically', async () => {
    const zip = makeZip(libtorchFiles('libtorch/', '2.3.1+cpu'));
    files.set('/libtorch/cpu/libtorch.zip', zip);
    const digest = createHash('sha256').update(zip).digest('hex');
    const stages = new Set<string>();
    const installed = await installLibtorch({ url: `${base}/libtorch/cpu/libtorch.zip`, sha256: digest, onProgress: (_d, _t, s) => stages.add(s) });
    expect(installed).toMatchObject({ origin: 'cache', tag: 'torch-2.3.1-cpu' });
    expect(readFileSync(join(installed.libDir, 'libc10.so'), 'utf8')).toBe('not really a library');
    expect([...stages].sort()).toEqual(['download', 'extract']);
    expect(resolveLibtorch({ python: false }).root).toBe(installed.root);
  });

  test('a wrong checksum, a truncated transfer and a missing file fail and leave the cache empty', async () => {
    files.set('/a.zip', makeZip(libtorchFiles('libtorch/', '2.3.1+cpu')));
    await expect(installLibtorch({ url: `${base}/a.zip`, sha256: '00'.repeat(32) })).rejects.toThrow(/checksum mismatch.*expected sha256 0000/);
    truncate = true;
    await expect(installLibtorch({ url: `${base}/a.zip` })).rejects.toThrow(/cannot download .*a\.zip|incomplete|interrupted/);
    truncate = false;
    await expect(installLibtorch({ url: `${base}/missing.zip` })).rejects.toThrow(/HTTP 404/);
    expect(() => resolveLibtorch({ python: false })).toThrow(/not found/);
  });

  test('a wheel is extracted from torch/ and checked against its RECORD', async () => {
    const content = libtorchFiles('torch/', '2.6.0+cpu');
    const record = Object.entries(content)
      .map(([name, data]) => `${name},sha256=${createHash('sha256').update(data).digest('base64url')},${data.length}`)
      .join('\n');
    const wheel = join(dir, 'torch-2.6.0+cpu-cp311-none-any.whl');
    writeFileSync(wheel, makeZip({ ...content, 'torch-2.6.0+cpu.dist-info/RECORD': Buffer.from(record) }));
    const installed = await installLibtorch({ wheel });
    expect(installed.tag).toBe('torch-2.6.0-cpu');
    expect(existsSync(join(installed.root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'))).toBe(true);

    const tampered = join(dir, 'torch-2.6.1+cpu-cp311-none-any.whl');
    const bad: Record<string, Buffer> = { ...libtorchFiles('torch/', '2.6.1+cpu'), 'torch-2.6.1+cpu.dist-info/RECORD': Buffer.from(record.replace('version.py', 'nothing')) };
    bad['torch/lib/libc10.so'] = Buffer.from('tampered');
    writeFileSync(tampered, makeZip(bad));
    await expect(installLibtorch({ wheel: tampered })).rejects.toThrow(/libc10\.so fails its RECORD checksum/);
  });

  test('the CLI prints the resolved libtorch', () => {
    process.env.LIBTORCH = fakeLibtorchDir(join(dir, 'lt'), '2.7.0+cpu');
    const result = spawnSync(process.execPath, ['bin/latent-emulator.js', 'libtorch', 'path'], { encoding: 'utf8', env: process.env });
    expect(result.stdout).toContain('torch-2.7.0-cpu (from env)');
  });
});
