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

export function readSafetensors(path: string): SafetensorsFile {
  const buffer = readFileSync(path);
  if (buffer.length < 8) throw new Error(`${path}: not a safetensors file (${buffer.length} bytes)`);
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (8 + headerLength > buffer.length) throw new Error(`${path}: truncated header (${headerLength} bytes announced, ${buffer.length - 8} present)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new Error(`${path}: header is not valid JSON`);
  }
  const { __metadata__: metadata = {}, ...entries } = header as { __metadata__?: Record<string, string> } & Record<string, SafetensorsEntry>;
  const data = buffer.subarray(8 + headerLength);
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
