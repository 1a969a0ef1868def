// The deterministic emulator ("neural solver", spec §4.4): the same ViT, trained with MSE on masked windows; its
// rollouts give K identical members. Everything but its kind is EmulatorModel's.
import { EmulatorModel, type EmulatorOptions } from './emulator-model.js';
import type { ViTConfigInput } from './schemas.js';

export class Surrogate extends EmulatorModel {
  static readonly kind = 'surrogate' as const;
  readonly kind = 'surrogate' as const;

  /** `Surrogate.create('vit_tiny_cpu', { channels: 16, label_features: 5 })`, or with a config object. */
  static create(source: string | ViTConfigInput, options: EmulatorOptions = {}): Surrogate {
    return EmulatorModel.build(Surrogate, source, options);
  }

  /** A model rebuilt from the config in one of our weights files (or checkpoints), with those weights loaded. */
  static fromWeights(path: string, options: Omit<EmulatorOptions, 'overrides'> = {}): Promise<Surrogate> {
    return EmulatorModel.load(Surrogate, path, options);
  }
}
