// Output files that are either complete or absent: written under `<final>.tmp-<pid>`, flushed to disk, checked
// (size against the HDF5 superblock, then the caller's re-read of the metadata), and only then renamed to the
// final name. A failed write (disk full, read-only file system) removes the temporary file and reports the
// cause with the path; temporaries left by killed runs are removed on the next run.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkHdf5File, hdf5Failure } from '../data/h5.js';
import { fileSystemMessage, isFileSystemError } from './fs-errors.js';

/** The temporary name this process writes `target` under. */
export function temporaryName(target: string): string {
  return `${target}.tmp-${process.pid}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `*.tmp-<pid>` files in `dir` whose writing process is gone (killed runs); returns their names. */
export function removeOrphanTemporaries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = /\.tmp-(\d+)$/.exec(name);
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** An error from writing `path`, turned into one that names the cause ("no space left on device") and the path. */
export function writeFailure(err: unknown, path: string): Error {
  if (isFileSystemError(err)) return Object.assign(new Error(fileSystemMessage(err, path)), { code: err.code });
  return hdf5Failure(err, 'writing', path);
}

function fsyncPath(path: string, flags: 'r' | 'r+'): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Finishes an HDF5 output written to `tmp`: fsync, whole-file check, `verify(tmp)` (re-reads what was
 * written and throws if it is not what was meant), rename to `target`, fsync of the folder. On any failure
 * `tmp` is removed, `target` is untouched, and the error names the cause and the path.
 */
export async function commitHdf5(tmp: string, target: string, verify: (path: string) => Promise<void> | void): Promise<void> {
  try {
    fsyncPath(tmp, 'r+');
    checkHdf5File(tmp);
    await verify(tmp);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw writeFailure(err, target);
  }
  try {
    fsyncPath(dirname(target), 'r');
  } catch {
    // some file systems refuse a folder fsync; the rename is atomic regardless
  }
}

/** Runs `write` (which writes `tmp`); on failure removes `tmp` and rethrows the cause with the path. */
export async function writingTemporary<T>(tmp: string, target: string, write: () => Promise<T> | T): Promise<T> {
  try {
    return await write();
  } catch (err) {
    rmSync(tmp, { force: true });
    throw writeFailure(err, target);
  }
}
