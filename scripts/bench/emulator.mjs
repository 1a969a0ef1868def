// Latent emulator throughput on this machine, fp32 and bf16: a rollout of the CPU-sized denoiser (network
// evaluations/s, latent states/s), the transformer's achieved FLOP/s against the matmul peak of the same precision
// measured in this run, a training step, and the cost of the JS boundary per rollout (wall time of the JS call
// against the time inside the native call).
import { Denoiser } from '../../dist/models/denoiser.js';
import { native } from '../../dist/native/loader.js';
import { tensor } from '../../dist/tensor.js';

const PRESET = 'vit_tiny_cpu';
const C = 16; // latent channels of dcae_f8c16_cpu
const SPACE = [8, 8]; // 64×64 states at r = 8
const LABEL = 5;
const B = 1;
const MEMBERS = 4;
const LENGTH = 13; // 3 windows of 5 with overlap 1
const STEPS = 8;

function values(n, seed) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 0.013 + seed) + 0.1 * Math.cos(i * 0.37);
  return out;
}

export async function run(report) {
  const addon = native();
  const results = {};
  const stateSize = C * SPACE[0] * SPACE[1];
  for (const precision of ['float32', 'bfloat16']) {
    const peak = await addon.matmulPeak(2048, precision, precision === 'float32' ? 4 : 16);
    const model = Denoiser.create(PRESET, { channels: C, label_features: LABEL, spatial: 2, precision }).eval();
    const context = tensor(values(B * stateSize, 1), [B, 1, C, ...SPACE]);
    const label = tensor(values(LABEL, 2), [LABEL]);
    const options = { length: LENGTH, members: MEMBERS, steps: STEPS, sampler: 'ab', seed: 1 };
    await model.rollout(context, label, { ...options, length: 5, steps: 1 }); // warm-up
    const start = process.hrtime.bigint();
    const r = await model.rollout(context, label, options);
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    const flopsPerEval = model.forwardFlops(SPACE) * B * MEMBERS;
    const gflops = (flopsPerEval * r.evaluations) / r.seconds / 1e9;
    const states = B * MEMBERS * (LENGTH - 1);
    const batch = { state: tensor(values(8 * 5 * stateSize, 3), [8, 5, C, ...SPACE]), label: tensor(values(8 * LABEL, 4), [8, LABEL]) };
    model.train(false);
    await model.trainStep(batch, 1e-4);
    const t0 = process.hrtime.bigint();
    const steps = 3;
    for (let i = 0; i < steps; i++) await model.trainStep(batch, 1e-4);
    const trainS = Number(process.hrtime.bigint() - t0) / 1e9 / steps;
    const trainGflops = (3 * model.forwardFlops(SPACE) * 8) / trainS / 1e9;
    results[precision] = {
      matmul_peak_gflops: +peak.toFixed(1),
      rollout_seconds: +r.seconds.toFixed(3),
      nfe_per_s: +(r.evaluations / r.seconds).toFixed(2),
      latent_states_per_s: +(states / r.seconds).toFixed(2),
      gflops: +gflops.toFixed(1),
      fraction_of_peak: +(gflops / peak).toFixed(3),
      train_step_seconds: +trainS.toFixed(3),
      train_fraction_of_peak: +(trainGflops / peak).toFixed(3),
      js_boundary_overhead: +((wall - r.seconds) / wall).toFixed(5),
    };
    const x = results[precision];
    console.log(
      `${PRESET} C=${C} ${SPACE.join('×')} K=${MEMBERS} ${precision}: ${x.nfe_per_s} NFE/s, ${x.latent_states_per_s} states/s, ` +
        `${(100 * x.fraction_of_peak).toFixed(1)} % of ${peak.toFixed(0)} GFLOP/s peak (train ${(100 * x.train_fraction_of_peak).toFixed(1)} %), JS boundary ${(100 * x.js_boundary_overhead).toFixed(3)} %`,
    );
  }
  report('emulator', { preset: PRESET, channels: C, space: SPACE, members: MEMBERS, length: LENGTH, steps: STEPS, ...results });
}
