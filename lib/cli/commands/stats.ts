// `latent-emulator stats DATASET --root DIR`: per-channel mean/std after the transforms over N random
// states, what the configurations' normalisation stats are made from.
import type { Command } from 'commander';
import { computeStats } from '../../data/stats.js';

export function register(program: Command): void {
  program
    .command('stats')
    .description('per-field mean/std after transforms over N random states of a dataset')
    .argument('<dataset>', 'configuration name (euler_all, ...) or YAML file')
    .requiredOption('--root <dir>', 'data root (holding datasets/<name>/data/<split>/)')
    .option('--split <split>', 'split', 'train')
    .option('--samples <n>', 'random states', '1024')
    .option('--seed <n>', 'seed', '0')
    .option('--json', 'print JSON')
    .action(async (dataset: string, o: { root: string; split: string; samples: string; seed: string; json?: boolean }) => {
      const r = await computeStats({ root: o.root, split: o.split, config: dataset }, Number(o.samples), Number(o.seed));
      if (o.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const lines = [`# ${r.states} random states of ${dataset} (${o.split}), after transforms`, 'fields:'];
      for (const s of r.stats) lines.push(`  ${s.name}: {mean: ${s.mean.toPrecision(4)}, std: ${s.std.toPrecision(4)}}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
