import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LatentCacheFile, LatentCacheWriter, StaleCacheError, configHash, hashFile } from '../../lib/data/latent-cache.js';
import { tempDir } from './fixtures.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);

describe('latent cache', () => {
  const weights = join(dir, 'ae.safetensors');
  const path = join(dir, 'cache.hdf5');
  const config = { name: 'toy', fields: ['a', 'b'] };
  const N = 3, T = 6, latent = [2, 2, 2];
  const value = (n: number, t: number, j: number) => 100 * n + 10 * t + j / 10;

  beforeAll(async () => {
    writeFileSync(weights, Buffer.from('pretend these are autoencoder weights'));
    const w = await LatentCacheWriter.create(path, {
      n: N, steps: T, latentShape: latent, labelDim: 3,
      aeHash: await hashFile(weights), compressionRate: 80, datasetConfigHash: configHash(config), datasetConfig: config, source: 'toy.hdf5', repeat: 1,
    });
    for (let n = 0; n < N; n++) {
      const data = Float32Array.from({ length: T * 8 }, (_, k) => value(n, Math.floor(k / 8), k % 8));
      w.write(n, { data, shape: [T, ...latent] }, Float32Array.of(n, n + 0.5, 2));
    }
    w.close();
  });

  test('round trip: state windows and labels come back exactly', async () => {
    const f = await LatentCacheFile.open(path, { aeHash: await hashFile(weights), compressionRate: 80, datasetConfigHash: configHash({ fields: ['a', 'b'], name: 'toy' }) });
    expect(f.stateShape).toEqual([3, 6, 2, 2, 2]);
    expect(f.meta).toMatchObject({ compressionRate: 80, source: 'toy.hdf5', repeat: 1, datasetConfig: config });
    const w = f.readWindow(2, 1, 3, 2);
    expect(w.shape).toEqual([3, 2, 2, 2]);
    expect(w.data[0]).toBeCloseTo(value(2, 1, 0), 4);
    expect(w.data[8 + 7]).toBeCloseTo(value(2, 3, 7), 4);
    expect(w.data[16 + 3]).toBeCloseTo(value(2, 5, 3), 4);
    expect(Array.from(f.label(1))).toEqual([1, 1.5, 2]);
    f.close();
  });

  test('a cache made by other weights, rate or configuration is refused as stale', async () => {
    await expect(LatentCacheFile.open(path, { aeHash: 'f'.repeat(64) })).rejects.toThrow(StaleCacheError);
    await expect(LatentCacheFile.open(path, { compressionRate: 320 })).rejects.toThrow(/compression rate 80 ≠ expected 320/);
    await expect(LatentCacheFile.open(path, { datasetConfigHash: configHash({ ...config, fields: ['b', 'a'] }) })).rejects.toThrow(/dataset configuration changed/);
  });

  test('hashes: the weights hash is sha256 of the bytes; config hashes ignore key order', async () => {
    expect(await hashFile(weights)).toBe('6d310188ce03d28d663a4f4cb485fccf9d83e6344f35f6c9c9c7c016c43c46bc');
    expect(configHash({ a: 1, b: [1, 2] })).toBe(configHash({ b: [1, 2], a: 1 }));
    expect(configHash({ a: 1 })).not.toBe(configHash({ a: 2 }));
  });
});
