// Checkpoints that survive kill -9. Each checkpoint `<name>.safetensors` is written atomically (temporary
// file, fsync, rename) and then described by a manifest `<name>.json` (sha256, size, what it holds), also
// written atomically. Before a new one is written, the current pair is rotated to `<name>.prev.*`. On load,
// the newest candidate whose manifest exists and whose bytes hash to the recorded sha256 wins; every
// rejected candidate is reported (truncated, corrupt, no manifest), and the previous good one is used.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import { writeFileAtomic } from '../util/write-file-atomic.js';
import type { Weights } from '../util/parse-choice.js';

export { writeFileAtomic };

export interface CheckpointManifest {
  file: string;
  sha256: string;
  size: number;
  /** Free-form information (epoch, step, valid loss...). */
  info: Record<string, unknown>;
  time: string;
}

export interface FoundCheckpoint {
  path: string;
  manifest: CheckpointManifest;
  /** Candidates that were rejected, newest first, with the reason. */
  rejected: string[];
}

/** sha256 of a file, read in 16 MiB chunks (checkpoints of large models exceed a Buffer's size limit). */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(16 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

const paths = (dir: string, name: string) => ({
  file: join(dir, `${name}.safetensors`),
  manifest: join(dir, `${name}.json`),
  prevFile: join(dir, `${name}.prev.safetensors`),
  prevManifest: join(dir, `${name}.prev.json`),
});

/**
 * Saves checkpoint `name` in `dir`: `write(path)` must write the safetensors file atomically (the native
 * savers do); then the manifest is written. The previous checkpoint is kept as `<name>.prev`.
 */
export async function saveCheckpoint(dir: string, name: string, write: (path: string) => Promise<void>, info: Record<string, unknown> = {}, keepPrevious = true): Promise<CheckpointManifest> {
  const p = paths(dir, name);
  if (keepPrevious && existsSync(p.file) && existsSync(p.manifest) && verify(p.file, p.manifest) === undefined) {
    // Manifest first: a kill between the two renames leaves `prev` without a matching file (rejected on
    // load) and the current file without a manifest (also rejected), never a wrong pairing accepted.
    renameSync(p.manifest, p.prevManifest);
    renameSync(p.file, p.prevFile);
  }
  await write(p.file);
  const manifest: CheckpointManifest = { file: basename(p.file), sha256: sha256File(p.file), size: statSync(p.file).size, info, time: new Date().toISOString() };
  writeFileAtomic(p.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** undefined when `file` matches its manifest, else the problem. */
function verify(file: string, manifestPath: string): string | undefined {
  if (!existsSync(file)) return 'file missing';
  if (!existsSync(manifestPath)) return 'no manifest (the write was interrupted)';
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as CheckpointManifest;
  } catch {
    return 'unreadable manifest';
  }
  const size = statSync(file).size;
  if (size !== manifest.size) return `truncated or wrong size (${size} bytes, manifest says ${manifest.size})`;
  if (sha256File(file) !== manifest.sha256) return 'checksum mismatch (corrupt)';
  return undefined;
}

/** The checkpoint file name (without extension) for the weights a command loads: state or state_best. */
export function checkpointName(weights: Weights = 'state'): 'state' | 'state_best' {
  return weights === 'best' ? 'state_best' : 'state';
}

/** The newest good checkpoint `name` in `dir` (current, then previous), or undefined with nothing good. */
export function findCheckpoint(dir: string, name: string): FoundCheckpoint | undefined {
  const p = paths(dir, name);
  const rejected: string[] = [];
  for (const [file, manifest] of [
    [p.file, p.manifest],
    [p.prevFile, p.prevManifest],
  ] as const) {
    if (!existsSync(file) && !existsSync(manifest)) continue;
    const problem = verify(file, manifest);
    if (problem === undefined) return { path: file, manifest: JSON.parse(readFileSync(manifest, 'utf8')) as CheckpointManifest, rejected };
    rejected.push(`${file}: ${problem}`);
  }
  if (rejected.length) throw new Error(`no usable checkpoint '${name}' in ${dir}: ${rejected.join('; ')}`);
  return undefined;
}

/** Removes temporary files left by writes that were killed. */
export function removeStaleTemporaries(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (/\.tmp-\d+$/.test(f)) rmSync(join(dir, f), { force: true });
}
