// `latent-emulator distill RUN --steps 4 [--teacher-steps 16] [--iterations-per-round 1000] [--out DIR]`: progressive
// distillation of a diffusion run's DDIM sampler into a few-step student (lib/train/distill.ts). The students are
// sampled with `--sampler distilled --steps N` by eval, emulate and report on the distill directory. Rerun to resume;
// Ctrl-C saves and stops.
import type { Command } from 'commander';

import { distillRun } from '../../train/distill.js';
import { parseInteger } from '../../util/parse-integer.js';
import { withInterrupt } from '../interrupt.js';
import { parseChoice, WEIGHTS } from '../../util/parse-choice.js';

interface Flags {
  steps: string;
  teacherSteps: string;
  iterationsPerRound: string;
  epochsPerRound: string;
  batchSize?: string;
  learningRate?: string;
  weights: string;
  seed?: string;
  out?: string;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
}

export function register(program: Command): void {
  program
    .command('distill')
    .description("distil a diffusion run's sampler into a few-step student (progressive distillation of DDIM: each round halves the steps); sample it with --sampler distilled --steps N; resumable")
    .argument('<run>', 'train-diffusion run directory (the teacher)')
    .requiredOption('--steps <n>', "the student's sampler steps (teacher steps / 2^k: 8, 4, 2 or 1 from 16)")
    .option('--teacher-steps <n>', "the teacher's DDIM steps distilled in the first round", '16')
    .option('--iterations-per-round <n>', 'optimizer steps per round', '1000')
    .option('--epochs-per-round <n>', 'validations and checkpoints per round', '4')
    .option('--batch-size <n>', "windows per step (default: the run's train.batch_size)")
    .option('--learning-rate <lr>', "peak learning rate per round (default: the run's optim.learning_rate; its scheduler and warm-up)")
    .option('--weights <which>', "the teacher's weights: state (the last checkpoint) or best", 'state')
    .option('--seed <n>', "seed (default: the run's train.seed)")
    .option('--out <dir>', 'distill directory (default <run>/distill-<steps>); an existing one is resumed')
    .option('--progress <mode>', 'auto | bar | lines | none', 'auto')
    .action(async (run: string, f: Flags) => {
      const weights = parseChoice('weights', f.weights, WEIGHTS);
      const learningRate = f.learningRate === undefined ? undefined : Number(f.learningRate);
      if (learningRate !== undefined && !(learningRate > 0)) throw new Error(`--learning-rate must be a positive number, got '${f.learningRate}'`);
      const r = await withInterrupt((signal) =>
        distillRun(run, {
          steps: parseInteger('steps', f.steps, 1),
          teacherSteps: parseInteger('teacher-steps', f.teacherSteps, 2),
          iterationsPerRound: parseInteger('iterations-per-round', f.iterationsPerRound, 1),
          epochsPerRound: parseInteger('epochs-per-round', f.epochsPerRound, 1),
          batchSize: f.batchSize === undefined ? undefined : parseInteger('batch-size', f.batchSize, 1),
          learningRate,
          weights,
          seed: f.seed === undefined ? undefined : parseInteger('seed', f.seed, 0),
          out: f.out,
          signal,
          progress: f.progress,
          onRound: (x) => process.stderr.write(`round ${x.teacherSteps} → ${x.steps} steps${x.skipped ? ': finished earlier, kept' : ''}\n`),
        }),
      );
      const students = Object.entries(r.students).map(([steps, path]) => `  ${steps} steps: ${path}`);
      process.stderr.write(`${r.completed ? 'finished' : 'stopped'}; students:\n${students.join('\n') || '  none yet'}\n`);
      process.stdout.write(`${r.dir}\n`);
    });
}
