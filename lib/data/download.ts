// Downloading Well datasets from The Well's public file server into its directory layout
// (`<root>/datasets/<name>/data/<split>/<file>`): parallel, resumable with HTTP Range requests from a
// `.part` file, and size-checked against what the server announces before the file is renamed.
import { createWriteStream, existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SHIPPED_CONFIG_DIR, loadDatasetConfig, shippedConfigNames } from './config.js';
import { unknownName } from './errors.js';
import { checkUntrustedName, pathInside } from '../util/safe-name.js';
import { fileSystemMessage, isFileSystemError, makeDirectory } from '../util/fs-errors.js';

export const DEFAULT_WELL_URL = 'https://sdsc-users.flatironinstitute.org/~polymathic/data/the_well';
export const WELL_URL_ENV = 'LATENT_EMULATOR_WELL_URL';
export const SPLITS = ['train', 'valid', 'test'] as const;

export function wellBaseUrl(override?: string): string {
  return (override ?? process.env[WELL_URL_ENV] ?? DEFAULT_WELL_URL).replace(/\/+$/, '');
}

/** File names per Well dataset, shipped for the datasets of the shipped configurations. */
export function wellRegistry(): Record<string, string[]> {
  const path = join(SHIPPED_CONFIG_DIR, '_well-registry.yaml');
  return existsSync(path) ? (parse(readFileSync(path, 'utf8')) as Record<string, string[]>) : {};
}

/** A configuration name (euler_all → its physics) or a Well dataset name. */
export function resolvePhysics(dataset: string): string[] {
  return shippedConfigNames().includes(dataset) ? loadDatasetConfig(dataset).physics : [dataset];
}

export interface DownloadOptions {
  root: string;
  split?: string;
  firstOnly?: boolean;
  baseUrl?: string;
  /** Files downloaded at once (default 4). */
  parallel?: number;
  /** Attempts per file when a transfer breaks (default 5); each resumes where the last stopped. */
  retries?: number;
  /** Seconds without a byte from the server before a request is abandoned as stalled (default 60). */
  stallSeconds?: number;
  onStart?: (file: string, total: number) => void;
  onProgress?: (file: string, bytes: number) => void;
  onDone?: (file: string, status: 'downloaded' | 'skipped') => void;
}

export interface DownloadTarget {
  url: string;
  path: string;
}

/** The files of `dataset` for the requested splits, from the shipped registry or the server's listing. */
export async function listDownloads(dataset: string, o: DownloadOptions): Promise<DownloadTarget[]> {
  const base = wellBaseUrl(o.baseUrl);
  const registry = wellRegistry();
  const splits = o.split ? [o.split] : [...SPLITS];
  for (const s of splits) if (!(SPLITS as readonly string[]).includes(s)) throw unknownName('split', s, SPLITS);
  const targets: DownloadTarget[] = [];
  for (const physics of resolvePhysics(dataset)) {
    for (const split of splits) {
      const rel = `datasets/${physics}/data/${split}`;
      let names = registry[physics];
      if (!names) {
        names = await listDirectory(`${base}/${rel}/`, o.stallSeconds).catch((err: Error) => {
          throw unknownName('dataset', dataset, [...shippedConfigNames(), ...Object.keys(registry)], `${base}/${rel}/ (${err.message})`);
        });
        if (names.length === 0) throw new Error(`${base}/${rel}/: no .hdf5 files listed`);
      }
      const list = o.firstOnly ? names.slice(0, 1) : names;
      for (const name of list) {
        // Listing names come from a server (and the registry from a file): never trusted as paths.
        const safe = checkUntrustedName(name, `file name listed by ${base}/${rel}/`);
        targets.push({ url: `${base}/${rel}/${encodeURIComponent(safe)}`, path: pathInside(o.root, [rel, safe], `download of ${safe}`) });
      }
    }
  }
  return targets;
}

/** File names linked from an HTML directory index (what Apache-style servers return for a folder). */
async function listDirectory(url: string, stallSeconds?: number): Promise<string[]> {
  const watch = stallWatch(url, stallSeconds);
  let html: string;
  try {
    const res = await fetch(url, { signal: watch.signal });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    html = await res.text();
  } catch (err) {
    throw new Error(fetchFailure(err, watch));
  } finally {
    watch.stop();
  }
  const names = new Set<string>();
  for (const m of html.matchAll(/href="([^"?#/]+\.(?:hdf5|h5))"/g)) {
    let name: string;
    try {
      name = decodeURIComponent(m[1]!);
    } catch {
      throw new Error(`listing at ${url} links ${JSON.stringify(m[1])}, which is not valid URL encoding`);
    }
    names.add(name);
  }
  return [...names].sort();
}

/** Downloads every target; resolves to the number of files fetched (not skipped). */
export async function download(dataset: string, o: DownloadOptions): Promise<{ downloaded: number; skipped: number; files: string[] }> {
  const targets = await listDownloads(dataset, o);
  let next = 0;
  let downloaded = 0;
  let skipped = 0;
  const worker = async () => {
    while (next < targets.length) {
      const t = targets[next++]!;
      const status = await downloadFile(t, o);
      if (status === 'downloaded') downloaded++;
      else skipped++;
      o.onDone?.(t.path, status);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel ?? 4, targets.length)) }, worker));
  return { downloaded, skipped, files: targets.map((t) => t.path) };
}

