// `latent-emulator experiment FILE.yaml [--dry-run] [--out DIR]`: a study as a grid over shared stages (see
// lib/experiment/spec.ts for the file). Runs what is not done yet, reusing finished stages, and prints the
// comparison table; --dry-run prints the stages and their status without running anything.
import type { Command } from 'commander';

import { planExperiment } from '../../experiment/plan.js';
import { describePlan, runExperiment } from '../../experiment/run.js';
import { readExperiment } from '../../experiment/spec.js';
import { withInterrupt } from '../interrupt.js';

interface Flags {
  dryRun?: boolean;
  out?: string;
}

export function register(program: Command): void {
  program
    .command('experiment')
    .description('run a study (grid of autoencoders × emulators × samplers × context lengths) from one YAML file; reuses finished stages, resumes, ends with a comparison table and report')
    .argument('<file>', 'experiment YAML (e.g. configs/experiments/euler64-compression.yaml)')
    .option('--dry-run', 'print the stages and what is already done; run nothing')
    .option('--out <dir>', "output folder (default: the file's `out`, else experiments/<name>)")
    .action(async (file: string, f: Flags) => {
      const plan = planExperiment(readExperiment(file), file, { out: f.out });
      process.stderr.write(`${describePlan(plan)}\n`);
      if (f.dryRun) return;
      const r = await withInterrupt((signal) => runExperiment(plan, { signal, log: (line) => process.stderr.write(`${line}\n`) }));
      process.stdout.write(`\n${r.markdown}\nreport: ${r.report}\ntable: ${plan.out}/comparison.md, comparison.csv\n`);
    });
}
