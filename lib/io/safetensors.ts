// Reads safetensors files (the weights format shared with the reference) from TypeScript: the header, the
// metadata, and tensors as typed arrays. Writing happens in C++, next to the models.
import { readFileSync } from 'node:fs';

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  entries: Record<string, SafetensorsEntry>;
  /** The named tensor as float64 values (any float dtype), for inspection and tests. */
  values(name: string): Float64Array;
  /** The named tensor's raw little-endian bytes (any dtype), e.g. to compare files tensor by tensor. */
  bytes(name: string): Uint8Array;
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 };
const MAX_HEADER = 100 << 20;

/**
 * Reads and validates a safetensors file with the same rules, in the same words, as the native reader behind
 * loadWeights (native/io/safetensors.cc parseHeader): known dtypes, integer shapes, offsets whose span is
 * exactly shape × dtype size, tensors packed without gaps or overlaps, no bytes missing or left over.
 */
export function readSafetensors(path: string): SafetensorsFile {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot open: ${(err as Error).message}`);
  }
  const fail = (what: string): never => {
    throw new Error(`${path}: ${what}`);
  };
  if (buffer.length < 8) fail(`too short for a safetensors file (${buffer.length} bytes)`);
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (headerLength > MAX_HEADER) fail(`header length ${headerLength} is implausibly large`);
  if (8 + headerLength > buffer.length) fail(`truncated: header length ${headerLength} exceeds the ${buffer.length - 8} bytes after it`);
  let header: unknown;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8'));
  } catch (err) {
    fail(`invalid header JSON: ${(err as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const data = buffer.subarray(8 + headerLength);
  const metadata: Record<string, string> = {};
  const entries: Record<string, SafetensorsEntry> = {};
  const nonNegativeInt = (v: unknown, what: string): number => (Number.isInteger(v) && (v as number) >= 0 ? (v as number) : fail(`${what} must be a non-negative integer`));
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('__metadata__ is not an object');
      for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(`__metadata__ value for "${k}" is not a string`);
        metadata[k] = value as string;
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where} is not an object`);
    const { dtype, shape, data_offsets: offsets } = v as Record<string, unknown>;
    if (dtype === undefined || shape === undefined || offsets === undefined) fail(`${where} lacks dtype, shape or data_offsets`);
    if (Object.keys(v as object).length !== 3) fail(`${where} has unexpected fields`);
    if (typeof dtype !== 'string') fail(`${where}: dtype is not a string`);
    const size = BYTES[dtype as string] ?? fail(`${where}: unsupported dtype "${dtype}"`);
    if (!Array.isArray(shape)) fail(`${where}: shape is not an array`);
    const dims = (shape as unknown[]).map((d) => nonNegativeInt(d, `${where}: shape entries`));
    const numel = dims.reduce((a, b) => a * b, 1);
    if (numel > 2 ** 52) fail(`${where}: shape is too large`);
    if (!Array.isArray(offsets) || offsets.length !== 2) fail(`${where}: data_offsets is not a pair`);
    const begin = nonNegativeInt((offsets as unknown[])[0], `${where}: data_offsets`);
    const end = nonNegativeInt((offsets as unknown[])[1], `${where}: data_offsets`);
    if (end < begin) fail(`${where}: data_offsets end before begin`);
    if (end - begin !== numel * size) fail(`${where}: shape [${dims.join(', ')}] x ${dtype} needs ${numel * size} bytes, data_offsets span ${end - begin}`);
    entries[name] = { dtype: dtype as string, shape: dims, data_offsets: [begin, end] };
  }
  const sorted = Object.entries(entries).sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0] || a.data_offsets[1] - b.data_offsets[1]);
  const maxEnd = Math.max(0, ...sorted.map(([, e]) => e.data_offsets[1]));
  if (maxEnd > data.length) fail(`truncated: header says ${maxEnd} bytes of data, file has ${data.length}`);
  let pos = 0;
  for (const [name, e] of sorted) {
    const [begin, end] = e.data_offsets;
    if (begin !== pos) fail(`tensor "${name}": data_offsets [${begin}, ${end}] ${begin < pos ? 'overlap' : 'leave a gap after'} the previous tensor (ends at ${pos})`);
    pos = end;
  }
  if (pos !== data.length) fail(`${data.length - pos} unused bytes after the tensor data (header covers ${pos} of ${data.length})`);
  return {
    metadata,
    entries,
    bytes(name: string): Uint8Array {
      const entry = entries[name];
      if (!entry) throw new Error(`${path}: no tensor named ${name}`);
      return data.subarray(entry.data_offsets[0], entry.data_offsets[1]);
    },
    values(name: string): Float64Array {
      const entry = entries[name];
      if (!entry) throw new Error(`${path}: no tensor named ${name}`);
      const [begin, end] = entry.data_offsets;
      const bytes = data.subarray(begin, end);
      const n = (end - begin) / (BYTES[entry.dtype] ?? 1);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        switch (entry.dtype) {
          case 'F32': out[i] = bytes.readFloatLE(4 * i); break;
          case 'F64': out[i] = bytes.readDoubleLE(8 * i); break;
          case 'BF16': out[i] = new Float32Array(new Uint32Array([bytes.readUInt16LE(2 * i) << 16]).buffer)[0]!; break;
          default: throw new Error(`${path}: ${name} has dtype ${entry.dtype}, values() reads floats`);
        }
      }
      return out;
    },
  };
}
