// Item-parallel commands as several ranks: `launch -- cache-latents` shares the split's files out across the
// ranks (each writes its own), and the cache holds exactly what a single process writes.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';

import { LatentCacheFile } from '../../lib/data/latent-cache.js';
import { cacheLatents } from '../../lib/train/cache-latents.js';
import { composeConfig, resolveAeConfig } from '../../lib/train/config.js';
import { trainAutoencoder } from '../../lib/train/train-ae.js';
import { tempDir, wavesRun, writeWaves } from '../train/fixtures.js';
import { CLI, freePort, run } from './helpers.js';

let root: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('le-dp-items-'));
  await writeWaves(join(root, 'data'));
  // A second file in the valid split, so that two ranks have a file each.
  const valid = join(root, 'data', 'datasets', 'waves', 'data', 'valid');
  copyFileSync(join(valid, 'waves.hdf5'), join(valid, 'waves_b.hdf5'));
});
afterAll(() => cleanup());

test('cache-latents on 2 ranks writes every file, identical to one process', async () => {
  const config = resolveAeConfig(composeConfig(wavesRun(join(root, 'data'), join(root, 'runs')), ['train.epochs=1', 'train.epoch_size=1']));
  const ae = await trainAutoencoder(config, { runDir: join(root, 'runs', 'ae'), progress: 'none', log: () => {} });
  const alone = await cacheLatents(ae.dir, { split: 'valid', out: join(root, 'alone') });
  expect(alone.files.map((f) => f.split('/').pop())).toEqual(['waves.hdf5', 'waves_b.hdf5']);

  const r = await run([CLI, 'launch', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--', 'cache-latents', ae.dir, '--split', 'valid', '--out', join(root, 'ranks')]);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.err}`);
  for (const name of ['waves.hdf5', 'waves_b.hdf5']) {
    const a = await LatentCacheFile.open(join(root, 'alone', 'waves', 'valid', name));
    const b = await LatentCacheFile.open(join(root, 'ranks', 'waves', 'valid', name));
    try {
      expect(b.n).toBe(a.n);
      expect(b.meta).toEqual(a.meta);
      for (let i = 0; i < a.n; i++) expect(Array.from(b.readWindow(i, 0, a.steps).data)).toEqual(Array.from(a.readWindow(i, 0, a.steps).data));
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    } finally {
      a.close();
      b.close();
    }
  }
}, 180_000);
