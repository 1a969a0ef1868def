// The ownership rule at the JS ⇄ native boundary: tensor() copies its input, so the caller may reuse or
// overwrite the typed array at once, even while a call on the tensor runs; dataSync() is a view of the
// tensor's own memory (read it, don't write it: a write changes the tensor and any call that reads it).
import { Autoencoder } from '../../lib/models/autoencoder.js';
import { native } from '../../lib/native/loader.js';
import { tensor } from '../../lib/tensor.js';
import { TINY_AE } from '../train/fixtures.js';

test('tensor() copies: overwriting the source array during encode does not change the result', async () => {
  const ae = Autoencoder.create({ ...TINY_AE, pix_channels: 3, dropout: 0 }).eval();
  const source = Float32Array.from({ length: 3 * 16 * 16 }, (_, i) => Math.sin(i));
  const expected = Array.from((await ae.encode(tensor(Float32Array.from(source), [1, 3, 16, 16]))).dataSync() as Float32Array);
  const x = tensor(source, [1, 3, 16, 16]);
  const pending = ae.encode(x);
  source.fill(1e6); // while the encode is queued or running
  expect(Array.from((await pending).dataSync() as Float32Array)).toEqual(expected);
  expect((x.dataSync() as Float32Array)[1]).toBeCloseTo(Math.sin(1), 6);
});

test('dataSync() is a view: writing into it changes the tensor (the documented reason not to)', () => {
  const t = tensor(Float32Array.of(1, 2, 3), [3]);
  const view = t.dataSync() as Float32Array;
  view[0] = 42;
  expect(Array.from(t.dataSync() as Float32Array)).toEqual([42, 2, 3]);
});

test('a tensor a native call returns is held by its JS object alone, so dispose() frees it without waiting for GC', async () => {
  const ae = Autoencoder.create({ ...TINY_AE, pix_channels: 3, dropout: 0 }).eval();
  const x = tensor(Float32Array.from({ length: 3 * 16 * 16 }, (_, i) => Math.cos(i)), [1, 3, 16, 16]);
  expect(native().tensorUseCount(x)).toBe(1);
  // results come back through an External (V8 frees it at GC); it must hand its reference over, not copy it
  const copy = await x.to('cpu', 'float64');
  expect(native().tensorUseCount(copy)).toBe(1);
  const z = await ae.encode(x);
  expect(native().tensorUseCount(z)).toBe(1);
  copy.dispose();
  expect(() => native().tensorUseCount(copy)).toThrow(/disposed/);
});
