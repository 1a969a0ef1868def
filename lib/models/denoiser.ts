// The latent diffusion emulator (spec §4.1–4.3): a ViT denoiser μ(x_t, t) with EDM preconditioning, trained on
// windows with random context masks by DenoiserLoss: t ~ U(0, 1), x_t = α x + σ ε with the known states clean,
// L = mean((μ(x_t, t) − x)² / var); sampled by the C++ samplers in whole rollouts. Everything but its kind and
// the open denoiser is EmulatorModel's. Open: `denoise` evaluates E[x | x_t] at any noise level and `schedule`
// gives α(t), σ(t), so samplers and guidance terms can be written in TypeScript and checked against the native
// ones (`sample`).
import type { NativeDistillationTarget, NativeOpenBatch, NativeTensor } from '../native/addon-types.js';
import { tensor } from '../tensor.js';
import { noiseSchedule, type NoiseSchedule } from './noise-schedule.js';
import { EmulatorModel, type EmulatorBatch, type EmulatorOptions } from './emulator-model.js';
import { asNative, type TensorLike } from './native-model.js';
import { nativeSamplerOptions } from './distilled-sampler.js';
import { optionsError, SampleOptionsSchema, type SamplerOptions, type ViTConfigInput } from './schemas.js';

export interface DenoiseOptions {
  /** (D) or (B, D), when the model has label features. */
  label?: TensorLike;
  /** The states the denoiser is told are known: (L) or (B, L) booleans (default none). */
  mask?: boolean[] | boolean[][];
  /**
   * The clean values of the known states, x_t's shape (B, L, C, *space). With it the call is the samplers'
   * clean-context denoiser: x_t[m] ← √(α²+σ²)·context[m] before the network, and mean[m] = context[m].
   */
  context?: TensorLike;
  /** α (default the schedule's, 1); a number or one per batch element. */
  alpha?: number | number[];
}

export interface Denoised {
  /** The posterior mean E[x | x_t], (B, L, C, *space). */
  mean: NativeTensor;
  /** EDM preconditioning per batch element: μ = c_skip·x_t + c_out·F(c_in·x_t, c_noise, …). */
  c_skip: number[];
  c_out: number[];
  c_in: number[];
  /** 10·ln(σ/α), the network's noise input. */
  c_noise: number[];
}

function perBatch(v: number | number[], batch: number, what: string): NativeTensor {
  const values = typeof v === 'number' ? new Array<number>(batch).fill(v) : v;
  if (values.length !== batch) throw new Error(`${what} has ${values.length} entries, expected one per batch element (${batch})`);
  if (!values.every((x) => Number.isFinite(x) && x > 0)) throw new Error(`${what} must be positive and finite, got [${values.join(', ')}]`);
  return tensor(Float64Array.from(values), [batch], 'float64');
}

function maskTensor(mask: DenoiseOptions['mask'], batch: number, length: number): NativeTensor | undefined {
  if (mask === undefined) return undefined;
  const rows = Array.isArray(mask[0]) ? (mask as boolean[][]) : new Array<boolean[]>(batch).fill(mask as boolean[]);
  if (rows.length !== batch || rows.some((r) => r.length !== length)) throw new Error(`mask must be (L) = (${length}) or (B, L) = (${batch}, ${length}) booleans`);
  return tensor(Float32Array.from(rows.flat(), (b) => (b ? 1 : 0)), [batch, length]);
}

function openBatch(x: NativeTensor, label?: NativeTensor, mask?: NativeTensor, context?: NativeTensor): NativeOpenBatch {
  return { x, ...(label && { label }), ...(mask && { mask }), ...(context && { context }) };
}

async function toNumbers(t: NativeTensor): Promise<number[]> {
  return Array.from(await t.data(), Number);
}

export class Denoiser extends EmulatorModel {
  static readonly kind = 'denoiser' as const;
  readonly kind = 'denoiser' as const;

  /** `Denoiser.create('vit_tiny_cpu', { channels: 16, label_features: 5 })`, or with a config object. */
  static create(source: string | ViTConfigInput, options: EmulatorOptions = {}): Denoiser {
    return EmulatorModel.build(Denoiser, source, options);
  }

