// `latent-emulator cache-latents RUN --split train|valid|test [--repeat N]`: encode every trajectory of a
// split with the run's autoencoder into <RUN>/cache/<physics>/<split>/ (spec §1.6).
import type { Command } from 'commander';
import cliProgress from 'cli-progress';

import { cacheLatents } from '../../train/cache-latents.js';
import { SPLITS } from '../../data/download.js';
import { parseChoice, WEIGHTS } from '../../util/parse-choice.js';

interface Flags {
  ignoreSizeLimits?: boolean;
  split: string;
  repeat?: string;
  batch: string;
  weights: string;
  root?: string;
  out?: string;
  device?: string;
}

export function register(program: Command): void {
  program
    .command('cache-latents')
    .description('encode a split of the dataset with a trained autoencoder into the latent cache')
    .argument('<run>', 'autoencoder run directory')
    .requiredOption('--split <split>', 'train | valid | test')
    .option('--repeat <n>', 'augmented copies per trajectory (default 4 for train, 1 otherwise)')
    .option('--batch <n>', 'states per encoder call', '16')
    .option('--weights <which>', 'state (last checkpoint) | best', 'state')
    .option('--root <dir>', "data directory (default: the run's dataset.root)")
    .option('--out <dir>', 'cache directory (default <run>/cache)')
    .option('--device <device>', 'device (default: the run\'s)')
    .option('--ignore-size-limits', 'run even when the memory/disk estimate exceeds what is free')
    .action(async (run: string, f: Flags) => {
      const split = parseChoice('split', f.split, SPLITS);
      const weights = parseChoice('weights', f.weights, WEIGHTS);
      const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: '{bar} {value}/{total} trajectories', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
      let started = false;
      try {
        const r = await cacheLatents(run, {
          split,
          repeat: f.repeat === undefined ? undefined : Number(f.repeat),
          batch: Number(f.batch),
          weights,
          root: f.root,
          out: f.out,
          device: f.device,
          ignoreSizeLimits: f.ignoreSizeLimits,
          onProgress: (p) => {
            if (!bar) return;
            if (!started) bar.start(p.total, 0);
            started = true;
            bar.update(p.done);
          },
        });
        bar?.stop();
        process.stderr.write(`${r.trajectories} trajectories → latents ${r.latentShape.join('×')} (compression ×${r.compressionRate})\n`);
        for (const file of r.files) process.stdout.write(`${file}\n`);
      } finally {
        bar?.stop();
      }
    });
}
