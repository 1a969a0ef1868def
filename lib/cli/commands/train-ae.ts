// `latent-emulator train-ae [key=value ...]`: train an autoencoder from a preset (configs/train/ae.yaml by
// default, or --config) with overrides as the reference's users type them:
//   latent-emulator train-ae dataset=euler_all ae=dcae_f32c64_small optim.learning_rate=1e-5 ae.lat_channels=16
// `--resume RUN` continues a run from its last good checkpoint. Ctrl-C saves and stops; a second one quits.
import type { Command } from 'commander';

import { aeRunConfig, configYaml } from '../../train/config.js';
import { trainAutoencoder } from '../../train/train-ae.js';
import { isMainRank } from '../../launch/rendezvous.js';
import { withInterrupt } from '../interrupt.js';

interface Flags {
  config: string;
  resume?: string;
  runDir?: string;
  dryRun?: boolean;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
}

export function register(program: Command): void {
  program
    .command('train-ae')
    .description('train an autoencoder (config preset + key=value overrides); resumable')
    .argument('[overrides...]', 'key=value overrides: dataset=NAME, ae=PRESET, optim.learning_rate=1e-5, dataset.root=DIR, ...')
    .option('--config <preset>', 'base preset in configs/train/ or a YAML file', 'ae')
    .option('--resume <run>', 'continue the run in this directory')
    .option('--run-dir <dir>', 'exact directory for a new run')
    .option('--dry-run', 'check the configuration and the data, print the resolved configuration, and stop')
    .option('--progress <mode>', 'auto | bar | lines | none', 'auto')
    .action(async (overrides: string[], flags: Flags) => {
      const config = flags.resume ? undefined : aeRunConfig(flags.config, overrides);
      if (flags.resume && overrides.length) throw new Error('--resume continues a run with its saved configuration; overrides are not allowed');
      if (flags.dryRun) {
        const { checkAeRun } = await import('../../train/train-ae.js');
        const data = await checkAeRun(config!);
        data.train.close();
        data.valid.close();
        process.stdout.write(configYaml(config!));
        return;
      }
      await withInterrupt(async (signal) => {
        const r = await trainAutoencoder(config, {
          resumeDir: flags.resume,
          runDir: flags.runDir,
          signal,
          progress: flags.progress,
          onStart: (s) => process.stderr.write(`run ${s.dir}: ${s.parameters.toLocaleString('en')} parameters, ${s.trainItems} train / ${s.validItems} valid states\n`),
        });
        if (!isMainRank()) return;  // data parallel: rank 0 reports
        process.stderr.write(`${r.completed ? 'finished' : 'stopped'} at epoch ${r.epoch}, step ${r.globalStep}; best valid loss ${r.bestValidLoss.toPrecision(4)}\n`);
        process.stdout.write(`${r.dir}\n`);
      });
    });
}
