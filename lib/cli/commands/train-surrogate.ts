// `latent-emulator train-surrogate [key=value ...]`: train the deterministic latent neural solver (spec §4.4)
// on an autoencoder run's latent cache; the same flags and overrides as train-diffusion, preset
// configs/train/surrogate.yaml by default (surrogate_cpu for a CPU-sized run), model section `surrogate`.
import type { Command } from 'commander';

import { registerEmulatorCommand } from './train-diffusion.js';

export function register(program: Command): void {
  registerEmulatorCommand(program, 'surrogate');
}