  /** A model rebuilt from the config in one of our weights files (or checkpoints), with those weights loaded. */
  static fromWeights(path: string, options: Omit<EmulatorOptions, 'overrides'> = {}): Promise<Denoiser> {
    return EmulatorModel.load(Denoiser, path, options);
  }

  /** The model's noise schedule: α(t), σ(t) for t ∈ [0, 1] (t = 1: pure noise), as the native samplers use it. */
  get schedule(): NoiseSchedule {
    return noiseSchedule(this.config.schedule);
  }

  /**
   * One evaluation of the denoiser (evaluation mode, no dropout): the posterior mean E[x | x_t] of a window
   * x_t (B, L, C, *space) at noise level `sigma` (a number or one per batch element), with its EDM parts.
   */
  denoise(x_t: TensorLike, sigma: number | number[], options: DenoiseOptions = {}): Promise<Denoised> {
    const x = asNative(x_t);
    const [B, L] = x.shape as [number, number];
    const s = perBatch(sigma, B, 'sigma');
    const a = perBatch(options.alpha ?? 1, B, 'alpha');
    const mask = maskTensor(options.mask, B, L);
    if (options.context !== undefined && mask === undefined) throw new Error('context needs a mask saying which states it holds');
    const label = options.label === undefined ? undefined : asNative(options.label);
    const context = options.context === undefined ? undefined : asNative(options.context);
    return this.run(async () => {
      const r = await this.model.denoise(openBatch(x, label, mask, context), { alpha: a, sigma: s });
      return { mean: r.mean, c_skip: await toNumbers(r.c_skip), c_out: await toNumbers(r.c_out), c_in: await toNumbers(r.c_in), c_noise: await toNumbers(r.c_noise) };
    });
  }

  /**
   * A native sampler run from a given x_1 (B, L, C, *space) at t = 1 to t = 0, conditioned on context[mask]
   * as in rollouts when `context` is given: the reference point for samplers written over `denoise`.
   */
  sample(x1: TensorLike, options: Omit<DenoiseOptions, 'alpha'> & SamplerOptions & { seed?: number } = {}): Promise<NativeTensor> {
    const x = asNative(x1);
    const [B, L] = x.shape as [number, number];
    const mask = maskTensor(options.mask, B, L);
    if (options.context !== undefined && mask === undefined) throw new Error('context needs a mask saying which states it holds');
    const label = options.label === undefined ? undefined : asNative(options.label);
    const context = options.context === undefined ? undefined : asNative(options.context);
    const { sampler, steps, order, eta, corrections, delta, seed } = options;
    const parsed = SampleOptionsSchema.safeParse({ sampler, steps, order, eta, corrections, delta, seed });
    if (!parsed.success) throw optionsError('Denoiser.sample', parsed.error);
    const native = nativeSamplerOptions(parsed.data, this.distilledSteps, 'Denoiser.sample');
    return this.run(() => this.model.sampleFrom(openBatch(x, label, mask, context), native));
  }

  /**
   * Progressive distillation (native/sample/distillation.h): with a teacher's weights file (a denoiser of this
   * config; its EMA weights where present), `loss` and `trainStep` fit this model's single DDIM step t → t − 1/steps
   * to the teacher's two DDIM steps; `null` turns it off. The teacher is a frozen copy loaded natively.
   */
  setDistillation(teacher: string | null, options?: { steps: number }): Promise<void> {
    if (teacher !== null && !(Number.isInteger(options?.steps) && options!.steps >= 1))
      return Promise.reject(new Error(`Denoiser.setDistillation: steps (the student's sampler steps) must be a positive integer, got ${options?.steps}`));
    return this.run(() => this.model.setDistillation(teacher, teacher === null ? undefined : { steps: options!.steps }));
  }

  /** One seeded draw of what the student is fitted to: x_t, the grid step and levels, the teacher's x″ and the target x̂*. */
  distillationTarget(batch: EmulatorBatch, options: { seed?: number } = {}): Promise<NativeDistillationTarget> {
    return this.run(() => this.model.distillationTarget(this.nativeBatch(batch), options));
  }
}
