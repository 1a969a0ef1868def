// The JS ⇄ libtorch tensor boundary: round trips for every dtype, devices, disposal, and errors that are
// JavaScript exceptions (TypeError for wrong types), never a crash.
import { tensor, isTensor } from '../../lib/tensor.js';
import { native } from '../../lib/native/loader.js';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an exception');
}

describe('Tensor', () => {
  test('float32 round trip keeps shape, dtype, device and values', () => {
    const t = tensor(new Float32Array([1, -2, 3.5, 4, 5, 6]), [2, 3]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.device).toBe('cpu');
    expect(Array.from(t.dataSync() as Float32Array)).toEqual([1, -2, 3.5, 4, 5, 6]);
    expect(isTensor(t)).toBe(true);
    expect(isTensor({ shape: [1] })).toBe(false);
  });

  test('every dtype travels both ways', async () => {
    expect(Array.from(tensor(new Float64Array([0.1, 1e300]), [2]).dataSync() as Float64Array)).toEqual([0.1, 1e300]);
    expect(Array.from(tensor(new BigInt64Array([2n ** 40n, -3n]), [2]).dataSync() as BigInt64Array)).toEqual([2n ** 40n, -3n]);
    expect(Array.from(tensor(new Int32Array([7, -7]), [1, 2]).dataSync() as Int32Array)).toEqual([7, -7]);
    expect(Array.from(tensor(new Uint8Array([1, 0, 1]), [3], 'bool').dataSync() as Uint8Array)).toEqual([1, 0, 1]);
    // bfloat16 is the top half of a float32: 1.0 = 0x3f80, -2.0 = 0xc000.
    const bf = tensor(new Uint16Array([0x3f80, 0xc000]), [2], 'bfloat16');
    expect(Array.from((await bf.to('float32')).dataSync() as Float32Array)).toEqual([1, -2]);
    // float16: 1.0 = 0x3c00, 0.5 = 0x3800.
    const half = tensor(new Uint16Array([0x3c00, 0x3800]), [2], 'float16');
    expect(Array.from((await half.to('float64')).dataSync() as Float64Array)).toEqual([1, 0.5]);
    const back = await tensor(new Float32Array([1, -2]), [2]).to('bfloat16');
    expect(back.dtype).toBe('bfloat16');
    expect(Array.from(back.dataSync() as Uint16Array)).toEqual([0x3f80, 0xc000]);
  });

  test('the input is copied: later changes to the JS array do not reach the tensor', async () => {
    const data = new Float32Array([1, 2]);
    const t = tensor(data, [2]);
    data[0] = 99;
    expect(Array.from(await t.data() as Float32Array)).toEqual([1, 2]);
  });

  test('wrong arguments are TypeErrors or Errors naming the problem', () => {
    const Tensor = native().Tensor;
    // Native errors come from Node's realm, not jest's sandbox: compare the error's name.
    expect(thrown(() => new Tensor([1, 2] as unknown as Float32Array, [2]))).toMatchObject({ name: 'TypeError', message: expect.stringMatching(/data must be a typed array/) });
    expect(() => tensor(new Float32Array(6), [4, 2])).toThrow(/shape \[4, 2\] holds 8 elements, the Float32Array has 6/);
    expect(() => tensor(new Float32Array(2), [2], 'bfloat16')).toThrow(/dtype bfloat16 needs a Uint16Array, got a Float32Array/);
    expect(() => tensor(new Float32Array(2), [2], 'complex' as never)).toThrow(/unknown dtype "complex"/);
    expect(() => tensor(new Float32Array(2), [-2])).toThrow(/shape\[0\] must be a non-negative integer/);
  });

  test('devices: unknown names and unavailable CUDA are clear errors', async () => {
    const t = tensor(new Float32Array([1]), [1]);
    expect(() => t.to('tpu')).toThrow(/unknown device "tpu"/);
    if (!native().info().cudaAvailable) expect(() => t.to('cuda')).toThrow(/CUDA is not available/);
    else expect((await t.to('cuda')).device).toBe('cuda:0');
  });

  test('a disposed tensor refuses use instead of crashing', () => {
    const t = tensor(new Float32Array([1, 2]), [2]);
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.dataSync()).toThrow(/disposed/);
    expect(() => t.shape).toThrow(/disposed/);
    t.dispose(); // twice is harmless
  });
});
