// Data-parallel training on this machine (c10d Gloo over 127.0.0.1): steps/s of 1 rank × 2 threads against
// 2 ranks × 1 thread on the same global batch and the same cores, the gradient all-reduce's share of the
// step time, and the bytes each rank all-reduces per step for every model preset (fp32 gradients: 4 bytes
// per parameter, plus 16 bytes of loss statistics).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Autoencoder } from '../../dist/models/autoencoder.js';
import { Denoiser } from '../../dist/models/denoiser.js';

const here = join(fileURLToPath(import.meta.url), '..');
const worker = join(here, 'workers', 'data-parallel-steps.mjs');
const CASES = [
  { model: 'ae', preset: 'dcae_f8c16_cpu', global: 8 },
  { model: 'denoiser', preset: 'vit_tiny_cpu', global: 8 },
];
const STEPS = 6;
const WARMUP = 2;

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function runRanks(c, ranks, threads, port) {
  const base = { ...process.env, MODEL: c.model, PRESET: c.preset, THREADS: String(threads), GLOBAL: String(c.global), STEPS: String(STEPS), WARMUP: String(WARMUP) };
  const children = Array.from({ length: ranks }, (_, rank) => {
    const env = ranks === 1 ? base : { ...base, RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(ranks), LOCAL_WORLD_SIZE: String(ranks), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) };
    const child = spawn(process.execPath, [worker], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    return new Promise((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${c.model} rank ${rank} exited with ${code}`)))));
  });
  return Promise.all(children).then((outs) => JSON.parse(outs.find((o) => o.trim())));
}

export async function run(report) {
  const results = { note: 'shared 2-core machine: compare the ratios of one run, not absolute times', cases: {}, bytesPerStep: {} };
  for (const c of CASES) {
    const one = await runRanks(c, 1, 2, 0);
    const two = await runRanks(c, 2, 1, await freePort());
    const row = {
      parameters: one.parameters,
      globalBatch: c.global,
      stepsPerSecond1x2: 1 / one.secondsPerStep,
      stepsPerSecond2x1: 1 / two.secondsPerStep,
      speedup2x1Over1x2: one.secondsPerStep / two.secondsPerStep,
      allReduceShare: two.allReduceSecondsPerStep / two.secondsPerStep,
      allReduceMsPerStep: two.allReduceSecondsPerStep * 1e3,
      bytesAllReducedPerStep: two.bytesPerStep,
    };
    results.cases[`${c.model}:${c.preset}`] = row;
    console.log(
      `${c.model} ${c.preset} (${(row.parameters / 1e6).toFixed(2)} M params, global batch ${c.global}): ` +
        `1 rank × 2 threads ${row.stepsPerSecond1x2.toFixed(2)} steps/s, 2 ranks × 1 thread ${row.stepsPerSecond2x1.toFixed(2)} steps/s ` +
        `(×${row.speedup2x1Over1x2.toFixed(2)}); all-reduce ${row.allReduceMsPerStep.toFixed(1)} ms/step = ${(100 * row.allReduceShare).toFixed(1)}% of the step, ` +
        `${(row.bytesAllReducedPerStep / 1e6).toFixed(2)} MB/step`,
    );
  }
  // Bytes per step of every preset: the gradient of every trainable parameter in fp32, plus the loss statistics.
  for (const preset of ['dcae_f8c16_cpu', 'dcae_f16c32_cpu', 'dcae_f32c64_small']) {
    results.bytesPerStep[`ae:${preset}`] = Autoencoder.create(preset, { pix_channels: 4 }).parameterCount() * 4 + 16;
  }
  for (const preset of ['vit_tiny_cpu', 'vit_small_cpu', 'vit_small']) {
    results.bytesPerStep[`denoiser:${preset}`] = Denoiser.create(preset, { overrides: { channels: 64, label_features: 0, spatial: 2 } }).parameterCount() * 4 + 16;
  }
  for (const [name, bytes] of Object.entries(results.bytesPerStep)) console.log(`  all-reduced per step per rank: ${name} ${(bytes / 1e6).toFixed(1)} MB`);
  report('distributed', results);
}
