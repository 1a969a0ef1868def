// Up-front size checks: requests whose memory or disk estimate exceeds what is free are refused before any
// work, with the estimate and the limit, and run when the user overrides the check.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { Denoiser } from '../../lib/models/denoiser.js';
import { generateEuler } from '../../lib/solvers/generate.js';
import { tensor } from '../../lib/tensor.js';
import { formatBytes, freeDisk, guardDisk, guardMemory, IGNORE_SIZE_LIMITS_ENV } from '../../lib/util/size-guard.js';
import { tiny } from '../emulate/helpers.js';
import { tempDir } from '../train/fixtures.js';

const { dir, cleanup } = tempDir('le-size-');
afterAll(() => cleanup());

test('the guards compare the estimate with the limit and say both', () => {
  expect(() => guardMemory('job', 3 * 2 ** 30, {}, 2 ** 30)).toThrow('job needs about 3.0 GiB of memory, but 1.0 GiB is free; make it smaller, or pass --ignore-size-limits');
  expect(() => guardMemory('job', 2 ** 29, {}, 2 ** 30)).not.toThrow();
  expect(() => guardMemory('job', 3 * 2 ** 30, { ignoreSizeLimits: true }, 2 ** 30)).not.toThrow();
  expect(() => guardMemory('job', Infinity, {}, 2 ** 30)).toThrow(/unbounded/);
  const free = freeDisk(join(dir, 'not', 'yet', 'made'));
  expect(free).toBeGreaterThan(0);
  expect(() => guardDisk('write', join(dir, 'x'), free * 2)).toThrow(new RegExp(`needs about ${formatBytes(free * 2).replace('.', '\\.')} of disk in .*x, but .* is free there`));
  process.env[IGNORE_SIZE_LIMITS_ENV] = '1';
  try {
    expect(() => guardDisk('write', join(dir, 'x'), free * 2)).not.toThrow();
  } finally {
    delete process.env[IGNORE_SIZE_LIMITS_ENV];
  }
  expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 2 ** 40)]).toEqual(['512 B', '1.5 KiB', '5.0 TiB']);
});

test('generate --trajectories 1e9 is refused before anything is written', async () => {
  const root = join(dir, 'gen');
  await expect(generateEuler({ boundary: 'open', root, trajectories: 1e9, resolution: 128, gamma: [1.4] })).rejects.toThrow(
    /generate: 1000000000 trajectories × 101 states × 320 KiB per state needs about .* PiB of disk in .*, but .* is free there/,
  );
  expect(existsSync(join(root, 'datasets'))).toBe(false);
});

test('rollout({ length: 1e9, members: 1e6 }) is refused at once; a small one runs', async () => {
  const model = Denoiser.create(tiny);
  const ctx = tensor(new Float32Array(4 * 4 * 4), [1, 1, 4, 4, 4]);
  await expect(model.rollout(ctx, tensor(new Float32Array(5), [5]), { length: 1e9, members: 1e6, steps: 1 })).rejects.toThrow(
    /rollout of 1 × 1000000 members × 1000000000 states needs about .* of memory, but .* is free/,
  );
  const r = await model.rollout(ctx, tensor(new Float32Array(5), [5]), { length: 3, members: 2, steps: 1 });
  expect(r.states.shape).toEqual([1, 2, 3, 4, 4, 4]);
});
