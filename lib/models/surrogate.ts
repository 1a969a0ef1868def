// The deterministic emulator ("neural solver", spec §4.4): the same ViT, trained with MSE on masked
// windows; its rollouts give K identical members.
import { EmulatorModel, type EmulatorOptions } from './emulator-model.js';
import type { ViTConfigInput } from './vit-config.js';

export class Surrogate extends EmulatorModel {
  readonly kind = 'surrogate' as const;

  /** `Surrogate.create('vit_tiny_cpu', { channels: 16, label_features: 5 })`, or with a config object. */
  static create(source: string | ViTConfigInput, options: EmulatorOptions = {}): Surrogate {
    const { config, model } = EmulatorModel.build('surrogate', source, options);
    return new Surrogate(config, model);
  }

  /** A model rebuilt from the config in one of our weights files, with those weights loaded. */
  static async fromWeights(path: string, options: Omit<EmulatorOptions, 'overrides'> = {}): Promise<Surrogate> {
    const d = Surrogate.create(EmulatorModel.configFromWeights(path), { device: options.device, precision: options.precision });
    await d.loadWeights(path);
    return d;
  }
}
