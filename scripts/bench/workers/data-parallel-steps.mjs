// One rank of `npm run bench -- distributed` (alone, or one of several started with torchrun's variables):
// WARMUP + STEPS train steps of a model preset on this rank's share of a GLOBAL batch; rank 0 prints JSON
// with the seconds per step and the time spent in the gradient all-reduce.
import { joinProcessGroup } from '../../../dist/launch/process-group.js';
import { Autoencoder } from '../../../dist/models/autoencoder.js';
import { Denoiser } from '../../../dist/models/denoiser.js';
import { manualSeed, setNumThreads } from '../../../dist/runtime.js';
import { tensor } from '../../../dist/tensor.js';

const { MODEL, PRESET, THREADS, GLOBAL, STEPS, WARMUP } = process.env;
setNumThreads(Number(THREADS));
const group = await joinProcessGroup({ threads: Number(THREADS) });
const local = Number(GLOBAL) / group.worldSize;
manualSeed(1);

function input(shape) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.01) + 0.1 * Math.cos(i * 0.37);
  return tensor(data, shape);
}

let step;
let parameters;
if (MODEL === 'ae') {
  const ae = Autoencoder.create(PRESET, { pix_channels: 4 });
  ae.configureOptimizer({ lr: 1e-5 });
  const x = input([local, 4, 64, 64]);
  step = () => ae.trainStep(x, 1e-5);
  parameters = ae.parameterCount();
} else {
  const d = Denoiser.create(PRESET, { overrides: { channels: 16, label_features: 0, spatial: 2 } });
  d.configureOptimizer({ lr: 1e-5 });
  const x = input([local, d.config.window, 16, 8, 8]);
  step = () => d.trainStep({ state: x }, 1e-5);
  parameters = d.parameterCount();
}
for (let i = 0; i < Number(WARMUP); i++) await step();
const before = group.stats();
const start = performance.now();
for (let i = 0; i < Number(STEPS); i++) await step();
const seconds = (performance.now() - start) / 1000;
const after = group.stats();
if (group.isMain)
  process.stdout.write(
    `${JSON.stringify({
      parameters,
      secondsPerStep: seconds / Number(STEPS),
      allReduceSecondsPerStep: (after.allReduceSeconds - before.allReduceSeconds) / Number(STEPS),
      bytesPerStep: (after.bytesAllReduced - before.bytesAllReduced) / Number(STEPS),
    })}\n`,
  );
