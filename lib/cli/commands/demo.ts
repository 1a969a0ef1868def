// `latent-emulator demo`: the main job on a built-in default (see lib/demo/demo.ts).
import type { Command } from 'commander';

import { formatSummary, runDemo } from '../../demo/demo.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('generate Euler data with the built-in solver, train a CPU-sized autoencoder, report its reconstruction error')
    .option('--out <dir>', 'output folder', 'demo-output')
    .option('--resolution <n>', 'cells per side', (v) => Number(v), 64)
    .option('--train-steps <n>', 'autoencoder training steps', (v) => Number(v), 600)
    .option('--precision <p>', 'float32 or bfloat16', 'bfloat16')
    .option('--seed <n>', 'seed', (v) => Number(v), 0)
    .action(async (o: { out: string; resolution: number; trainSteps: number; precision: 'float32' | 'bfloat16'; seed: number }) => {
      const summary = await runDemo({ out: o.out, resolution: o.resolution, trainSteps: o.trainSteps, precision: o.precision, seed: o.seed });
      process.stdout.write('\n' + formatSummary(summary) + '\n');
    });
}
