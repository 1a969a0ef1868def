// Boolean attributes the way h5py writes them: an HDF5 enum over int8 with members FALSE=0, TRUE=1.
//
// Why this file exists: The Well's format checker asserts `isinstance(attr, (bool, np.bool_))` for
// every `sample_varying`, `time_varying` and `dim_varying` flag, and h5py only reads booleans from that
// enum type. h5wasm cannot create enum types (it writes integers, floats and strings only), so the
// writer stores each flag as an int8 *placeholder* attribute whose byte size is exactly that of the
// final enum attribute, and `patchBoolAttributes` rewrites the placeholders in place once the file is
// closed: datatype → enum, dataspace → scalar or (n,), data → the flags, then it recomputes the
// object-header checksum (Jenkins lookup3, as libhdf5 does). Only version-2 object headers ("OHDR"/
// "OCHK", what h5wasm writes with its default v1.8+ format bounds) and version-3 attribute messages
// are handled; anything else fails loudly instead of writing a broken file.
import { openSync, closeSync, readSync, writeSync, fstatSync } from 'node:fs';
import type { Group } from 'h5wasm';

const MAGIC = Buffer.from('WELLBOOL', 'ascii');
const INT8_DTYPE = Buffer.from([0x10, 0x08, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0]);
// Enum datatype message, version 1: 2 members, size 1, base int8, names padded to 8 bytes, values.
const ENUM_DTYPE = Buffer.concat([
  Buffer.from([0x18, 2, 0, 0, 1, 0, 0, 0]),
  INT8_DTYPE,
  Buffer.from('FALSE\0\0\0TRUE\0\0\0\0', 'ascii'),
  Buffer.from([0, 1]),
]);
// h5wasm writes a rank-1 dataspace with its maximum dimensions: version 2, 4 + 8 + 8 bytes.
const PLACEHOLDER_DSPACE = 20;

/** The placeholder length for `n` flags (scalar when n is null). */
function placeholderLength(n: number | null): number {
  const dspaceNew = n === null ? 4 : 12;
  return ENUM_DTYPE.length + dspaceNew + (n ?? 1) - INT8_DTYPE.length - PLACEHOLDER_DSPACE;
}

/** Writes a boolean (scalar) or boolean-list attribute placeholder; call patchBoolAttributes after closing. */
export function createBoolAttribute(obj: Group | { create_attribute: Group['create_attribute'] }, name: string, value: boolean | boolean[]): void {
  const flags = Array.isArray(value) ? value : [value];
  const n = Array.isArray(value) ? value.length : null;
  const len = placeholderLength(n);
  const data = new Int8Array(len);
  flags.forEach((f, i) => (data[i] = f ? 1 : 0));
  data.set(MAGIC, flags.length);
  obj.create_attribute(name, data, [len], '<b');
}

/** Rewrites every placeholder in the (closed) file at `path`; returns how many were patched. */
export function patchBoolAttributes(path: string): number {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const bytes = Buffer.alloc(size);
    readSync(fd, bytes, 0, size, 0);
    let patched = 0;
    for (const chunk of objectHeaderChunks(bytes)) {
      const count = patchChunk(bytes, chunk);
      if (count > 0) {
        const sum = lookup3(bytes.subarray(chunk.start, chunk.end - 4));
        bytes.writeUInt32LE(sum, chunk.end - 4);
        writeSync(fd, bytes, chunk.start, chunk.end - chunk.start, chunk.start);
        patched += count;
      }
    }
    const left = bytes.indexOf(MAGIC);
    if (left >= 0 && isPlaceholderAt(bytes, left)) {
      throw new Error(`${path}: a boolean attribute placeholder was not in a version-2 object header; cannot write h5py booleans`);
    }
    return patched;
  } finally {
    closeSync(fd);
  }
}

interface Chunk {
  start: number; // first byte (the signature)
  messages: number; // first message
  end: number; // one past the checksum
  creationOrder: boolean; // messages carry a 2-byte creation index
}

/** All object-header chunks (OHDR and its OCHK continuations) whose checksum verifies. */
function* objectHeaderChunks(bytes: Buffer): Generator<Chunk> {
  const seen = new Set<number>();
  for (let at = bytes.indexOf('OHDR'); at >= 0; at = bytes.indexOf('OHDR', at + 1)) {
    const flags = bytes[at + 5]!;
    if (bytes[at + 4] !== 2) continue;
    let p = at + 6;
    if (flags & 0x20) p += 16;
    if (flags & 0x10) p += 4;
    const width = 1 << (flags & 3);
    if (p + width > bytes.length) continue;
    const size = Number(readUint(bytes, p, width));
    const messages = p + width;
    const end = messages + size + 4;
    if (end > bytes.length || lookup3(bytes.subarray(at, end - 4)) !== bytes.readUInt32LE(end - 4)) continue;
    const creationOrder = (flags & 0x04) !== 0;
    const chunk = { start: at, messages, end, creationOrder };
    seen.add(at);
    yield chunk;
    // Continuation messages (type 0x10) point at OCHK chunks.
    const pending = [chunk];
    while (pending.length) {
      const c = pending.pop()!;
      for (const m of messagesOf(bytes, c)) {
        if (m.type !== 0x10) continue;
        const addr = Number(bytes.readBigUInt64LE(m.data));
        const length = Number(bytes.readBigUInt64LE(m.data + 8));
        if (seen.has(addr) || bytes.toString('ascii', addr, addr + 4) !== 'OCHK') continue;
        const cont = { start: addr, messages: addr + 4, end: addr + length, creationOrder };
        if (lookup3(bytes.subarray(addr, addr + length - 4)) !== bytes.readUInt32LE(addr + length - 4)) continue;
        seen.add(addr);
        pending.push(cont);
        yield cont;
      }
    }
  }
}