/** One file: skip when already complete, else resume its .part with Range until the announced size. */
export async function downloadFile(t: DownloadTarget, o: Pick<DownloadOptions, 'retries' | 'stallSeconds' | 'onStart' | 'onProgress'> = {}): Promise<'downloaded' | 'skipped'> {
  const headWatch = stallWatch(t.url, o.stallSeconds);
  let head: Response;
  try {
    head = await fetch(t.url, { method: 'HEAD', signal: headWatch.signal });
  } catch (err) {
    throw new Error(`${t.url}: ${fetchFailure(err, headWatch)}`);
  } finally {
    headWatch.stop();
  }
  if (!head.ok) throw new Error(`${t.url}: HTTP ${head.status}`);
  const total = Number(head.headers.get('content-length') ?? NaN);
  if (existsSync(t.path) && Number.isFinite(total) && statSync(t.path).size === total) return 'skipped';
  makeDirectory(join(t.path, '..'));
  const part = `${t.path}.part`;
  o.onStart?.(t.path, total);
  const attempts = o.retries ?? 5;
  let lastError: Error | undefined;
  let complete = Number.isFinite(total) && existsSync(part) && statSync(part).size === total;
  for (let attempt = 0; attempt < attempts; attempt++) {
    let have = existsSync(part) ? statSync(part).size : 0;
    if (Number.isFinite(total) && have > total) have = 0;
    if (Number.isFinite(total) && have === total) break;
    const watch = stallWatch(t.url, o.stallSeconds);
    try {
      const res = await fetch(t.url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal: watch.signal });
      if (res.status !== 200 && res.status !== 206) throw new Error(`HTTP ${res.status}`);
      const append = res.status === 206;
      if (append) {
        const start = Number(/bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1] ?? NaN);
        if (start !== have) throw new Error(`server resumed at byte ${start}, expected ${have}`);
      } else {
        have = 0;
      }
      o.onProgress?.(t.path, have);
      if (!res.body) throw new Error('response has no body');
      const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
      // A write error (disk full, read-only) is kept and rethrown, never left as an unhandled 'error' event.
      let writeError: Error | undefined;
      out.on('error', (err) => (writeError = err));
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          if (writeError) break;
          if (!out.write(chunk)) await new Promise<void>((r) => (out.once('drain', () => r()), out.once('error', () => r())));
          have += chunk.length;
          watch.alive();
          o.onProgress?.(t.path, have);
        }
      } finally {
        // Whatever arrived is flushed to the .part file, so that the next attempt resumes after it.
        if (!writeError) await new Promise<void>((resolve) => out.end(() => resolve()));
      }
      if (writeError) throw writeError;
      if (!Number.isFinite(total) || have === total) {
        complete = true;
        break;
      }
      lastError = new Error(`transfer ended at ${have} of ${total} bytes`);
      complete = true;
    } catch (err) {
      // The local disk failing is not a network hiccup: retrying cannot help.
      if (isFileSystemError(err)) throw new Error(fileSystemMessage(err, part));
      lastError = new Error(fetchFailure(err, watch));
    } finally {
      watch.stop();
    }
  }
  const size = existsSync(part) ? statSync(part).size : 0;
  if (Number.isFinite(total) ? size !== total : !complete) {
    throw new Error(`${t.url}: download failed after ${attempts} attempts, ${size} of ${Number.isFinite(total) ? total : 'unknown'} bytes in ${part}${lastError ? ` (${lastError.message})` : ''}; run again to resume`);
  }
  renameSync(part, t.path);
  return 'downloaded';
}

interface StallWatch {
  signal: AbortSignal;
  /** Bytes arrived: restart the clock. */
  alive(): void;
  stop(): void;
  stalled(): boolean;
  seconds: number;
}

/** Aborts a request once `seconds` (default 60) pass without a byte arriving. */
function stallWatch(url: string, seconds = 60): StallWatch {
  if (!(seconds > 0)) throw new Error(`stallSeconds must be a positive number, got ${seconds}`);
  const controller = new AbortController();
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort(new Error(`${url}: no data for ${seconds} s (stalled)`));
    }, seconds * 1000);
  };
  arm();
  return { signal: controller.signal, alive: arm, stop: () => clearTimeout(timer), stalled: () => stalled, seconds };
}

/** What went wrong with a request, with the cause that undici hides behind "fetch failed". */
function fetchFailure(err: unknown, watch: StallWatch): string {
  if (watch.stalled()) return `stalled: no data for ${watch.seconds} s`;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e?.cause ? ` (${[e.cause.code, e.cause.message].filter(Boolean).join(': ')})` : '';
  return `${e?.message ?? String(err)}${cause}`;
}
