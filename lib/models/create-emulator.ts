// The emulator of a training run: a Denoiser (diffusion runs) or Surrogate for the run's state shape
// (C, *space) and label features, so that training and emulation build the same model the same way.
import { Denoiser } from './denoiser.js';
import type { EmulatorModel } from './emulator-model.js';
import type { Precision } from './native-model.js';
import type { ViTConfigInput } from './schemas.js';
import { Surrogate } from './surrogate.js';

export interface EmulatorSpec {
  /** 'diffusion' builds a Denoiser, 'surrogate' a Surrogate. */
  kind: 'diffusion' | 'surrogate';
  /** The run's model section (preset name, path or config). */
  model: string | ViTConfigInput;
  /** (C, *space) of one state the emulator sees. */
  stateShape: number[];
  labelFeatures: number;
  device?: string;
  precision?: Precision;
}

export function createEmulator(spec: EmulatorSpec): EmulatorModel {
  const [channels, ...space] = spec.stateShape;
  const options = {
    channels: channels!,
    label_features: spec.labelFeatures,
    spatial: space.length as 1 | 2 | 3,
    spatial_shape: space,
    device: spec.device,
    precision: spec.precision,
  };
  return spec.kind === 'diffusion' ? Denoiser.create(spec.model, options) : Surrogate.create(spec.model, options);
}
