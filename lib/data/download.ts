// Downloading Well datasets from The Well's public file server into its directory layout
// (`<root>/datasets/<name>/data/<split>/<file>`): parallel, resumable with HTTP Range requests from a
// `.part` file, and size-checked against what the server announces before the file is renamed.
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SHIPPED_CONFIG_DIR, loadDatasetConfig, shippedConfigNames } from './config.js';
import { unknownName } from './errors.js';

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
        names = await listDirectory(`${base}/${rel}/`).catch((err: Error) => {
          throw unknownName('dataset', dataset, [...shippedConfigNames(), ...Object.keys(registry)], `${base}/${rel}/ (${err.message})`);
        });
        if (names.length === 0) throw new Error(`${base}/${rel}/: no .hdf5 files listed`);
      }
      const list = o.firstOnly ? names.slice(0, 1) : names;
      for (const name of list) targets.push({ url: `${base}/${rel}/${encodeURIComponent(name)}`, path: join(o.root, rel, name) });
    }
  }
  return targets;
}

/** File names linked from an HTML directory index (what Apache-style servers return for a folder). */
async function listDirectory(url: string): Promise<string[]> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const html = await res.text();
  const names = new Set<string>();
  for (const m of html.matchAll(/href="([^"?#/]+\.(?:hdf5|h5))"/g)) names.add(decodeURIComponent(m[1]!));
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
export async function downloadFile(t: DownloadTarget, o: Pick<DownloadOptions, 'retries' | 'onStart' | 'onProgress'> = {}): Promise<'downloaded' | 'skipped'> {
  const head = await fetch(t.url, { method: 'HEAD' });
  if (!head.ok) throw new Error(`${t.url}: HTTP ${head.status}`);
  const total = Number(head.headers.get('content-length') ?? NaN);
  if (existsSync(t.path) && Number.isFinite(total) && statSync(t.path).size === total) return 'skipped';
  mkdirSync(join(t.path, '..'), { recursive: true });
  const part = `${t.path}.part`;
  o.onStart?.(t.path, total);
  const attempts = o.retries ?? 5;
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    let have = existsSync(part) ? statSync(part).size : 0;
    if (Number.isFinite(total) && have > total) have = 0;
    if (Number.isFinite(total) && have === total) break;
    try {
      const res = await fetch(t.url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} });
      if (res.status !== 200 && res.status !== 206) throw new Error(`HTTP ${res.status}`);
      const append = res.status === 206;
      if (append) {
        const start = Number(/bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1] ?? NaN);
        if (start !== have) throw new Error(`server resumed at byte ${start}, expected ${have}`);
      } else {
        have = 0;
      }
      o.onProgress?.(t.path, have);
      const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
          have += chunk.length;
          o.onProgress?.(t.path, have);
        }
      } finally {
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      }
      if (!Number.isFinite(total) || have === total) break;
      lastError = new Error(`transfer ended at ${have} of ${total} bytes`);
    } catch (err) {
      lastError = err as Error;
    }
  }
  const size = existsSync(part) ? statSync(part).size : 0;
  if (Number.isFinite(total) && size !== total) {
    throw new Error(`${t.url}: size check failed, got ${size} of ${total} bytes after ${attempts} attempts${lastError ? ` (${lastError.message})` : ''}; run again to resume`);
  }
  renameSync(part, t.path);
  return 'downloaded';
}
