// `latent-emulator emulate RUN --input FILE|DIR --out DIR [--samples K]`: batch emulation of every trajectory's
// initial states into Well-format files (see lib/emulate/batch.ts); resumable, progress with states/s.
import type { Command } from 'commander';

import { parseInteger } from '../../util/parse-integer.js';
import cliProgress from 'cli-progress';

import { emulateBatch } from '../../emulate/batch.js';
import { SAMPLER_DEFAULTS, SAMPLERS, type SamplerName } from '../../models/schemas.js';
import { withInterrupt } from '../interrupt.js';
import { parseChoice, WEIGHTS } from '../../util/parse-choice.js';

interface Flags {
  input: string;
  out: string;
  samples: string;
  sampler: string;
  steps: string;
  context: string;
  length?: string;
  split: string;
  seed: string;
  weights: string;
  decodeBatch?: string;
  device?: string;
  ignoreSizeLimits?: boolean;
  observe?: string;
  operator?: string;
  obsNoise: string;
}

const integer = (name: string, v: string) => parseInteger(name, v, 1);

export function register(program: Command): void {
  program
    .command('emulate')
    .description('batch emulation: roll out every trajectory of the input Well files from its initial states; writes a Well-format dataset (resumable)')
    .argument('<run>', 'diffusion or surrogate run directory')
    .requiredOption('--input <path>', 'a Well file or a directory of them (initial states)')
    .requiredOption('--out <dir>', 'output root: <out>/<dataset>/data/<split>/<input>_<trajectory>.hdf5')
    .option('--samples <k>', 'ensemble members per initial state', '1')
    .option('--sampler <name>', `sampler: ${SAMPLERS.join(' | ')}`, SAMPLER_DEFAULTS.sampler)
    .option('--steps <n>', 'sampler steps', String(SAMPLER_DEFAULTS.steps))
    .option('--context <c>', 'known initial states', '1')
    .option('--length <n>', 'states per emulated trajectory, context included (default: as the input)')
    .option('--split <name>', 'split folder of the output dataset', 'test')
    .option('--seed <n>', 'seed', '0')
    .option('--weights <which>', 'state (last checkpoint) | best', 'state')
    .option('--decode-batch <n>', 'states per decoder call (default: from free memory)')
    .option('--device <device>', "device (default: the run's)")
    .option('--ignore-size-limits', 'run even when the memory/disk estimate exceeds what is free')
    .option('--observe <path>', 'MMPS guidance: a Well file (or a directory of files named as the inputs) whose states are observed')
    .option('--operator <op>', 'observation operator with --observe: subsample:N | downscale:N')
    .option('--obs-noise <sigma>', 'observation noise σ with --observe (added to A(x) when the file is on the data grid)', '0.1')
    .action(async (run: string, f: Flags) => {
      if (!(SAMPLERS as readonly string[]).includes(f.sampler)) throw new Error(`unknown sampler '${f.sampler}' (expected one of ${SAMPLERS.join(', ')})`);
      const weights = parseChoice('weights', f.weights, WEIGHTS);
      const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: '{bar} {value}/{total} trajectories | {rate} states/s', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
      try {
        const r = await withInterrupt((signal) =>
          emulateBatch(run, {
            input: f.input,
            out: f.out,
            samples: integer('samples', f.samples),
            sampler: f.sampler as SamplerName,
            steps: integer('steps', f.steps),
            context: integer('context', f.context),
            length: f.length === undefined ? undefined : integer('length', f.length),
            split: f.split,
            seed: Number(f.seed),
            weights,
            decodeBatch: f.decodeBatch === undefined ? undefined : integer('decode-batch', f.decodeBatch),
            device: f.device,
            ignoreSizeLimits: f.ignoreSizeLimits,
            ...(f.observe !== undefined ? { observe: f.observe, operator: f.operator ?? '', obsNoise: Number(f.obsNoise) } : {}),
            signal,
            warn: (line) => process.stderr.write(`warning: ${line}\n`),
            onProgress: (p) => {
              const rate = (p.states / Math.max(p.seconds, 1e-9)).toFixed(1);
              if (bar) {
                if (!bar.getTotal()) bar.start(p.total, 0, { rate });
                bar.update(p.done, { rate });
              } else process.stderr.write(`${p.done}/${p.total} ${p.file} (${rate} states/s)\n`);
            },
          }),
        );
        bar?.stop();
        process.stderr.write(`${r.files.length} file(s) written, ${r.skipped} already done, ${r.states} states in ${r.seconds.toFixed(1)} s → dataset root ${r.root}\n`);
        for (const file of r.files) process.stdout.write(`${file}\n`);
      } finally {
        bar?.stop();
      }
    });
}
