// `latent-emulator demo`: the main job on a built-in default (see lib/demo/demo.ts): generate data, train an
// autoencoder, cache latents, train a diffusion emulator and a neural solver, evaluate both, write the report.
import type { Command } from 'commander';

import { formatSummary, runDemo } from '../../demo/demo.js';
import { DEMO_SIZE_NAMES } from '../../demo/sizes.js';
import { withInterrupt } from '../interrupt.js';

interface Flags {
  out: string;
  size: string;
  seed: string;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('the whole pipeline on built-in Euler data: generate, train an autoencoder, cache latents, train diffusion + neural solver, evaluate, report')
    .option('--out <dir>', 'output folder (rerun to resume)', 'demo-output')
    .option('--size <size>', 'auto (gpu when CUDA is usable, else cpu) | cpu | long (the ≤ 1 h CPU recipe) | gpu | tiny', 'auto')
    .option('--seed <n>', 'seed', '0')
    .action(async (f: Flags) => {
      if (!['auto', ...DEMO_SIZE_NAMES].includes(f.size)) throw new Error(`--size must be auto, ${DEMO_SIZE_NAMES.join(', ')}, got '${f.size}'`);
      const seed = Number(f.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${f.seed}'`);
      const summary = await withInterrupt((signal) =>
        runDemo({ out: f.out, size: f.size as 'auto', seed, signal, log: (line) => process.stderr.write(`${line}\n`) }),
      );
      process.stdout.write(`\n${formatSummary(summary)}\n`);
    });
}
