// `latent-emulator generate euler_multi_quadrants|rayleigh_benard --root DIR ...`: run the built-in
// solvers and write Well-format datasets (resumable, deterministic for a seed), with a progress bar.
import type { Command } from 'commander';

import { parseInteger } from '../../util/parse-integer.js';
import cliProgress from 'cli-progress';
import { generateEuler, generateRayleighBenard, type GenerateProgress, type GenerateResult } from '../../solvers/generate.js';
import type { EulerBoundary } from '../../solvers/catalog.js';

interface GenerateFlags {
  ignoreSizeLimits?: boolean;
  root: string;
  bc?: string;
  resolution?: string;
  trajectories: string;
  steps?: string;
  gamma?: string;
  rayleigh?: string;
  prandtl?: string;
  seed: string;
  batch: string;
  cfl?: string;
  device?: string;
}

function numbers(flag: string, text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const values = text.split(',').map((s) => Number(s.trim()));
  if (!values.length || values.some((v) => !Number.isFinite(v))) throw new Error(`--${flag} must be a comma-separated list of numbers, got '${text}'`);
  return values;
}

function integer(flag: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseInteger(flag, text);
}

function progress(): { onProgress: (p: GenerateProgress) => void; stop: () => void } {
  const tty = process.stderr.isTTY;
  const bar = tty ? new cliProgress.SingleBar({ format: '{bar} {percentage}% {value}/{total} states  {file}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  let started = false;
  return {
    onProgress: (p) => {
      const file = p.file.split('/').slice(-2).join('/');
      if (bar) {
        if (!started) bar.start(p.total, 0, { file });
        started = true;
        bar.update(p.done, { file });
      }
      if (p.status !== 'running' && !tty) process.stderr.write(`${p.status} ${p.file}\n`);
    },
    stop: () => bar?.stop(),
  };
}

function report(r: GenerateResult): void {
  process.stdout.write(`${r.written.length} files written, ${r.kept.length} already complete, under ${r.directory}\n`);
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('simulate a dataset with the built-in solvers and write it in The Well\'s layout (DIR/datasets/<name>/data/<split>/)')
    .argument('<system>', 'euler_multi_quadrants or rayleigh_benard')
    .requiredOption('--root <dir>', 'where the datasets/ directory goes')
    .option('--bc <bc>', 'euler: open or periodic boundaries', 'open')
    .option('--resolution <n>', 'euler: N cells per side (default 128); rayleigh_benard: NxM (default 128x32)')
    .option('--trajectories <m>', 'trajectories per parameter set, split 0.8/0.1/0.1 (at least 3)', '10')
    .option('--steps <t>', 'stored states per trajectory (euler: at most 101, default 101; rayleigh_benard: default 200)')
    .option('--gamma <list>', "euler: heat-capacity ratios, comma-separated (default The Well's ten)")
    .option('--rayleigh <list>', 'rayleigh_benard: Rayleigh numbers, comma-separated (default 1e6)')
    .option('--prandtl <list>', 'rayleigh_benard: Prandtl numbers, comma-separated (default 1)')
    .option('--seed <s>', 'seed of the initial conditions', '0')
    .option('--batch <b>', 'trajectories simulated together', '8')
    .option('--cfl <c>', 'Courant number (euler: (0, 1), default 0.4; rayleigh_benard: (0, 1], default 0.5)')
    .option('--device <device>', 'cpu or cuda[:i]', 'cpu')
    .option('--ignore-size-limits', 'run even when the memory/disk estimate exceeds what is free')
    .action(async (system: string, f: GenerateFlags) => {
      const common = {
        root: f.root,
        trajectories: integer('trajectories', f.trajectories),
        seed: integer('seed', f.seed),
        batch: integer('batch', f.batch),
        steps: integer('steps', f.steps),
        cfl: f.cfl === undefined ? undefined : Number(f.cfl),
        device: f.device,
        ignoreSizeLimits: f.ignoreSizeLimits,
      };
      const bar = progress();
      try {
        if (system === 'euler_multi_quadrants' || system.startsWith('euler_multi_quadrants_')) {
          const bc = system.endsWith('_periodicBC') ? 'periodic' : system.endsWith('_openBC') ? 'open' : f.bc;
          if (bc !== 'open' && bc !== 'periodic') throw new Error(`--bc must be open or periodic, got '${bc}'`);
          report(await generateEuler({ ...common, boundary: bc as EulerBoundary, resolution: integer('resolution', f.resolution), gamma: numbers('gamma', f.gamma), onProgress: bar.onProgress }));
        } else if (system === 'rayleigh_benard') {
          let resolution: [number, number] | undefined;
          if (f.resolution !== undefined) {
            const m = /^(\d+)x(\d+)$/.exec(f.resolution);
            if (!m) throw new Error(`--resolution must be NxM for rayleigh_benard (e.g. 128x32), got '${f.resolution}'`);
            resolution = [Number(m[1]), Number(m[2])];
          }
          report(await generateRayleighBenard({ ...common, resolution, rayleigh: numbers('rayleigh', f.rayleigh), prandtl: numbers('prandtl', f.prandtl), onProgress: bar.onProgress }));
        } else {
          throw new Error(`unknown system '${system}': euler_multi_quadrants or rayleigh_benard`);
        }
      } finally {
        bar.stop();
      }
    });
}