function* messagesOf(bytes: Buffer, c: Chunk): Generator<{ type: number; data: number; size: number }> {
  const header = c.creationOrder ? 6 : 4;
  let p = c.messages;
  const stop = c.end - 4;
  while (p + header <= stop) {
    const type = bytes[p]!;
    const size = bytes.readUInt16LE(p + 1);
    const data = p + header;
    if (data + size > stop) return;
    yield { type, data, size };
    p = data + size;
  }
}

function patchChunk(bytes: Buffer, c: Chunk): number {
  let count = 0;
  for (const m of messagesOf(bytes, c)) {
    if (m.type !== 0x0c || bytes[m.data] !== 3) continue;
    const nameSize = bytes.readUInt16LE(m.data + 2);
    const dtypeSize = bytes.readUInt16LE(m.data + 4);
    const dspaceSize = bytes.readUInt16LE(m.data + 6);
    const dtype = m.data + 9 + nameSize;
    const dspace = dtype + dtypeSize;
    const data = dspace + dspaceSize;
    if (dtypeSize !== INT8_DTYPE.length || !bytes.subarray(dtype, dtype + dtypeSize).equals(INT8_DTYPE)) continue;
    if (dspaceSize !== PLACEHOLDER_DSPACE || bytes[dspace] !== 2 || bytes[dspace + 1] !== 1) continue;
    const len = Number(bytes.readBigUInt64LE(dspace + 4));
    if (data + len !== m.data + m.size) continue;
    const magicAt = bytes.indexOf(MAGIC, data);
    if (magicAt < 0 || magicAt >= data + len) continue;
    const n = magicAt - data;
    const scalar = len === placeholderLength(null) && n === 1;
    if (!scalar && len !== placeholderLength(n)) continue;
    const flags = Buffer.from(bytes.subarray(data, data + n)).map((b) => (b ? 1 : 0));
    const dspaceNew = scalar ? Buffer.from([2, 0, 0, 0]) : Buffer.concat([Buffer.from([2, 1, 0, 1]), u64(n)]);
    bytes.writeUInt16LE(ENUM_DTYPE.length, m.data + 4);
    bytes.writeUInt16LE(dspaceNew.length, m.data + 6);
    const body = Buffer.concat([ENUM_DTYPE, dspaceNew, flags]);
    if (dtype + body.length !== m.data + m.size) throw new Error('internal: boolean attribute size mismatch');
    body.copy(bytes, dtype);
    count++;
  }
  return count;
}

function isPlaceholderAt(bytes: Buffer, at: number): boolean {
  // The magic follows at most a few flag bytes inside an int8 attribute; raw data seldom contains it.
  return bytes.subarray(Math.max(0, at - 64), at).includes(INT8_DTYPE);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

function readUint(bytes: Buffer, at: number, width: number): bigint {
  if (width === 1) return BigInt(bytes[at]!);
  if (width === 2) return BigInt(bytes.readUInt16LE(at));
  if (width === 4) return BigInt(bytes.readUInt32LE(at));
  return bytes.readBigUInt64LE(at);
}

/** Bob Jenkins' lookup3 hashlittle, the checksum of HDF5 metadata (H5_checksum_lookup3, initval 0). */
export function lookup3(k: Uint8Array, initval = 0): number {
  let length = k.length;
  let a = (0xdeadbeef + length + initval) >>> 0;
  let b = a;
  let c = a;
  let o = 0;
  const rot = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  while (length > 12) {
    a = (a + (k[o]! | (k[o + 1]! << 8) | (k[o + 2]! << 16) | (k[o + 3]! << 24))) >>> 0;
    b = (b + (k[o + 4]! | (k[o + 5]! << 8) | (k[o + 6]! << 16) | (k[o + 7]! << 24))) >>> 0;
    c = (c + (k[o + 8]! | (k[o + 9]! << 8) | (k[o + 10]! << 16) | (k[o + 11]! << 24))) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rot(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rot(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rot(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rot(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rot(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rot(b, 4)) >>> 0; b = (b + a) >>> 0;
    length -= 12;
    o += 12;
  }
  if (length === 0) return c;
  // Tail: up to 12 bytes, little-endian into a, b, c (the C switch falls through).
  const tail = [0, 0, 0];
  for (let i = 0; i < length; i++) tail[i >> 2]! += k[o + i]! * 2 ** (8 * (i & 3));
  a = (a + tail[0]!) >>> 0;
  b = (b + tail[1]!) >>> 0;
  c = (c + tail[2]!) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rot(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rot(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rot(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rot(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 24)) >>> 0;
  return c;
}
