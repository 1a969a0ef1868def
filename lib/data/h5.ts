// Opening HDF5 files through h5wasm (libhdf5 compiled to WebAssembly, reading the host file system),
// with the checks that turn "the C library said -1" into a message naming the file and the problem.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import h5wasm from 'h5wasm/node';
import type { Dataset, Entity, File as H5File, Group } from 'h5wasm';
import { WellFormatError } from './errors.js';

export type { Dataset, Group, H5File };

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

let ready: Promise<unknown> | undefined;

/** Resolves once the WebAssembly module is loaded; every entry point awaits it. */
export function h5Ready(): Promise<unknown> {
  // libhdf5's default error handler only prints to stderr and lets the call return garbage (zeros, NaN, a
  // short file): errors become JavaScript exceptions instead (see hdf5Failure for the message users see).
  ready ??= h5wasm.ready.then((module) => {
    (module as unknown as { activate_throwing_error_handler(): void }).activate_throwing_error_handler();
    return module;
  });
  return ready;
}

/**
 * A short error for a failed HDF5 call: what was being done, on which file (and dataset), and the cause from
 * the bottom of libhdf5's error stack (e.g. "No space left on device" from the file driver).
 */
export function hdf5Failure(err: unknown, action: string, path: string, dataset?: string): Error {
  const text = err instanceof Error ? err.message : String(err);
  if (!text.includes('HDF5-DIAG')) return err instanceof Error ? err : new Error(text);
  const where = `${path}${dataset ? ` (dataset ${dataset})` : ''}`;
  if (/No space left on device/i.test(text)) return Object.assign(new Error(`no space left on device (ENOSPC) ${action} ${where}`), { code: 'ENOSPC' });
  if (/Read-only file system/i.test(text)) return Object.assign(new Error(`read-only file system (EROFS) ${action} ${where}`), { code: 'EROFS' });
  if (/Permission denied/i.test(text)) return Object.assign(new Error(`permission denied (EACCES) ${action} ${where}`), { code: 'EACCES' });
  // libhdf5's stack runs from the API call (#000) down to the cause: the last frame's "in F(): message".
  const frames = [...text.matchAll(/in ([A-Za-z0-9_]+\(\)): ([^\n]*)/g)];
  const cause = frames.length ? frames[frames.length - 1]![2]!.split(', ')[0]!.trim() : text.split('\n')[0]!;
  const top = frames.length ? frames[0]![2]!.trim() : '';
  return new Error(`HDF5 error ${action} ${where}: ${top}${top && cause !== top ? ` (${cause})` : ''}`);
}

export { h5wasm };

/**
 * Checks that `path` is a whole HDF5 file: the signature must be at 0, 512, 1024, ... (a user block
 * may precede it) and the end-of-file address in the superblock must not lie past the real size.
 */
export function checkHdf5File(path: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new WellFormatError(path, 'not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof WellFormatError) throw err;
    throw new WellFormatError(path, `cannot open file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    for (let base = 0; base + 8 <= size; base = base === 0 ? 512 : base * 2) {
      const n = readSync(fd, head, 0, 64, base);
      if (n >= 8 && head.subarray(0, 8).equals(SIGNATURE)) {
        const eof = superblockEof(head, n);
        if (eof !== undefined && base + eof > size) {
          throw new WellFormatError(path, `truncated HDF5 file: ${size} bytes on disk, but the superblock says ${base + eof}`);
        }
        return;
      }
    }
    throw new WellFormatError(path, 'not an HDF5 file (no HDF5 signature found)');
  } finally {
    closeSync(fd);
  }
}

/** The end-of-file address stored in superblock versions 0–3 (relative to the base address). */
function superblockEof(sb: Buffer, n: number): number | undefined {
  const version = sb[8]!;
  let sizeofOffsets: number;
  let at: number;
  if (version === 0 || version === 1) {
    sizeofOffsets = sb[13]!;
    at = (version === 0 ? 24 : 28) + 2 * sizeofOffsets;
  } else if (version === 2 || version === 3) {
    sizeofOffsets = sb[9]!;
    at = 12 + 2 * sizeofOffsets;
  } else {
    return undefined;
  }
  if (sizeofOffsets !== 8 || at + 8 > n) return undefined;
  const eof = sb.readBigUInt64LE(at);
  return eof === 0xffffffffffffffffn ? undefined : Number(eof);
}

/** Opens an HDF5 file read-only after checking it is one, so failures name the file. */
export async function openH5(path: string, mode: 'r' | 'a' = 'r'): Promise<H5File> {
  await h5Ready();
  checkHdf5File(path);
  let file: H5File;
  try {
    file = new h5wasm.File(path, mode);
  } catch (err) {
    throw new WellFormatError(path, `HDF5 library cannot open the file (${String(err)})`);
  }
  if (file.file_id < 0n) throw new WellFormatError(path, 'HDF5 library cannot open the file (corrupt?)');
  return file;
}

export function isGroup(e: Entity | null): e is Group {
  return e !== null && (e as Group).type === 'Group';
}

export function isDataset(e: Entity | null): e is Dataset {
  return e !== null && (e as Dataset).type === 'Dataset';
}

/** An attribute's value, or undefined when absent. Booleans (h5py enums) come back as true/false. */
export function attr(obj: { attrs: Record<string, { json_value: unknown }> }, name: string): unknown {
  const a = obj.attrs[name];
  return a === undefined ? undefined : a.json_value;
}

export function attrNames(obj: { attrs: Record<string, unknown> }): string[] {
  return Object.keys(obj.attrs);
}

/** A string-list attribute (h5py writes arrays of str; a single str is accepted as a list of one). */
export function asStringList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  return undefined;
}

export function asBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (Array.isArray(v) && v.length === 1) return asBool(v[0]);
  return undefined;
}

export function asBoolList(v: unknown): boolean[] | undefined {
  if (!Array.isArray(v)) {
    const b = asBool(v);
    return b === undefined ? undefined : [b];
  }
  const out = v.map(asBool);
  return out.every((b) => b !== undefined) ? (out as boolean[]) : undefined;
}

export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Array.isArray(v) && v.length === 1) return asNumber(v[0]);
  return undefined;
}

/** Any numeric typed array (or plain array) as float32, converting when the file stores another type. */
export function toFloat32(v: unknown): Float32Array {
  if (v instanceof Float32Array) return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const src = v as unknown as ArrayLike<number | bigint>;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
    return out;
  }
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return Float32Array.of(Number(v));
  if (Array.isArray(v)) return Float32Array.from(v.flat(Infinity as 1).map(Number));
  throw new Error(`not numeric data: ${typeof v}`);
}

/** A list-of-strings attribute; an empty list is written as a 0-length fixed string array (h5wasm
 *  cannot write an empty variable-length one), which h5py and The Well read as an empty list. */
export function createStringList(obj: Pick<Group, 'create_attribute'>, name: string, list: readonly string[]): void {
  if (list.length === 0) obj.create_attribute(name, [], [0], 'S1');
  else obj.create_attribute(name, [...list]);
}
