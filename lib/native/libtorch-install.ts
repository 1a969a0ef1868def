// `latent-emulator libtorch install`: fills the package's libtorch cache, explicitly (npm runs no install scripts).
// Two sources: a torch wheel fetched by `pip download` (a wheel holds a complete libtorch), or the official
// libtorch zip archive from a URL. Both are checked: wheel files against the wheel's RECORD hashes, the archive
// against --sha256 when given (its digest is always printed).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

import { describeLibtorch, libtorchCacheDir, type Libtorch } from './libtorch.js';

export const DEFAULT_TORCH_VERSION = '2.13.0';

export type Progress = (done: number, total: number, stage: string) => void;

export interface InstallOptions {
  /** "cpu" or a CUDA variant such as "cu126". */
  variant?: string;
  version?: string;
  /** Official libtorch archive URL; when set, the archive is used instead of a wheel. */
  url?: string;
  /** Expected SHA-256 (hex) of the archive. */
  sha256?: string;
  /** A wheel file already on disk. */
  wheel?: string;
  python?: string;
  onProgress?: Progress;
  log?: (line: string) => void;
}

/** The official archive for a version and variant (what `--source archive` downloads). */
export function officialArchiveUrl(version: string, variant: string): string {
  return `https://download.pytorch.org/libtorch/${variant}/libtorch-shared-with-deps-${version}%2B${variant}.zip`;
}

export async function installLibtorch(options: InstallOptions = {}): Promise<Libtorch> {
  const variant = options.variant ?? 'cpu';
  const version = options.version ?? DEFAULT_TORCH_VERSION;
  const log = options.log ?? (() => {});
  const cache = libtorchCacheDir();
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(cache, '.install-'));
  try {
    const staging = join(work, 'libtorch');
    if (options.url) {
      const archive = join(work, 'libtorch.zip');
      const digest = await download(options.url, archive, options.onProgress);
      log(`sha256 ${digest}  ${options.url}`);
      if (options.sha256 && options.sha256.toLowerCase() !== digest) {
        throw new Error(`checksum mismatch for ${options.url}: expected sha256 ${options.sha256}, got ${digest}`);
      }
      await extractZip(archive, staging, 'libtorch/', undefined, options.onProgress);
    } else {
      const wheel = options.wheel ?? pipDownloadTorch(version, variant, work, options.python, log);
      log(`extracting libtorch from ${wheel}`);
      await extractZip(wheel, staging, 'torch/', (name) => /^torch\/(lib|include|share)\/|^torch\/version\.py$/.test(name), options.onProgress, await wheelRecord(wheel));
    }
    const found = describeLibtorch(staging, 'cache');
    const target = join(cache, found.tag);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target); // atomic: a half-extracted libtorch never appears in the cache
    return describeLibtorch(target, 'cache');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function pipDownloadTorch(version: string, variant: string, dir: string, python = process.env.PYTHON ?? 'python3', log: (l: string) => void): string {
  const spec = `torch==${version}+${variant}`;
  const args = ['-m', 'pip', 'download', spec, '--no-deps', '--only-binary=:all:', '-d', dir,
    '--extra-index-url', `https://download.pytorch.org/whl/${variant}`];
  log(`${python} ${args.join(' ')}`);
  const result = spawnSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) throw new Error(`cannot run ${python} -m pip to fetch ${spec}: ${result.error.message}. Use --url with an official libtorch archive instead.`);
  if (result.status !== 0) {
    throw new Error(`pip download ${spec} failed (exit ${result.status}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ')}`);
  }
  const wheel = readdirSync(dir).find((f) => f.startsWith('torch-') && f.endsWith('.whl'));
  if (!wheel) throw new Error(`pip download ${spec} produced no torch wheel in ${dir}`);
  return join(dir, wheel);
}

