// The DCAE autoencoder through the public API: shapes and compression rates (2-D and 3-D), identity
// initialisation, saturation bounds, gradients against finite differences, overfitting a batch, weights
// round trips with the reference's keys, and clear errors for bad input.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Autoencoder } from '../../lib/models/autoencoder.js';
import { readSafetensors } from '../../lib/io/safetensors.js';
import { manualSeed } from '../../lib/runtime.js';
import { tensor } from '../../lib/tensor.js';

const tiny2d = {
  pix_channels: 5,
  lat_channels: 8,
  hid_channels: [8, 16, 32],
  hid_blocks: [1, 1, 1],
};

function randomBatch(shape: number[], seed = 1): Float32Array {
  // A small LCG so that inputs do not depend on libtorch's generator.
  let s = seed >>> 0;
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ae-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shapes and compression', () => {
  test('2-D: r = 4 for three levels, and the compression rate counts values', async () => {
    const ae = Autoencoder.create(tiny2d).eval();
    expect(ae.downsampling).toBe(4);
    const x = tensor(randomBatch([2, 5, 16, 32]), [2, 5, 16, 32]);
    const z = await ae.encode(x);
    expect(z.shape).toEqual([2, 8, 4, 8]);
    expect(ae.compressionRate([2, 5, 16, 32])).toBeCloseTo((16 * 32 * 5) / (4 * 8 * 8));
    const y = await ae.decode(z);
    expect(y.shape).toEqual([2, 5, 16, 32]);
  });

  test('3-D: (B, C, H, W, D) with r = 2 for two levels', async () => {
    const ae = Autoencoder.create({ spatial: 3, pix_channels: 6, lat_channels: 8, hid_channels: [8, 16], hid_blocks: [1, 1] }).eval();
    const z = await ae.encode(tensor(randomBatch([1, 6, 8, 8, 8]), [1, 6, 8, 8, 8]));
    expect(z.shape).toEqual([1, 8, 4, 4, 4]);
    expect((await ae.decode(z)).shape).toEqual([1, 6, 8, 8, 8]);
    expect(ae.compressionRate([1, 6, 8, 8, 8])).toBe(6);
  });

  test('the reference presets build and count the reference parameters', () => {
    // The spec counts 3.131e8 for dcae_f32c64_large with 5 channels: 1.565e8 encoder + 1.566e8 decoder.
    const large = Autoencoder.create('dcae_f32c64_large', { pix_channels: 5 });
    expect(large.parameterCount() / 1e8).toBeCloseTo(3.131, 2);
    expect(large.downsampling).toBe(32);
    expect(large.compressionRate([1, 5, 512, 512])).toBe(80);
  });
});

