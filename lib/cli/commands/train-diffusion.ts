// `latent-emulator train-diffusion [key=value ...]`: train a latent diffusion emulator on an autoencoder
// run's latent cache, from a preset (configs/train/diffusion.yaml by default, or --config) with overrides:
//   latent-emulator train-diffusion --config diffusion_cpu ae_run=runs/ae/NAME denoiser=vit_small optim.learning_rate=3e-4
// or, with `dataset` instead of `ae_run`, in pixel space on the Well data directly (patched by the ViT):
//   latent-emulator train-diffusion --config diffusion_pixel_cpu dataset=euler_open dataset.root=DIR
// `--resume RUN` continues a run from its last good checkpoint. Ctrl-C saves and stops; a second one quits.
// train-surrogate (train-surrogate.ts) is the same command for the deterministic neural solver.
import type { Command } from 'commander';

import { emulatorConfigYaml, emulatorRunConfig, modelSection, type EmulatorRunKind } from '../../train/config.js';
import { checkEmulatorRun, trainEmulator } from '../../train/train-emulator.js';
import { isMainRank } from '../../launch/rendezvous.js';
import { withInterrupt } from '../interrupt.js';

interface Flags {
  config: string;
  resume?: string;
  runDir?: string;
  dryRun?: boolean;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
}

/** Registers `train-diffusion` or `train-surrogate`. */
export function registerEmulatorCommand(program: Command, kind: EmulatorRunKind): void {
  const section = modelSection(kind);
  program
    .command(`train-${kind}`)
    .description(
      `train a ${kind === 'diffusion' ? 'diffusion emulator (denoiser)' : 'neural solver (surrogate)'} on an autoencoder run's latent cache (ae_run=DIR) or in pixel space on the data (dataset=NAME dataset.root=DIR; e.g. --config ${kind}_pixel_cpu) (config preset + key=value overrides); resumable`,
    )
    .argument('[overrides...]', `key=value overrides: ae_run=DIR or dataset=NAME dataset.root=DIR, ${section}=PRESET, optim.learning_rate=1e-4, trajectory.stride=4, ...`)
    .option('--config <preset>', 'base preset in configs/train/ or a YAML file', kind)
    .option('--resume <run>', 'continue the run in this directory')
    .option('--run-dir <dir>', 'exact directory for a new run')
    .option('--dry-run', 'check the configuration and the latent cache (or the data), print the resolved configuration, and stop')
    .option('--progress <mode>', 'auto | bar | lines | none', 'auto')
    .action(async (overrides: string[], flags: Flags) => {
      if (flags.resume && overrides.length) throw new Error('--resume continues a run with its saved configuration; overrides are not allowed');
      const config = flags.resume ? undefined : emulatorRunConfig(kind, flags.config, overrides);
      if (flags.dryRun) {
        if (!config) throw new Error('--dry-run checks a new configuration; it does not combine with --resume');
        const data = await checkEmulatorRun(config);
        data.close();
        process.stdout.write(emulatorConfigYaml(config));
        return;
      }
      await withInterrupt(async (signal) => {
        const r = await trainEmulator(config, {
          resumeDir: flags.resume,
          runDir: flags.runDir,
          signal,
          progress: flags.progress,
          onStart: (s) =>
            process.stderr.write(
              `run ${s.dir}: ${s.parameters.toLocaleString('en')} parameters, ${s.space} states ${s.latentShape.join('×')}, ${s.trainItems} train / ${s.validItems} valid windows\n`,
            ),
        });
        if (!isMainRank()) return;  // data parallel: rank 0 reports
        process.stderr.write(`${r.completed ? 'finished' : 'stopped'} at epoch ${r.epoch}, step ${r.globalStep}; best valid loss ${r.bestValidLoss.toPrecision(4)}\n`);
        process.stdout.write(`${r.dir}\n`);
      });
    });
}

export function register(program: Command): void {
  registerEmulatorCommand(program, 'diffusion');
}
