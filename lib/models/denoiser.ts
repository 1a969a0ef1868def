// The latent diffusion emulator (spec §4.1–4.3): a ViT denoiser μ(x_t, t) with EDM preconditioning, trained on
// windows with random context masks by DenoiserLoss: t ~ U(0, 1), x_t = α x + σ ε with the known states clean,
// L = mean((μ(x_t, t) − x)² / var); sampled by the C++ samplers in whole rollouts. Everything but its kind is
// EmulatorModel's.
import { EmulatorModel, type EmulatorOptions } from './emulator-model.js';
import type { ViTConfigInput } from './schemas.js';

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
}