describe('initialisation', () => {
  test('keys follow the reference state dict, buffers included', () => {
    const names = Autoencoder.create(tiny2d).stateDictShapes().map((e) => `${e.name} ${JSON.stringify(e.shape)}`);
    expect(names.slice(0, 3)).toEqual(['encoder.descent.0.0.weight [8,5,3,3]', 'encoder.descent.0.0.bias [8]', 'encoder.descent.0.1.norm.eps []']);
    expect(names).toContain('encoder.descent.1.0.1.weight [16,32,3,3]');
    expect(names).toContain('decoder.ascent.0.2.0.weight [64,32,3,3]');
    expect(names.at(-1)).toBe('decoder.ascent.2.1.bias [5]');
    expect(names).toHaveLength(46);
  });

  test('a fresh down-sampling convolution is near-identity: W[o, o mod Cin, centre] ≈ 1, the rest ≈ 0', async () => {
    manualSeed(3);
    const ae = Autoencoder.create(tiny2d);
    const file = join(dir, 'init.safetensors');
    await ae.saveWeights(file);
    const st = readSafetensors(file);
    const w = st.values('encoder.descent.1.0.1.weight'); // [16, 32, 3, 3]
    let maxOff = 0;
    for (let o = 0; o < 16; o++) {
      for (let i = 0; i < 32; i++) {
        for (let k = 0; k < 9; k++) {
          const v = w[((o * 32 + i) * 3 + Math.floor(k / 3)) * 3 + (k % 3)]!;
          if (i === o % 32 && k === 4) expect(Math.abs(v - 1)).toBeLessThan(0.01);
          else maxOff = Math.max(maxOff, Math.abs(v));
        }
      }
    }
    expect(maxOff).toBeLessThan(0.01);
    expect(maxOff).toBeGreaterThan(0); // 1e-2 × the default initialisation, not zero
    // The ResBlocks' second convolutions start at 1e-2 of the default scale.
    const second = st.values('encoder.descent.0.1.ffn.3.weight');
    expect(Math.max(...second.map(Math.abs))).toBeLessThan(1e-2 * Math.sqrt(1 / (8 * 9)) + 1e-9);
  });

  test('softclip2 keeps every latent within ±5, even for huge inputs', async () => {
    const ae = Autoencoder.create(tiny2d).eval();
    const x = randomBatch([2, 5, 8, 8]).map((v) => v * 1e4);
    const z = (await ae.encode(tensor(x, [2, 5, 8, 8]))).dataSync() as Float32Array;
    const max = Math.max(...Array.from(z, Math.abs));
    expect(max).toBeLessThanOrEqual(5); // float32 rounds values just below 5 up to 5
    expect(max).toBeGreaterThan(1); // the bound is reached, not trivially satisfied
  });
});

describe('training', () => {
  test('gradients agree with finite differences (float64, random direction)', async () => {
    manualSeed(0);
    const ae = Autoencoder.create({ ...tiny2d, hid_channels: [4, 8, 8], lat_channels: 4 });
    const x = tensor(randomBatch([2, 5, 8, 8], 7), [2, 5, 8, 8]);
    for (const seed of [1, 2]) {
      const { analytic, numeric } = await ae.gradCheck(x, 1e-6, seed);
      expect(Math.abs(analytic)).toBeGreaterThan(1e-6);
      expect(Math.abs(analytic - numeric)).toBeLessThan(1e-5 * Math.max(1, Math.abs(analytic)));
    }
  });

  test('a tiny autoencoder overfits a small batch: the loss drops at least 10×', async () => {
    manualSeed(0);
    const ae = Autoencoder.create({ ...tiny2d, dropout: 0, loss: 'mse' });
    ae.configureOptimizer({ clip: 1 });
    // A smooth batch (sums of sines), like physical states.
    const shape = [4, 5, 8, 8];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      const w = i % 8, h = Math.floor(i / 8) % 8, c = Math.floor(i / 64) % 5, b = Math.floor(i / 320);
      data[i] = Math.sin((w + 1 + b) * 0.4 + c) * Math.cos(h * 0.3 - b);
    }
    const x = tensor(data, shape);
    const first = await ae.loss(x);
    let last = first;
    for (let step = 0; step < 200; step++) last = (await ae.trainStep(x, 3e-3)).loss;
    ae.eval();
    const final = await ae.loss(x);
    expect(final).toBeLessThan(first / 10);
    expect(last).toBeLessThan(first / 5);
  });

  test('a non-finite batch is skipped and reported, the weights stay finite', async () => {
    const ae = Autoencoder.create(tiny2d);
    const bad = randomBatch([1, 5, 8, 8]);
    bad[3] = NaN;
    const step = await ae.trainStep(tensor(bad, [1, 5, 8, 8]), 1e-3);
    expect(step.skipped).toBe(true);
    const ok = await ae.trainStep(tensor(randomBatch([1, 5, 8, 8]), [1, 5, 8, 8]), 1e-3);
    expect(ok.skipped).toBe(false);
    expect(Number.isFinite(ok.loss) && Number.isFinite(ok.gradNorm)).toBe(true);
  });

  test('bfloat16 autocast encodes close to float32', async () => {
    manualSeed(5);
    const ae = Autoencoder.create(tiny2d).eval();
    const x = tensor(randomBatch([2, 5, 16, 16]), [2, 5, 16, 16]);
    const z32 = (await ae.encode(x)).dataSync() as Float32Array;
    ae.setPrecision('bfloat16');
    const zbf = (await ae.encode(x)).dataSync() as Float32Array;
    const scale = Math.max(...Array.from(z32, Math.abs));
    const err = Math.max(...Array.from(z32, (v, i) => Math.abs(v - zbf[i]!)));
    expect(err).toBeGreaterThan(0); // really computed in bf16
    expect(err).toBeLessThan(0.05 * scale);
  });
});

