// One rank of the data-parallel equivalence test (run by data-parallel.test.ts, alone or as 2 ranks with
// torchrun's variables): a tiny DCAE or denoiser takes STEPS optimizer steps on a fixed global batch of
// GLOBAL samples per step (this rank's slice of it), then writes its weights to OUT/<model>-rank<R>.safetensors.
// Uses the compiled package (dist/), as the CLI does.
import { join } from 'node:path';

import { joinProcessGroup } from '../../dist/launch/process-group.js';
import { Autoencoder } from '../../dist/models/autoencoder.js';
import { Denoiser } from '../../dist/models/denoiser.js';
import { manualSeed, setNumThreads } from '../../dist/runtime.js';
import { tensor } from '../../dist/tensor.js';

const model = process.env.MODEL;
const steps = Number(process.env.STEPS ?? 4);
const global = Number(process.env.GLOBAL ?? 8);

function values(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

setNumThreads(1);
const group = await joinProcessGroup({ threads: 1 });
const local = global / group.worldSize;
manualSeed(3 + group.rank * 1000);  // different initial weights per rank: the broadcast from rank 0 must fix them
const rows = (step, shape) => {
  const per = shape.reduce((a, b) => a * b, 1);
  const all = values(global * per, 11 + step);
  return tensor(all.slice(group.rank * local * per, (group.rank + 1) * local * per), [local, ...shape]);
};

let net;
let step;
if (model === 'ae') {
  net = Autoencoder.create({ spatial: 2, pix_channels: 3, lat_channels: 4, hid_channels: [8, 16], hid_blocks: [1, 1], dropout: 0, noise: 0.1 });
  net.configureOptimizer({ lr: 1e-2, clip: 0.5, ema_decay: 0.9 });
  step = (k) => net.trainStep(rows(k, [3, 8, 8]), 1e-2);
} else {
  net = Denoiser.create({ channels: 4, label_features: 0, spatial: 2, hid_channels: 32, hid_blocks: 2, attention_heads: 2, ffn_factor: 2, emb_features: 16, dropout: 0, window: 3 });
  net.configureOptimizer({ lr: 1e-2, clip: 0.5 });
  step = (k) => net.trainStep({ state: rows(k, [3, 4, 4, 4]) }, 1e-2);
}
manualSeed(5);  // the training draws (noise, times, masks): the same generator on every rank
const losses = [];
for (let k = 0; k < steps; k++) losses.push((await step(k)).loss);
await net.saveWeights(join(process.env.OUT, `${model}-rank${group.rank}.safetensors`));
if (group.isMain) process.stdout.write(`${JSON.stringify({ losses, stats: group.stats() })}\n`);
