// The latent diffusion emulator (spec §4.1–4.3): ViT denoiser with EDM preconditioning, trained with
// DenoiserLoss on windows with random context masks; sampled by the C++ samplers in whole rollouts.
import { EmulatorModel, type EmulatorOptions } from './emulator-model.js';
import type { ViTConfigInput } from './vit-config.js';

export class Denoiser extends EmulatorModel {
  readonly kind = 'denoiser' as const;

  /** `Denoiser.create('vit_tiny_cpu', { channels: 16, label_features: 5 })`, or with a config object. */
  static create(source: string | ViTConfigInput, options: EmulatorOptions = {}): Denoiser {
    const { config, model } = EmulatorModel.build('denoiser', source, options);
    return new Denoiser(config, model);
  }

  /** A model rebuilt from the config in one of our weights files, with those weights loaded. */
  static async fromWeights(path: string, options: Omit<EmulatorOptions, 'overrides'> = {}): Promise<Denoiser> {
    const d = Denoiser.create(EmulatorModel.configFromWeights(path), { device: options.device, precision: options.precision });
    await d.loadWeights(path);
    return d;
  }
}
