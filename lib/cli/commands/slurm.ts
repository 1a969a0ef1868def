// `latent-emulator slurm PIPELINE.yaml [--dry-run]`: writes one sbatch script per pipeline stage and submits
// them with --dependency=afterok (lib/launch/slurm.ts describes the file); prints `stage job-id` lines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Command } from 'commander';

import { submitPipeline } from '../../launch/slurm.js';
import { PACKAGE_ROOT } from '../../native/loader.js';

export function register(program: Command): void {
  program
    .command('slurm')
    .description('write and submit sbatch scripts for a pipeline of stages (train-ae → cache-latents → train-diffusion → eval), chained with --dependency=afterok')
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--dry-run', 'write the scripts and print them and the sbatch commands, without submitting')
    .action((pipeline: string, flags: { dryRun?: boolean }) => {
      const cli = [process.execPath, join(PACKAGE_ROOT, 'bin', 'latent-emulator.js')];
      const stages = submitPipeline(pipeline, { dryRun: flags.dryRun, cli });
      for (const s of stages) {
        if (flags.dryRun) process.stdout.write(`# ${s.script}\n${readFileSync(s.script, 'utf8')}# submit: ${s.sbatch.join(' ')}\n\n`);
        else process.stdout.write(`${s.stage} ${s.jobId}\n`);
      }
    });
}