/** Downloads `url` to `file`, returning its SHA-256 (hex). */
async function download(url: string, file: string, onProgress?: Progress): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`cannot download ${url}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  if (!response.ok || !response.body) throw new Error(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`);
  const total = Number(response.headers.get('content-length') ?? 0);
  const hash = createHash('sha256');
  let done = 0;
  const body = response.body as unknown as AsyncIterable<Uint8Array>;
  async function* counted() {
    for await (const chunk of body) {
      hash.update(chunk);
      done += chunk.length;
      onProgress?.(done, total, 'download');
      yield chunk;
    }
  }
  try {
    await pipeline(counted(), createWriteStream(file));
  } catch (err) {
    throw new Error(`download of ${url} was interrupted after ${done}${total ? ` of ${total}` : ''} bytes: ${(err as Error).message}`);
  }
  if (total && done !== total) throw new Error(`download of ${url} is incomplete: ${done} of ${total} bytes`);
  return hash.digest('hex');
}

/** The wheel's RECORD: path → urlsafe-base64 SHA-256, used to check every extracted file. */
async function wheelRecord(wheel: string): Promise<Map<string, string>> {
  const record = new Map<string, string>();
  const zip = await openZip(wheel);
  try {
    for await (const entry of entries(zip)) {
      if (!/\.dist-info\/RECORD$/.test(entry.fileName)) continue;
      const text = (await readEntry(zip, entry)).toString('utf8');
      for (const line of text.split('\n')) {
        const [path, hash] = line.split(',');
        if (path && hash?.startsWith('sha256=')) record.set(path, hash.slice(7));
      }
    }
  } finally {
    zip.close();
  }
  if (!record.size) throw new Error(`${wheel} has no RECORD with sha256 hashes: not a valid wheel`);
  return record;
}

async function extractZip(
  file: string,
  dest: string,
  prefix: string,
  keep: ((name: string) => boolean) | undefined,
  onProgress?: Progress,
  record?: Map<string, string>,
): Promise<void> {
  const zip = await openZip(file);
  try {
    const total = zip.entryCount;
    let index = 0;
    let extracted = 0;
    for await (const entry of entries(zip)) {
      onProgress?.(++index, total, 'extract');
      const name = entry.fileName;
      if (!name.startsWith(prefix) || name.endsWith('/') || (keep && !keep(name))) continue;
      const relative = normalize(name.slice(prefix.length));
      if (relative.startsWith('..') || relative.startsWith(sep)) throw new Error(`${file}: unsafe path in archive: ${name}`);
      const out = join(dest, relative);
      await mkdir(dirname(out), { recursive: true });
      const hash = createHash('sha256');
      const stream = await openEntry(zip, entry);
      stream.on('data', (chunk: Buffer) => hash.update(chunk));
      await pipeline(stream, createWriteStream(out));
      if (record) {
        const expected = record.get(name);
        const got = hash.digest('base64url');
        if (expected !== undefined && expected !== got) throw new Error(`${file}: ${name} fails its RECORD checksum (expected ${expected}, got ${got})`);
      }
      const mode = (entry.externalFileAttributes >>> 16) & 0o777;
      if (mode) await chmod(out, mode);
      extracted++;
    }
    if (!extracted) throw new Error(`${file} holds no files under ${prefix}: not a libtorch archive or torch wheel`);
  } finally {
    zip.close();
  }
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  if (!existsSync(file)) return Promise.reject(new Error(`${file} does not exist`));
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, zip) => (err ? reject(new Error(`${file}: not a valid zip archive (${err.message})`)) : resolve(zip!))),
  );
}

async function* entries(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  while (true) {
    const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
      const onEntry = (e: yauzl.Entry) => { cleanup(); resolve(e); };
      const onEnd = () => { cleanup(); resolve(undefined); };
      const onError = (e: Error) => { cleanup(); reject(e); };
      const cleanup = () => { zip.off('entry', onEntry); zip.off('end', onEnd); zip.off('error', onError); };
      zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
      zip.readEntry();
    });
    if (!entry) return;
    yield entry;
  }
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream & { on: (e: string, f: (c: Buffer) => void) => unknown }> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream!))));
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  const stream = await openEntry(zip, entry);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
