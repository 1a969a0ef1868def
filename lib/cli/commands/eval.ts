// `latent-emulator eval RUN [--split test] [--trajectories 64] [--samples 16] [--sampler ab --steps 16] [--context 1]`:
// the reference's evaluation protocol on an emulator run (see lib/eval/evaluate.ts); prints the summary by
// horizon and the output directory. Interrupted, it keeps finished trajectories and resumes on the next call.
import type { Command } from 'commander';

import { parseInteger } from '../../util/parse-integer.js';
import cliProgress from 'cli-progress';

import { SAMPLER_DEFAULTS, SAMPLERS, type SamplerName } from '../../models/schemas.js';
import { evaluateRun, type EvalSummary } from '../../eval/evaluate.js';
import { isMainRank } from '../../launch/rendezvous.js';
import { withInterrupt } from '../interrupt.js';
import { parseChoice, WEIGHTS } from '../../util/parse-choice.js';

interface Flags {
  split: string;
  trajectories: string;
  samples: string;
  sampler: string;
  steps: string;
  context: string;
  start: string;
  seed: string;
  weights: string;
  root?: string;
  dataset?: string;
  out?: string;
  device?: string;
  horizons?: string;
  solverSpeed: boolean;
  baselines: boolean;
  operator?: string;
  obsNoise: string;
}

const nonNegative = (name: string, v: string) => parseInteger(name, v, 0);

/** "1:20,21:60,61:100" → [[1, 20], [21, 60], [61, 100]]. */
export function parseHorizons(text: string): Array<[number, number]> {
  return text.split(',').map((part) => {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!m || Number(m[1]) > Number(m[2])) throw new Error(`--horizons: '${part}' is not a range like 1:20`);
    return [Number(m[1]), Number(m[2])];
  });
}

/** The table printed after an evaluation: mean VRMSE over fields per horizon, and speed. */
export function formatEvalSummary(s: EvalSummary): string {
  const h = s.horizons.map(([a, b]) => `${a}:${b}`.padStart(9));
  const fmt = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toFixed(3)).padStart(9);
  const row = (label: string, key: string) => (s.by_horizon[key] ? `${label.padEnd(22)}${s.by_horizon[key]!.mean!.map(fmt).join('')}` : undefined);
  return [
    `${s.name} (${s.kind}), ${s.dataset} ${s.split}: ${s.protocol.trajectories} trajectories, K = ${s.protocol.samples}`,
    `${'VRMSE (mean of fields)'.padEnd(22)}${h.join('')}`,
    row(s.guidance ? `guided (${s.guidance.operator})` : 'emulator', 'vrmse'),
    s.guidance ? `${'unguided'.padEnd(22)}${s.guidance.unguided_vrmse.map(fmt).join('')}` : undefined,
    row('autoencoder', 'ae_vrmse'),
    row('persistence', 'persistence_vrmse'),
    row('climatology', 'climatology_vrmse'),
    row('spread/skill', 'spread_skill'),
    `speed: ${(s.speed.seconds_per_state * 1000).toFixed(1)} ms per emulated state (rollout + decode)` +
      (s.solver ? `; built-in solver ${(s.solver.seconds_per_state * 1000).toFixed(1)} ms → ×${(s.solver.seconds_per_state / s.speed.seconds_per_state).toFixed(1)}` : ''),
  ]
    .filter((l) => l !== undefined)
    .join('\n');
}

export function register(program: Command): void {
  program
    .command('eval')
    .description("evaluate an emulator run with the reference's protocol: rollouts of test trajectories, metrics per field and lead time (CSV + summary)")
    .argument('<run>', 'diffusion or surrogate run directory')
    .option('--split <split>', 'dataset split', 'test')
    .option('--trajectories <n>', 'trajectories (seeded choice, as the reference)', '64')
    .option('--samples <k>', 'ensemble members per trajectory (diffusion)', '16')
    .option('--sampler <name>', `sampler: ${SAMPLERS.join(' | ')}`, SAMPLER_DEFAULTS.sampler)
    .option('--steps <n>', 'sampler steps', String(SAMPLER_DEFAULTS.steps))
    .option('--context <c>', 'known states (windows overlap by c)', '1')
    .option('--start <step>', 'simulation step the rollout starts from', '0')
    .option('--seed <n>', 'seed of the trajectory choice and the rollouts', '0')
    .option('--weights <which>', 'state (last checkpoint) | best', 'state')
    .option('--root <dir>', "data directory (default: the autoencoder run's dataset.root)")
    .option('--dataset <name>', 'refuse the run unless it was trained on this dataset')
    .option('--out <dir>', 'output directory (default <run>/eval/<split>_<sampler><steps>_c<context>)')
    .option('--device <device>', "device (default: the run's)")
    .option('--horizons <ranges>', 'lead-time ranges, e.g. 1:20,21:60,61:100 (default: the reference\'s for the physics)')
    .option('--no-solver-speed', 'skip timing the built-in solver for the speed-up')
    .option('--no-baselines', 'skip the persistence and climatology baselines (the climatology reads the train split once, then is cached)')
    .option('--operator <op>', 'MMPS guidance by observations of each test trajectory: subsample:N | downscale:N (the unguided evaluation runs too)')
    .option('--obs-noise <sigma>', 'observation noise σ with --operator', '0.1')
    .action(async (run: string, f: Flags) => {
      if (!(SAMPLERS as readonly string[]).includes(f.sampler)) throw new Error(`unknown sampler '${f.sampler}' (expected one of ${SAMPLERS.join(', ')})`);
      const weights = parseChoice('weights', f.weights, WEIGHTS);
      const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: '{bar} {value}/{total} trajectories | {last}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
      try {
        const { dir, summary } = await withInterrupt((signal) =>
          evaluateRun(run, {
            split: f.split,
            trajectories: nonNegative('trajectories', f.trajectories),
            samples: nonNegative('samples', f.samples),
            sampler: f.sampler as SamplerName,
            steps: nonNegative('steps', f.steps),
            context: nonNegative('context', f.context),
            start: nonNegative('start', f.start),
            seed: nonNegative('seed', f.seed),
            weights,
            root: f.root,
            dataset: f.dataset,
            out: f.out,
            device: f.device,
            horizons: f.horizons ? parseHorizons(f.horizons) : undefined,
            solverSpeed: f.solverSpeed,
            baselines: f.baselines,
            ...(f.operator !== undefined ? { operator: f.operator, obsNoise: Number(f.obsNoise) } : {}),
            signal,
            log: (line) => process.stderr.write(`${line}\n`),
            warn: (line) => process.stderr.write(`warning: ${line}\n`),
            onProgress: (p) => {
              if (bar) {
                if (p.done === 1) bar.start(p.total, 0, { last: '' });
                bar.update(p.done, { last: `${p.seconds.toFixed(1)} s/trajectory` });
              } else process.stderr.write(`trajectory ${p.index}: ${p.done}/${p.total} (${p.seconds.toFixed(1)} s)\n`);
            },
          }),
        );
        bar?.stop();
        if (!isMainRank()) return;  // item-parallel: rank 0 reports the summary it wrote
        process.stderr.write(`${formatEvalSummary(summary)}\n`);
        process.stdout.write(`${dir}\n`);
      } finally {
        bar?.stop();
      }
    });
}
