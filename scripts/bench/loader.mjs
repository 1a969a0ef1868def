// Loader throughput: fp32 megabytes per second delivered as training windows (5 states, stride 4),
// with 1 and with N worker threads, against Python h5py + NumPy reading the same windows in the same
// run when /usr/bin/python3 (or python3) has h5py (Debian: python3-h5py); skipped otherwise.
// Prints ratios; asserts nothing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchLoader, WellWriter } from '../../dist/data/index.js';

const B = 6, T = 33, N = 128, STEPS = 5, STRIDE = 4, BATCH = 8;
const FIELDS = ['energy', 'density', 'pressure', 'momentum_x', 'momentum_y'];

async function makeData(root) {
  const dir = join(root, 'bench_euler', 'train');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'bench_euler_gamma_1.4.hdf5');
  const w = await WellWriter.create(path, {
    datasetName: 'bench_euler', nTrajectories: B, spatialDims: ['x', 'y'],
    coordinates: { x: Array.from({ length: N }, (_, i) => i / N), y: Array.from({ length: N }, (_, i) => i / N) },
    time: Array.from({ length: T }, (_, t) => 0.015 * t), parameters: { gamma: 1.4 },
    fields: [{ name: 'energy' }, { name: 'density' }, { name: 'pressure' }, { name: 'momentum', order: 1 }],
    boundaryConditions: { x: 'PERIODIC', y: 'PERIODIC' },
  });
  for (let b = 0; b < B; b++) {
    const data = new Float32Array(T * 5 * N * N);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 1e-3 + b);
    w.writeTrajectory(b, { data, shape: [T, 5, N, N] });
  }
  w.close();
  return path;
}

async function measure(source, workers, repeats = 2) {
  const loader = await BatchLoader.open(source, { batchSize: BATCH, shuffle: 'none', workers, prefetch: Math.max(2, 2 * workers) });
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < repeats; r++) for await (const b of loader) bytes += b.state.data.byteLength;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await loader.close();
  return { mbPerS: bytes / 1e6 / s, bytes, seconds: s };
}

function h5pyRate(path, repeats = 2) {
  const script = `
import sys, time, h5py, numpy as np
path, B, T, steps, stride, repeats = sys.argv[1], *map(int, sys.argv[2:7])
fields = [('t0_fields/energy', None), ('t0_fields/density', None), ('t0_fields/pressure', None), ('t1_fields/momentum', 0), ('t1_fields/momentum', 1)]
windows = T - (steps - 1) * stride
nbytes = 0
t0 = time.perf_counter()
for _ in range(repeats):
    with h5py.File(path, 'r') as f:
        for b in range(B):
            for s in range(windows):
                sl = slice(s, s + (steps - 1) * stride + 1, stride)
                cache = {}
                chans = []
                for name, comp in fields:
                    if name not in cache: cache[name] = f[name][b, sl]
                    chans.append(cache[name] if comp is None else cache[name][..., comp])
                x = np.ascontiguousarray(np.stack(chans, axis=1), dtype=np.float32)
                nbytes += x.nbytes
print(nbytes / 1e6 / (time.perf_counter() - t0))
`;
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', script, path, String(B), String(T), String(STEPS), String(STRIDE), String(repeats)], { encoding: 'utf8' });
    if (r.status === 0) return Number(r.stdout.trim());
  }
  return null;
}

export async function run(report) {
  const root = mkdtempSync(join(tmpdir(), 'le-bench-loader-'));
  try {
    const path = await makeData(root);
    const config = { name: 'bench', physics: ['bench_euler'], fields: FIELDS, augment: [], stride: STRIDE };
    const source = { kind: 'well', options: { root, split: 'train', config, steps: STEPS } };
    const n = Math.max(2, Math.min(8, availableParallelism() - 1));
    await measure(source, 1, 1); // warm-up (page cache, wasm compile)
    const one = await measure(source, 1);
    const many = await measure(source, n);
    const h5py = h5pyRate(path);
    const result = {
      window: `${STEPS}×${FIELDS.length}×${N}×${N} fp32, stride ${STRIDE}, batch ${BATCH}`,
      mb_per_s_1_worker: +one.mbPerS.toFixed(1),
      workers: n,
      mb_per_s_n_workers: +many.mbPerS.toFixed(1),
      scaling: +(many.mbPerS / one.mbPerS).toFixed(2),
      scaling_per_worker: +(many.mbPerS / one.mbPerS / n).toFixed(2),
      h5py_mb_per_s: h5py === null ? null : +h5py.toFixed(1),
      vs_h5py_1_worker: h5py === null ? null : +(one.mbPerS / h5py).toFixed(2),
      vs_h5py_n_workers: h5py === null ? null : +(many.mbPerS / h5py).toFixed(2),
      ...(h5py === null ? { h5py_skipped: 'python3 with h5py not found (Debian: apt-get install python3-h5py)' } : {}),
    };
    report('loader', result);
    return result;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// Run alone: `node scripts/bench/loader.mjs` (after `npm run build:ts`).
if (import.meta.url === `file://${process.argv[1]}`) {
  await run((name, obj) => console.log(name, JSON.stringify(obj, null, 2)));
}
