// The emulators through the public API: the reference's state-dict keys and shapes, presets, gradients against
// finite differences, overfitting a handful of windows, weights round trips and clear errors for bad input.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Denoiser } from '../../lib/models/denoiser.js';
import { Surrogate } from '../../lib/models/surrogate.js';
import { manualSeed } from '../../lib/runtime.js';
import { tensor } from '../../lib/tensor.js';
import { batch, randomValues, tiny } from '../emulate/helpers.js';

function referenceKeys(section: string): string[] {
  // A copy of ../shared/reference/state-dict-keys.md, so the test runs wherever the repository is cloned.
  const text = readFileSync(new URL('../fixtures/state-dict-keys.md', import.meta.url), 'utf8');
  const block = text.split(`## ${section}\n`)[1]!.split('```')[1]!;
  return block
    .trim()
    .split('\n')
    .map((line) => {
      const m = /^(\S+)\s+\[([^\]]*)\]/.exec(line.trim())!;
      return `${m[1]} [${m[2]!.replace(/\s/g, '')}]`;
    });
}

function keys(model: Denoiser | Surrogate): string[] {
  return model.stateDictShapes().map((e) => `${e.name} [${e.shape.join(',')}]`);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the reference's state dicts", () => {
  test('denoiser: the same keys, order and shapes', () => {
    expect(keys(Denoiser.create(tiny))).toEqual(referenceKeys('denoiser'));
  });

  test('surrogate: the same keys, order and shapes', () => {
    expect(keys(Surrogate.create(tiny))).toEqual(referenceKeys('surrogate'));
  });

  test('vit_large counts the reference parameters (2.229e8 denoiser, 2.228e8 surrogate, C_lat = 64)', () => {
    const d = Denoiser.create('vit_large', { channels: 64, label_features: 5 });
    expect(d.parameterCount() / 1e8).toBeCloseTo(2.229, 2);
    const s = Surrogate.create('vit_large', { channels: 64, label_features: 5 });
    expect(s.parameterCount() / 1e8).toBeCloseTo(2.228, 2);
  });

  test('presets: unknown names get a suggestion; 1-D and 3-D physics build', async () => {
    expect(() => Denoiser.create('vit_tiny_cpux', { channels: 4 })).toThrow(/vit_tiny_cpu/);
    expect(() => Denoiser.create({ ...tiny, hid_chanels: 8 } as never)).toThrow(/unknown key 'hid_chanels'.*hid_channels/);
    const d1 = Denoiser.create({ ...tiny, spatial: 1 });
    const x1 = tensor(randomValues(2 * 5 * 4 * 6), [2, 5, 4, 6]);
    expect(Number.isFinite(await d1.loss({ state: x1, label: tensor(randomValues(5), [5]) }))).toBe(true);
    const d3 = Surrogate.create({ ...tiny, spatial: 3, label_features: 0 });
    const x3 = tensor(randomValues(1 * 5 * 4 * 2 * 2 * 2), [1, 5, 4, 2, 2, 2]);
    expect(Number.isFinite(await d3.loss({ state: x3 }))).toBe(true);
  });
});

