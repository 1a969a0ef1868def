// Up-front size checks: the memory or disk a request will take is estimated from its arguments before any
// work starts, and a request that cannot fit is refused with the estimate and the limit, instead of growing to
// gigabytes (or writing terabytes) and failing half-way. `ignoreSizeLimits: true` (CLI: --ignore-size-limits)
// or LATENT_EMULATOR_IGNORE_SIZE_LIMITS=1 runs it anyway.
import { existsSync, statfsSync } from 'node:fs';
import { freemem } from 'node:os';
import { dirname, resolve } from 'node:path';

export const IGNORE_SIZE_LIMITS_ENV = 'LATENT_EMULATOR_IGNORE_SIZE_LIMITS';

export interface SizeLimitOptions {
  /** Skip the memory and disk estimates (default false). */
  ignoreSizeLimits?: boolean;
}

/** Bytes in binary units, e.g. "1.5 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

function ignored(o?: SizeLimitOptions): boolean {
  return o?.ignoreSizeLimits === true || ['1', 'true', 'yes'].includes(process.env[IGNORE_SIZE_LIMITS_ENV] ?? '');
}

const HOW_TO_OVERRIDE = `pass --ignore-size-limits (API: ignoreSizeLimits: true, or ${IGNORE_SIZE_LIMITS_ENV}=1) to run anyway`;

/** Refuses `what` if it needs more than the free memory (os.freemem, i.e. MemAvailable on Linux). */
export function guardMemory(what: string, bytes: number, o?: SizeLimitOptions, free = freemem()): void {
  if (ignored(o)) return;
  if (!Number.isFinite(bytes) || bytes > free)
    throw new Error(`${what} needs about ${Number.isFinite(bytes) ? formatBytes(bytes) : 'unbounded'} of memory, but ${formatBytes(free)} is free; make it smaller, or ${HOW_TO_OVERRIDE}`);
}

/** Free bytes on the file system that holds `path` (or would: its nearest existing ancestor). */
export function freeDisk(path: string): number {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const fs = statfsSync(p);
  return fs.bavail * fs.bsize;
}

/** Refuses `what` if writing it into `dir` needs more than the free disk there (fs.statfs). */
export function guardDisk(what: string, dir: string, bytes: number, o?: SizeLimitOptions): void {
  if (ignored(o)) return;
  const free = freeDisk(dir);
  if (!Number.isFinite(bytes) || bytes > free)
    throw new Error(`${what} needs about ${Number.isFinite(bytes) ? formatBytes(bytes) : 'unbounded'} of disk in ${resolve(dir)}, but ${formatBytes(free)} is free there; make it smaller, or ${HOW_TO_OVERRIDE}`);
}
