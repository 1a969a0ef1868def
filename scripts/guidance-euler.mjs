#!/usr/bin/env node
// MMPS guidance on the built-in Euler data: a reduced demo (32², 8 trajectories, 200-step autoencoder and
// diffusion runs; resumable), then `eval --operator OP --obs-noise 0.1` on its diffusion run, which also runs the
// unguided protocol; prints guided and unguided VRMSE by horizon (JSON). After `npm run build:ts`:
//   node scripts/guidance-euler.mjs OUT_DIR [subsample:4|downscale:4]
import { runDemo } from '../dist/demo/demo.js';
import { evaluateRun } from '../dist/eval/evaluate.js';

const [out, operator = 'subsample:4'] = process.argv.slice(2);
if (!out) {
  console.error('usage: node scripts/guidance-euler.mjs OUT_DIR [subsample:N|downscale:N]');
  process.exit(2);
}
const started = Date.now();
const log = (line) => console.error(line);
const demo = await runDemo({
  out, size: 'cpu', seed: 0, log,
  sizes: {
    resolution: 32, trajectories: 8, gamma: [1.4], steps: 41, stride: 2, repeat: 1, precision: 'float32',
    ae: { preset: 'dcae_f8c16_cpu', steps: 200, batch: 8, overrides: [] },
    emulator: { preset: 'vit_tiny_cpu', steps: 200, batch: 8, overrides: ['hid_channels=64', 'attention_heads=2', 'emb_features=32'] },
    eval: { trajectories: 2, samples: 4, steps: 8 },
  },
});
const { dir, summary } = await evaluateRun(demo.runs.diffusion, { trajectories: 4, samples: 4, steps: 8, operator, obsNoise: 0.1, solverSpeed: false, log });
console.log(JSON.stringify({
  operator, horizons: summary.horizons, trajectories: summary.protocol.trajectories,
  guided: summary.by_horizon.vrmse?.mean, unguided: summary.guidance?.unguided_vrmse, autoencoder: summary.by_horizon.ae_vrmse?.mean,
  dir, seconds: (Date.now() - started) / 1000,
}));
