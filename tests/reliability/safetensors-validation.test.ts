// The public readSafetensors validates a file as loadWeights does: every damaged or hostile header below is
// refused by both, with the same message.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { readSafetensors } from '../../lib/io/safetensors.js';
import { Autoencoder } from '../../lib/models/autoencoder.js';
import { tempDir, TINY_AE } from '../train/fixtures.js';

const { dir, cleanup } = tempDir('le-st-');
afterAll(() => cleanup());

/** A safetensors file from a header object (or raw header text) and a data section. */
function file(name: string, header: unknown, data: Buffer): string {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([length, text, data]));
  return path;
}

const eight = Buffer.alloc(8);
const cases: Array<[string, unknown, Buffer, string]> = [
  ['bad-json', '{"a":', eight, 'invalid header JSON'],
  ['not-object', '[1,2]', eight, 'header is not a JSON object'],
  ['bad-dtype', { a: { dtype: 'F128', shape: [2], data_offsets: [0, 8] } }, eight, 'tensor "a": unsupported dtype "F128"'],
  ['negative-shape', { a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, eight, 'tensor "a": shape entries must be a non-negative integer'],
  ['span-mismatch', { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, eight, 'tensor "a": shape [3] x F32 needs 12 bytes, data_offsets span 8'],
  ['truncated', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, eight, 'truncated: header says 16 bytes of data, file has 8'],
  ['overlap', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight, 'tensor "b": data_offsets [4, 8] overlap the previous tensor (ends at 8)'],
  ['gap', { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight, 'tensor "a": data_offsets [4, 8] leave a gap after the previous tensor (ends at 0)'],
  ['trailing', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, eight, '4 unused bytes after the tensor data'],
  ['extra-field', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8], x: 1 } }, eight, 'tensor "a" has unexpected fields'],
  ['metadata', { __metadata__: { k: 3 }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, eight, '__metadata__ value for "k" is not a string'],
];

describe('readSafetensors and loadWeights refuse the same files with the same message', () => {
  const ae = Autoencoder.create({ ...TINY_AE, pix_channels: 3 });
  test.each(cases)('%s', async (name, header, data, message) => {
    const path = file(`${name}.safetensors`, header, data);
    expect(() => readSafetensors(path)).toThrow(`${path}: ${message}`);
    await expect(ae.loadWeights(path)).rejects.toThrow(`${path}: ${message}`);
  });

  test('a valid file reads back its values', () => {
    const data = Buffer.alloc(12);
    [1.5, -2, 3.25].forEach((v, i) => data.writeFloatLE(v, 4 * i));
    const path = file('ok.safetensors', { __metadata__: { note: 'x' }, w: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, data);
    const st = readSafetensors(path);
    expect(st.metadata).toEqual({ note: 'x' });
    expect(Array.from(st.values('w'))).toEqual([1.5, -2, 3.25]);
  });

  test('too short and too long', () => {
    writeFileSync(join(dir, 'short.safetensors'), Buffer.alloc(5));
    expect(() => readSafetensors(join(dir, 'short.safetensors'))).toThrow('too short for a safetensors file (5 bytes)');
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 40n);
    writeFileSync(join(dir, 'huge.safetensors'), huge);
    expect(() => readSafetensors(join(dir, 'huge.safetensors'))).toThrow('is implausibly large');
  });
});