describe('weights', () => {
  test('save → load into a fresh model gives identical outputs; metadata travels', async () => {
    manualSeed(11);
    const a = Autoencoder.create(tiny2d).eval();
    const file = join(dir, 'a.safetensors');
    await a.saveWeights(file, { run: 'test' });
    manualSeed(12);
    const b = Autoencoder.create(tiny2d).eval();
    const x = tensor(randomBatch([1, 5, 8, 8]), [1, 5, 8, 8]);
    const before = Array.from((await b.encode(x)).dataSync() as Float32Array);
    const { metadata, missing, unexpected } = await b.loadWeights(file);
    expect([missing, unexpected]).toEqual([[], []]);
    expect(metadata.run).toBe('test');
    expect(JSON.parse(metadata.config!)).toMatchObject({ lat_channels: 8, hid_channels: [8, 16, 32] });
    const za = Array.from((await a.encode(x)).dataSync() as Float32Array);
    const zb = Array.from((await b.encode(x)).dataSync() as Float32Array);
    expect(zb).toEqual(za);
    expect(zb).not.toEqual(before);
  });

  test('mismatched weights list the missing, unexpected and mis-shaped keys', async () => {
    const file = join(dir, 'wide.safetensors');
    await Autoencoder.create({ ...tiny2d, hid_channels: [8, 16, 24] }).saveWeights(file);
    await expect(Autoencoder.create(tiny2d).loadWeights(file)).rejects.toThrow(/encoder\.descent\.2\.0\.1\.weight: expected \[32, 64, 3, 3\], got \[24, 64, 3, 3\]/);
    const deeper = join(dir, 'deeper.safetensors');
    await Autoencoder.create({ ...tiny2d, hid_blocks: [1, 1, 2] }).saveWeights(deeper);
    await expect(Autoencoder.create(tiny2d).loadWeights(deeper)).rejects.toThrow(/unexpected.*encoder\.descent\.2\.2\.norm\.eps/s);
  });

  test('a corrupt or truncated weights file is an error naming the file, not a crash', async () => {
    const ae = Autoencoder.create(tiny2d);
    const good = join(dir, 'good.safetensors');
    await ae.saveWeights(good);
    const bytes = readFileSync(good);
    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(ae.loadWeights(truncated)).rejects.toThrow(/truncated\.safetensors/);
    const garbage = join(dir, 'garbage.safetensors');
    writeFileSync(garbage, Buffer.from('this is not a weights file at all'));
    await expect(ae.loadWeights(garbage)).rejects.toThrow(/garbage\.safetensors/);
    await expect(ae.loadWeights(join(dir, 'missing.safetensors'))).rejects.toThrow(/missing\.safetensors/);
  });
});