describe('training', () => {
  test('gradients of the denoiser and surrogate losses match finite differences', async () => {
    const b = batch(2);
    for (const model of [Denoiser.create(tiny), Surrogate.create(tiny)]) {
      const { analytic, numeric } = await model.gradCheck(b, 1e-6, 5);
      expect(Math.abs(analytic - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
    }
  });

  test('time priors beta and kumaraswamy and the log_linear schedule train', async () => {
    for (const extra of [{ time_prior: { name: 'beta' as const } }, { time_prior: { name: 'kumaraswamy' as const } }, { schedule: { name: 'log_linear' as const } }]) {
      const d = Denoiser.create({ ...tiny, ...extra });
      const r = await d.trainStep(batch(2), 1e-3);
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.skipped).toBe(false);
    }
  });

  test('a tiny surrogate and a tiny denoiser overfit a handful of windows', async () => {
    manualSeed(11);
    const b = batch(4, 5, 4, 4, 4, 9);
    const s = Surrogate.create(tiny);
    s.configureOptimizer({ lr: 3e-3 });
    const s0 = await s.loss(b);
    for (let i = 0; i < 250; i++) await s.trainStep(b, 3e-3);
    expect(await s.loss(b)).toBeLessThan(0.3 * s0);

    const d = Denoiser.create(tiny);
    const mean = async () => {
      let sum = 0;
      for (let i = 0; i < 8; i++) sum += await d.loss(b);
      return sum / 8;
    };
    const d0 = await mean();
    for (let i = 0; i < 300; i++) await d.trainStep(b, 3e-3);
    const d1 = await mean();
    // The diffusion loss is an average over noise levels (random t), so it falls more slowly than the MSE.
    expect(d1).toBeLessThan(0.6 * d0);
  });
});

describe('what the emulators share with the autoencoder (one model handle)', () => {
  test('EMA, gradient accumulation and step counts', async () => {
    manualSeed(5);
    const m = Surrogate.create(tiny);
    m.configureOptimizer({ lr: 1e-2, ema_decay: 0.5, accumulate: 2 });
    const b = batch(4);
    const r1 = await m.trainStep(b, 1e-2);
    const r2 = await m.trainStep(b, 1e-2);
    expect([r1.steps, r2.steps, r2.skippedSteps]).toEqual([1, 2, 0]);
    expect(r2.seconds).toBeGreaterThan(0);
    const now = await m.loss(b, { seed: 1, eval: true });
    const averaged = await m.loss(b, { seed: 1, eval: true, ema: true });
    expect(Math.abs(averaged - now)).toBeGreaterThan(1e-6);
    // The exported averages are the weights loss({ema}) used.
    const path = join(dir, 'surrogate-ema.safetensors');
    await m.saveWeights(path, {}, { ema: true });
    const e = await Surrogate.fromWeights(path);
    expect(await e.loss(b, { seed: 1, eval: true })).toBeCloseTo(averaged, 6);
    m.configureOptimizer({ accumulate: 3 });
    await expect(m.trainStep(b, 1e-2)).rejects.toThrow(/Surrogate\.trainStep: batch of 4 does not split into 3 equal micro-batches/);
    expect(() => m.configureOptimizer({ lr: -1 })).toThrow(/Surrogate\.configureOptimizer: options\.lr/);
  });
});

describe('weights', () => {
  test('round trip: same rollout after save and load; fromWeights rebuilds from the metadata', async () => {
    manualSeed(1);
    const a = Denoiser.create(tiny);
    const path = join(dir, 'denoiser.safetensors');
    await a.saveWeights(path, { note: 'test' });
    const b = Denoiser.create(tiny);
    const info = await b.loadWeights(path);
    expect(info.metadata.note).toBe('test');
    expect(JSON.parse(info.metadata.config!).kind).toBe('denoiser');
    const { state, label } = batch(1);
    const ctx = tensor((state.dataSync() as Float32Array).slice(0, 4 * 16), [1, 1, 4, 4, 4]);
    const opts = { length: 5, steps: 4, seed: 3 };
    const ra = (await a.rollout(ctx, label, opts)).states.dataSync() as Float32Array;
    const rb = (await b.rollout(ctx, label, opts)).states.dataSync() as Float32Array;
    expect(Array.from(rb)).toEqual(Array.from(ra));
    const c = await Denoiser.fromWeights(path);
    expect(Array.from((await c.rollout(ctx, label, opts)).states.dataSync() as Float32Array)).toEqual(Array.from(ra));
  });

  test('weights written with the flat config of 0.1 still rebuild with fromWeights', async () => {
    manualSeed(2);
    const a = Denoiser.create(tiny);
    const c = a.config;
    // The native config as 0.1 wrote it: schedule and time prior flattened, empty lists for absent shapes.
    const flat = {
      kind: 'denoiser', channels: c.channels, label_features: c.label_features, spatial: c.spatial, spatial_shape: [], window: c.window,
      hid_channels: c.hid_channels, hid_blocks: c.hid_blocks, attention_heads: c.attention_heads, ffn_factor: c.ffn_factor,
      emb_features: c.emb_features, patch_size: [], window_size: null, dropout: c.dropout, qk_norm: c.qk_norm, rope: c.rope,
      schedule: 'log_logit', sigma_min: 1e-3, sigma_max: 1e3, schedule_scale: 1, schedule_shift: 0, time_prior: 'uniform', prior_a: 1, prior_b: 0.5,
      context_rate: c.context_rate, forward_probability: c.forward_probability,
    };
    const path = join(dir, 'denoiser-0.1.safetensors');
    await (a as unknown as { handle: { saveWeights(p: string, m: Record<string, string>): Promise<void> } }).handle.saveWeights(path, { config: JSON.stringify(flat) });
    const b = await Denoiser.fromWeights(path);
    expect(b.config).toEqual(a.config);
  });

  test('strict loading lists missing, unexpected and mis-shaped keys', async () => {
    const path = join(dir, 'surrogate.safetensors');
    await Surrogate.create(tiny).saveWeights(path);
    await expect(Denoiser.create(tiny).loadWeights(path)).rejects.toThrow(/missing keys[\s\S]*backbone\.time_embedding[\s\S]*unexpected keys[\s\S]*label_embedding/);
    const loose = await Denoiser.create(tiny).loadWeights(path, { strict: false });
    expect(loose.missing.length).toBeGreaterThan(0);
    await expect(Surrogate.create({ ...tiny, channels: 3 }).loadWeights(path)).rejects.toThrow(/backbone\.in_proj\.weight: expected \[32, 6\], got \[32, 8\]/);
  });
});

describe('bad input is refused before any compute', () => {
  const d = Denoiser.create({ ...tiny, spatial_shape: [4, 4] });
  const { state, label } = batch(2);

  test('wrong channels, spatial size, rank, label length', async () => {
    await expect(d.trainStep({ state: tensor(randomValues(2 * 5 * 3 * 16), [2, 5, 3, 4, 4]), label }, 1e-3)).rejects.toThrow(/3 channels, the model expects 4/);
    await expect(d.loss({ state: tensor(randomValues(2 * 5 * 4 * 32), [2, 5, 4, 4, 8]), label })).rejects.toThrow(/spatial size \[4, 8\], the model was built for \[4, 4\]/);
    await expect(d.loss({ state: tensor(randomValues(2 * 5 * 4 * 4), [2, 5, 4, 4]), label })).rejects.toThrow(/must be 5-D/);
    await expect(d.loss({ state, label: tensor(randomValues(8), [2, 4]) })).rejects.toThrow(/label must have 5 features/);
    await expect(d.loss({ state })).rejects.toThrow(/label is required/);
  });

  test('rollout options: context too long, steps, sampler, length', async () => {
    const ctx5 = tensor(randomValues(5 * 64), [1, 5, 4, 4, 4]);
    await expect(d.rollout(ctx5, tensor(randomValues(5), [5]), { length: 9 })).rejects.toThrow(/context \(5 states\) must be shorter than the window \(5\)/);
    const ctx = tensor(randomValues(64), [1, 1, 4, 4, 4]);
    const l = tensor(randomValues(5), [5]);
    await expect(d.rollout(ctx, l, { length: 9, steps: 0 })).rejects.toThrow(/steps must be a positive integer/);
    await expect(d.rollout(ctx, l, { length: 9, steps: -2 })).rejects.toThrow(/steps must be a positive integer/);
    await expect(d.rollout(ctx, l, { length: 9, sampler: 'rk45' as never })).rejects.toThrow(/Denoiser\.rollout: options\.sampler must be one of euler, .*got 'rk45'/);
    await expect(d.rollout(ctx, tensor(randomValues(6), [6]), { length: 9 })).rejects.toThrow(/label must have 5 features/);
    await expect(d.rollout(ctx, l, { length: 0 })).rejects.toThrow(/length must be a positive integer/);
    await expect(d.rollout(ctx, l, { length: 9, overlap: 5 })).rejects.toThrow(/overlap/);
  });
});
