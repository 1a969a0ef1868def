// MMPS-guided rollouts through the decoder, in one native call: the guided states agree better with the
// observations than unguided ones from the same seed, the context is kept, and bad guidance input is
// refused before any compute.
import { Autoencoder } from '../../lib/models/autoencoder.js';
import { Denoiser } from '../../lib/models/denoiser.js';
import { Surrogate } from '../../lib/models/surrogate.js';
import { manualSeed } from '../../lib/runtime.js';
import { tensor } from '../../lib/tensor.js';
import { applyObservationOperator, checkGuidance, guidanceOptions, type GuidanceInput } from '../../lib/emulate/guidance.js';
import { randomValues, tiny } from './helpers.js';

manualSeed(3);
// A 2-level autoencoder: 3 pixel channels on 8×8 ↔ 4 latent channels on 4×4.
const ae = Autoencoder.create({ pix_channels: 3, lat_channels: 4, hid_channels: [8, 16], hid_blocks: [1, 1], dropout: 0 });
ae.eval();
const denoiser = Denoiser.create(tiny);
const label = tensor(randomValues(5, 9), [5]);
const B = 1, T = 9, K = 2;
const ctx = tensor(randomValues(B * 4 * 16, 2), [B, 1, 4, 4, 4]);
const op = { kind: 'subsample' as const, factor: 2 };

/** Observations (B, T, 3, 4, 4): a smooth field, the same for every state. */
function observations(): GuidanceInput['observations'] {
  const per = 3 * 16;
  const data = new Float32Array(B * T * per);
  for (let t = 0; t < B * T; t++) for (let i = 0; i < per; i++) data[t * per + i] = Math.sin(i / 5) * 0.8;
  return { data, shape: [B, T, 3, 4, 4] };
}

/** Mean squared misfit of A(D(z)) to the observations over states 1..T-1 and all members. */
async function misfit(states: Float32Array, y: Float32Array): Promise<number> {
  const z = tensor(states, [K * T, 4, 4, 4]);
  const x = await ae.decode(z);
  const a = applyObservationOperator(op, { data: x.dataSync() as Float32Array, shape: [K * T, 3, 8, 8] }, 2).data;
  const per = 3 * 16;
  let sum = 0, n = 0;
  for (let k = 0; k < K; k++) for (let t = 1; t < T; t++) for (let i = 0; i < per; i++) {
    sum += (a[(k * T + t) * per + i]! - y[t * per + i]!) ** 2;
    n++;
  }
  return sum / n;
}

test('guided states fit the observations better than unguided ones, and the context is kept', async () => {
  const input: GuidanceInput = { operator: op, observations: observations(), obsNoise: 0.1, iterations: 2 };
  checkGuidance(input, { kind: 'denoiser', channels: 3, spatialShape: [8, 8], batch: B, length: T });
  const opts = { length: T, members: K, steps: 6, seed: 4 };
  const plain = await denoiser.rollout(ctx, label, opts);
  const guided = await denoiser.rollout(ctx, label, { ...opts, guidance: guidanceOptions(ae, input) });
  expect(guided.states.shape).toEqual([B, K, T, 4, 4, 4]);
  expect(guided.windows).toBe(2);
  const g = guided.states.dataSync() as Float32Array, p = plain.states.dataSync() as Float32Array;
  const c = ctx.dataSync() as Float32Array;
  for (let k = 0; k < K; k++) for (let i = 0; i < 64; i++) expect(g[k * T * 64 + i]).toBe(c[i]);
  const y = input.observations.data;
  const [mg, mp] = [await misfit(g, y), await misfit(p, y)];
  expect(mg).toBeLessThan(0.5 * mp);
});

test('a mask of observed points: only those are fitted', async () => {
  const obs = observations();
  // Observe only the first channel; NaN elsewhere is allowed there.
  const mask = { data: Float32Array.from({ length: 48 }, (_, i) => (i < 16 ? 1 : 0)), shape: [3, 4, 4] };
  for (let t = 0; t < T; t++) obs.data[t * 48 + 20] = NaN;
  const input: GuidanceInput = { operator: op, observations: obs, mask, obsNoise: 0.1, iterations: 2 };
  checkGuidance(input, { kind: 'denoiser', channels: 3, spatialShape: [8, 8], batch: B, length: T });
  const r = await denoiser.rollout(ctx, label, { length: T, members: K, steps: 4, seed: 4, guidance: guidanceOptions(ae, input) });
  expect(Array.from(r.states.dataSync() as Float32Array).every(Number.isFinite)).toBe(true);
});

test('bad guidance input is refused before any compute, naming the argument', async () => {
  const input: GuidanceInput = { operator: op, observations: observations(), obsNoise: 0.1 };
  const opts = { length: T, members: K, steps: 2 };
  const surrogate = Surrogate.create(tiny);
  await expect(surrogate.rollout(ctx, label, { ...opts, guidance: guidanceOptions(ae, input) })).rejects.toThrow(/guidance needs a diffusion denoiser; the neural solver \(surrogate\) cannot be guided/);
  await expect(denoiser.rollout(ctx, label, { ...opts, guidance: { ...guidanceOptions(ae, input), decoder: denoiser as never } })).rejects.toThrow(/guidance.decoder must be an Autoencoder/);
  const nan = observations();
  nan.data[7] = NaN;
  await expect(denoiser.rollout(ctx, label, { ...opts, guidance: guidanceOptions(ae, { ...input, observations: nan }) })).rejects.toThrow(/guidance.observations must be finite at the observed points/);
  await expect(denoiser.rollout(ctx, label, { ...opts, guidance: { ...guidanceOptions(ae, input), obs_noise: 0 } })).rejects.toThrow(/guidance.obs_noise must be a positive number/);
  await expect(denoiser.rollout(ctx, label, { ...opts, guidance: { ...guidanceOptions(ae, input), operator: 'blur' as never } })).rejects.toThrow(/guidance.operator must be subsample or downscale, got "blur"/);
});
