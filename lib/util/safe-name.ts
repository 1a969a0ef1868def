// Names that come from files or servers (an HDF5 file's dataset_name, a server's directory listing) are
// untrusted: they become single path components only after these checks, and every path built from them
// must resolve inside the folder the user named.
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Letters, digits and . _ + - ; not starting with a dot; at most 255 bytes (a file name's limit). */
const SAFE_NAME = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/;

/**
 * Returns `name` if it is a safe single path component, else throws naming `what` (where the name came from),
 * the name and the rule. Rejects separators, `..`, absolute paths, control characters and empty names.
 */
export function checkUntrustedName(name: unknown, what: string): string {
  const shown = JSON.stringify(name);
  if (typeof name !== 'string' || name.length === 0) throw new Error(`${what}: expected a non-empty name, got ${shown}`);
  if (name.includes('/') || name.includes('\\') || isAbsolute(name) || name.split(/[/\\]/).includes('..'))
    throw new Error(`${what}: ${shown} is not a plain name (path separators, '..' and absolute paths are refused)`);
  if (!SAFE_NAME.test(name) || Buffer.byteLength(name) > 255)
    throw new Error(`${what}: ${shown} is not a safe name (allowed: letters, digits, '.', '_', '+', '-', not starting with '.', at most 255 bytes)`);
  return name;
}

/** `folder` joined with `parts`, refused (naming `what`) unless the resolved path lies inside `folder`. */
export function pathInside(folder: string, parts: string[], what: string): string {
  const root = resolve(folder);
  const path = resolve(root, ...parts);
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel))
    throw new Error(`${what}: ${path} would lie outside ${root}; refusing to write there`);
  return path;
}
