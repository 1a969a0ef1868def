// File-system failures reported as what they are: "no space left on device", "read-only file system",
// "permission denied", each with the path, instead of a bare code or a misleading ENOENT.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const MEANING: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
};

/** True for errors of the local file system that retrying cannot fix (disk full, read-only, no permission). */
export function isFileSystemError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code in MEANING;
}

/** "<meaning> (<CODE>) writing <path>", or the error's own message for other errors. */
export function fileSystemMessage(err: unknown, path: string, action = 'writing'): string {
  const e = err as NodeJS.ErrnoException;
  const meaning = e?.code ? MEANING[e.code] : undefined;
  return meaning ? `${meaning} (${e.code}) ${action} ${path}` : `${action} ${path}: ${e?.message ?? String(err)}`;
}

/**
 * mkdir -p that reports why it failed: Node's recursive mkdir reports a read-only or forbidden ancestor as
 * ENOENT, so on failure the missing levels are made one at a time to get the real cause (EROFS, EACCES, ...).
 */
export function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const missing: string[] = [];
    for (let p = resolve(dir); !existsSync(p) && dirname(p) !== p; p = dirname(p)) missing.unshift(p);
    for (const level of missing) {
      try {
        mkdirSync(level);
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw Object.assign(new Error(fileSystemMessage(cause, level, 'creating folder')), { code: (cause as NodeJS.ErrnoException).code });
      }
    }
    throw err;
  }
}