describe('reference equivalence', () => {
  // Fixtures from native/tests/reference_dcae.py: an independent float64 implementation of the
  // reference DCAE, its random weights under the reference's keys, an input and its latent and output.
  for (const name of ['dcae2d_small', 'dcae3d_small']) {
    test(`${name}: weights load unchanged and give the reference outputs (error ≤ 1e-4 of the largest value)`, async () => {
      const file = join('native', 'tests', 'fixtures', `${name}.safetensors`);
      const st = readSafetensors(file);
      const ae = Autoencoder.create(JSON.parse(st.metadata.config!)).eval();
      const report = await ae.loadWeights(file, { strict: false });
      expect(report.missing).toEqual([]);
      expect(report.unexpected.sort()).toEqual(['__input__', '__latent__', '__output__']);
      const input = tensor(Float32Array.from(st.values('__input__')), st.entries.__input__!.shape);
      const compare = (got: Float32Array, want: Float64Array) => {
        const scale = Math.max(...Array.from(want, Math.abs));
        const err = Math.max(...Array.from(want, (v, i) => Math.abs(v - got[i]!)));
        expect(got.length).toBe(want.length);
        expect(err).toBeLessThanOrEqual(1e-4 * scale);
      };
      const z = await ae.encode(input);
      compare(z.dataSync() as Float32Array, st.values('__latent__'));
      compare((await ae.decode(z)).dataSync() as Float32Array, st.values('__output__'));
    });
  }
});

describe('bad input', () => {
  const ae = () => Autoencoder.create(tiny2d);

  test('wrong channel count, indivisible size, wrong rank and dtype are clear errors', async () => {
    await expect(ae().encode(tensor(new Float32Array(4 * 64), [1, 4, 8, 8]))).rejects.toThrow(/expected 5 channels \(pix_channels\), got 4/);
    await expect(ae().encode(tensor(new Float32Array(5 * 100), [1, 5, 10, 10]))).rejects.toThrow(/not divisible by the total downsampling 4/);
    await expect(ae().encode(tensor(new Float32Array(5 * 8), [5, 8]))).rejects.toThrow(/Autoencoder\.encode/);
    await expect(ae().encode(tensor(new Int32Array(5 * 64), [1, 5, 8, 8]))).rejects.toThrow(/floating-point tensor, got int32/);
    await expect(ae().decode(tensor(new Float32Array(3 * 4), [1, 3, 2, 2]))).rejects.toThrow(/lat_channels/);
  });

  test('a disposed tensor and a non-tensor argument are rejected', async () => {
    const x = tensor(new Float32Array(5 * 64), [1, 5, 8, 8]);
    x.dispose();
    await expect(ae().encode(x)).rejects.toThrow(/disposed/);
    expect(() => (ae() as unknown as { model: { encode: Function } }).model.encode(42)).toThrow(/x must be a Tensor/);
  });

  test('bad configurations fail before any compute, naming the key', () => {
    expect(() => Autoencoder.create({ ...tiny2d, lat_chanels: 4 } as never)).toThrow(/unknown key 'lat_chanels' \(did you mean 'lat_channels'\?\)/);
    expect(() => Autoencoder.create({ ...tiny2d, hid_blocks: [1, 1] })).toThrow(/same length/);
    expect(() => Autoencoder.create('dcae_f32c64_lrage', { pix_channels: 5 })).toThrow(/did you mean 'dcae_f32c64_large'/);
    expect(() => Autoencoder.create({ ...tiny2d, saturation: 'clip' as never })).toThrow(/saturation/);
  });
});

describe('off the JavaScript thread', () => {
  test('a timer keeps firing while a long forward pass runs', async () => {
    const ae = Autoencoder.create('dcae_f8c16_cpu', { pix_channels: 5 }).eval();
    const x = tensor(randomBatch([8, 5, 128, 128]), [8, 5, 128, 128]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const start = Date.now();
    await ae.encode(x);
    const elapsed = Date.now() - start;
    clearInterval(timer);
    expect(elapsed).toBeGreaterThan(50); // long enough to tell
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 5 / 4));
  });

  test('concurrent calls on one model are serialized and all settle', async () => {
    const ae = Autoencoder.create(tiny2d).eval();
    const x = tensor(randomBatch([1, 5, 8, 8]), [1, 5, 8, 8]);
    const results = await Promise.all([ae.encode(x), ae.trainStep(x, 1e-3), ae.loss(x), ae.encode(x)]);
    expect((results[0] as { shape: number[] }).shape).toEqual([1, 8, 2, 2]);
    expect(typeof results[2]).toBe('number');
  });
});
