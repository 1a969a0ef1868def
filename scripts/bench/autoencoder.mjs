// DCAE throughput on this machine, fp32 and bf16: encode, decode and train steps in samples/s, achieved
// FLOP/s as a fraction of the matmul peak of the same precision measured in this run, and the cost of the
// JS boundary (the same loop driven from JavaScript against the loop inside C++).
import { Autoencoder } from '../../dist/models/autoencoder.js';
import { autoencoderFlops } from '../../dist/models/flops.js';
import { native } from '../../dist/native/loader.js';
import { tensor } from '../../dist/tensor.js';

const PRESET = 'dcae_f8c16_cpu';
const SHAPE = [8, 5, 64, 64];
const ITERS = { encode: 12, decode: 12, train: 6 };

function input(shape) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.01) + 0.1 * Math.cos(i * 0.37);
  return tensor(data, shape);
}

async function timeJs(ae, what, x, z, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if (what === 'encode') await ae.encode(x);
    else if (what === 'decode') await ae.decode(z);
    else await ae.trainStep(x, 1e-5);
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function run(report) {
  const addon = native();
  const results = {};
  for (const precision of ['float32', 'bfloat16']) {
    // The best of three ~1 s runs: a single short run underestimates the peak (threads ramp up).
    let peak = 0;
    for (let i = 0; i < 3; i++) peak = Math.max(peak, await addon.matmulPeak(2048, precision, precision === 'float32' ? 16 : 64));
    const ae = Autoencoder.create(PRESET, { pix_channels: SHAPE[1], precision }).train(false);
    ae.configureOptimizer({ lr: 1e-5 });
    const x = input(SHAPE);
    const z = await ae.encode(x);
    const flops = autoencoderFlops(ae.config, SHAPE);
    const rows = {};
    for (const what of ['encode', 'decode', 'train']) {
      const arg = what === 'decode' ? z : x;
      const n = ITERS[what];
      await ae.benchLoop(arg, what, 1, 1e-5); // warm-up
      const inside = await ae.benchLoop(arg, what, n, 1e-5);
      const fromJs = await timeJs(ae, what, x, z, n);
      const f = what === 'train' ? flops.trainStep : flops[what];
      const gflops = (f * n) / inside / 1e9;
      rows[what] = {
        samples_per_s: +((SHAPE[0] * n) / inside).toFixed(1),
        gflops: +gflops.toFixed(1),
        fraction_of_peak: +(gflops / peak).toFixed(3),
        js_boundary_overhead: +((fromJs - inside) / inside).toFixed(4),
      };
    }
    results[precision] = { matmul_peak_gflops: +peak.toFixed(1), ...rows };
    console.log(`${PRESET} ${SHAPE.join('×')} ${precision}: matmul peak ${peak.toFixed(0)} GFLOP/s`);
    for (const [what, r] of Object.entries(rows)) {
      console.log(`  ${what.padEnd(6)} ${String(r.samples_per_s).padStart(8)} samples/s  ${(100 * r.fraction_of_peak).toFixed(1).padStart(5)} % of peak  JS boundary ${(100 * r.js_boundary_overhead).toFixed(2)} %`);
    }
  }
  report('autoencoder', { preset: PRESET, shape: SHAPE, ...results });
}
