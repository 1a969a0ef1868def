// Training throughput of the CPU-sized autoencoder presets through the whole run machinery (batches built
// from Well files, schedule, metrics, checkpoints), and the share of wall time spent outside the native
// step (data wait, JS bookkeeping; target < 5 %), next to the same step looped inside C++.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { WellWriter } from '../../dist/data/well-writer.js';
import { Autoencoder } from '../../dist/models/autoencoder.js';
import { tensor } from '../../dist/tensor.js';
import { resolveAeConfig, composeConfig } from '../../dist/train/config.js';
import { trainAutoencoder } from '../../dist/train/train-ae.js';

const N = 64;
const T = 8;
const C = 5;
const BATCH = 8;
const STEPS = 10;
const RUNS = [
  ['dcae_f8c16_cpu', 'adamw'],
  ['dcae_f16c32_cpu', 'adamw'],
  ['dcae_f8c16_cpu', 'soap'],
];
const FIELDS = ['density', 'energy', 'pressure', 'momentum_x', 'momentum_y'];

async function writeData(root) {
  for (const [split, B] of Object.entries({ train: 8, valid: 2 })) {
    const dir = join(root, 'datasets', 'bench', 'data', split);
    mkdirSync(dir, { recursive: true });
    const coords = Array.from({ length: N }, (_, i) => i / N);
    const w = await WellWriter.create(join(dir, 'bench.hdf5'), {
      datasetName: 'bench',
      nTrajectories: B,
      spatialDims: ['x', 'y'],
      coordinates: { x: coords, y: coords },
      time: Array.from({ length: T }, (_, t) => 0.1 * t),
      parameters: { gamma: 1.4 },
      fields: [{ name: 'density' }, { name: 'energy' }, { name: 'pressure' }, { name: 'momentum', order: 1 }],
      boundaryConditions: { x: 'PERIODIC', y: 'PERIODIC' },
    });
    for (let b = 0; b < B; b++) {
      const data = new Float32Array(T * C * N * N);
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.013 + b) + 0.3 * Math.cos(i * 0.0021 * (b + 1));
      w.writeTrajectory(b, { data, shape: [T, C, N, N] });
    }
    w.close();
  }
}

export async function run(report) {
  const root = mkdtempSync(join(tmpdir(), 'le-bench-train-'));
  try {
    await writeData(join(root, 'data'));
    const results = {};
    for (const [preset, optim] of RUNS) {
      const key = `${preset}/${optim}`;
      const config = resolveAeConfig(
        composeConfig({
          name: preset,
          runs_dir: join(root, 'runs'),
          dataset: { name: 'bench', physics: ['bench'], fields: FIELDS, augment: ['random_axis_flip', 'random_axis_permute', 'random_axis_roll'], root: join(root, 'data') },
          ae: preset,
          optim,
          train: { epochs: 2, epoch_size: STEPS, batch_size: BATCH },
          valid: { epoch_size: 8, batch_size: 8 },
        }),
      );
      const r = await trainAutoencoder(config, { progress: 'none', log: () => {} });
      const m = r.metrics[1]; // the second epoch: no first-step warm-up
      // The same step looped inside C++ on a fixed batch.
      const ae = Autoencoder.create(preset, { pix_channels: C });
      ae.configureOptimizer({ optimizer: optim });
      const x = tensor(new Float32Array(BATCH * C * N * N).map((_, i) => Math.sin(i * 0.01)), [BATCH, C, N, N]);
      await ae.benchLoop(x, 'train', 1, 1e-4);
      const inside = await ae.benchLoop(x, 'train', 4, 1e-4);
      results[key] = {
        samples_per_s: +m.samples_per_s.toFixed(2),
        native_loop_samples_per_s: +((4 * BATCH) / inside).toFixed(2),
        outside_native_share: +m.outside_share.toFixed(4),
        batch: BATCH,
        grid: `${N}x${N}x${C}`,
      };
      console.log(`${key.padEnd(22)} ${String(results[key].samples_per_s).padStart(7)} samples/s in runs (${results[key].native_loop_samples_per_s} in a C++ loop), outside the native step ${(100 * m.outside_share).toFixed(2)} % (target < 5 %)`);
    }
    report('training', results);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run((name, value) => console.log(JSON.stringify({ [name]: value }, null, 2)));
