// Rollouts are the emulator's own (EmulatorModel.rollout, lib/models/emulator-model.ts) and their options are
// defined with the other schemas (lib/models/schemas.ts); this module keeps the names the public API had.
import type { EmulatorModel, Rollout } from '../models/emulator-model.js';
import type { TensorLike } from '../models/native-model.js';
import type { RolloutOptions } from '../models/schemas.js';

export { SAMPLERS, SAMPLER_DEFAULTS, windowCount, type RolloutOptions, type SamplerName, type SamplerOptions } from '../models/schemas.js';
export type { Rollout } from '../models/emulator-model.js';

/** The same as `model.rollout(context, label, options)`. */
export function emulateRollout(model: EmulatorModel, context: TensorLike, label: TensorLike | undefined, options: RolloutOptions): Promise<Rollout> {
  return model.rollout(context, label, options);
}
