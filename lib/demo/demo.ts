// `latent-emulator demo`: the paper's pipeline start to finish on a built-in default, through the same runs
// and commands a researcher uses (so every stage can be inspected, resumed or continued from the CLI):
//   1. generate   Euler multi-quadrants data with the built-in solver (The Well's layout)     <out>/data
//   2. train-ae   a CPU-sized DCAE                                                             <out>/runs/ae
//   3. cache      the latent trajectories of the train and valid splits                        <out>/runs/ae/cache
//   4. train      a latent diffusion emulator and a latent neural solver                       <out>/runs/{diffusion,surrogate}
//   5. eval       both, with the reference's protocol (AB3, 16 steps), against the truth       <run>/eval/…
//   6. report     one HTML file comparing them                                                 <out>/report.html
// The sizes are data, configs/demo/<size>.yaml (see sizes.ts): `cpu` takes about 8 minutes on 2 quiet cores
// (under 20 with a fresh clone's set-up: npm ci, libtorch, the native build), `long` for under an hour; with a CUDA
// device `auto` picks `gpu`.
// Rerunning the command resumes: finished runs and evaluations are kept.
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

import { evaluateRun, type EvalSummary } from '../eval/evaluate.js';
import { writeReport } from '../report/index.js';
import { doctor, manualSeed } from '../runtime.js';
import { generateEuler } from '../solvers/generate.js';
import { cacheLatents } from '../train/cache-latents.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import { composeConfig, resolveAeConfig, resolveEmulatorConfig, type AeRunConfig, type EmulatorRunConfig, type EmulatorRunKind } from '../train/config.js';
import { trainAutoencoder } from '../train/train-ae.js';
import { trainEmulator } from '../train/train-emulator.js';
import { demoSizes, type DemoSizeName, type DemoSizes } from './sizes.js';

export { demoSizes, type DemoSizes } from './sizes.js';

export interface DemoOptions {
  /** Output folder (data, runs, report). */
  out: string;
  /** 'auto' (default): 'gpu' when a CUDA device is usable, else 'cpu'; or a preset of configs/demo/. */
  size?: 'auto' | DemoSizeName;
  /** Replaces parts of the chosen sizes. */
  sizes?: Partial<DemoSizes>;
  seed?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface DemoRow {
  model: string;
  /** Mean VRMSE over fields per horizon, physical units. */
  vrmse: Array<number | null>;
  spreadSkill: Array<number | null> | null;
  msPerState: number | null;
}

export interface DemoSummary {
  out: string;
  device: string;
  sizes: DemoSizes;
  compression: number;
  horizons: Array<[number, number]>;
  rows: DemoRow[];
  solverMsPerState: number | null;
  report: string;
  runs: { ae: string; diffusion: string; surrogate: string };
  seconds: number;
}

const quote = (path: string) => JSON.stringify(path);

/** What the demo sets in every training run: `steps` in 4 epochs (so progress is printed), a short cosine
 *  schedule with 5 % warm-up, a small fixed validation set. */
function runOverrides(runsRoot: string, size: DemoSizes['ae'], precision: string, device: string, seed: number): string[] {
  const epochs = 4;
  return [
    `runs_dir=${quote(runsRoot)}`,
    `train.epochs=${epochs}`,
    `train.epoch_size=${Math.max(1, Math.ceil(size.steps / epochs))}`,
    `train.batch_size=${size.batch}`,
    `train.precision=${precision}`,
    `train.device=${device}`,
    `train.seed=${seed}`,
    `optim.learning_rate=${size.learning_rate}`,
    `optim.ema_decay=${size.ema_decay}`,
    `optim.warmup=${Math.max(1, Math.floor(size.steps / 20))}`,
    'valid.epoch_size=16',
    `valid.batch_size=${Math.min(16, size.batch)}`,
  ];
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  const started = performance.now();
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const cuda = doctor().cudaAvailable;
  // The CPU recipes (tiny, cpu, long) stay on the CPU, so that their numbers are the ones in the README.
  const device = cuda && (options.size === undefined || options.size === 'auto' || options.size === 'gpu') ? 'cuda' : 'cpu';
  const kind = options.size === undefined || options.size === 'auto' ? (device === 'cuda' ? 'gpu' : 'cpu') : options.size;
  const sizes: DemoSizes = { ...demoSizes(kind), ...options.sizes };
  const seed = options.seed ?? 0;
  const dataRoot = join(out, 'data');
  const runsRoot = join(out, 'runs');
  const stopIfAsked = () => {
    if (options.signal?.aborted) throw new Error(`demo interrupted; finished stages are kept in ${out} (run the same command again to resume)`);
  };
  manualSeed(seed);
  const clock = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s`;

  log(`[1/6] ${clock()}  generating Euler multi-quadrants data: ${sizes.resolution}², ${sizes.trajectories} trajectories × γ ∈ {${sizes.gamma.join(', ')}}, ${sizes.steps} states (built-in solver, ${availableParallelism()} cores)`);
  await generateEuler({ root: dataRoot, boundary: 'open', resolution: sizes.resolution, steps: sizes.steps, trajectories: sizes.trajectories, gamma: sizes.gamma, seed, device });
  stopIfAsked();

  // 2. The autoencoder run (resumed, or skipped when finished, on a second call).
  const aeDir = join(runsRoot, 'ae');
  const configs = demoConfigs(out, sizes, device, seed);
  log(`[2/6] ${clock()}  training the autoencoder ${sizes.ae.preset} (${sizes.ae.steps} steps of ${sizes.ae.batch}, ${sizes.precision}) → ${aeDir}`);
  const aeStarted = existsSync(join(aeDir, 'config.yaml'));
  const aeResult = await trainAutoencoder(aeStarted ? undefined : configs.ae, {
    ...(aeStarted ? { resumeDir: aeDir } : { runDir: aeDir }),
    progress: 'lines',
    signal: options.signal,
    log,
  });
  stopIfAsked();
  if (!aeResult.completed) throw new Error(`the autoencoder run ${aeDir} stopped before finishing`);

  log(`[3/6] ${clock()}  caching latent trajectories (train ×${sizes.repeat} augmentations, valid)`);
  const cached = await cacheLatents(aeDir, { split: 'train', repeat: sizes.repeat, device });
  await cacheLatents(aeDir, { split: 'valid', device });
  stopIfAsked();

  // 4. The two emulators, the same backbone and windows.
  const emulatorDirs = {} as Record<EmulatorRunKind, string>;
  for (const [k, runKind] of (['diffusion', 'surrogate'] as const).entries()) {
    const dir = join(runsRoot, runKind);
    emulatorDirs[runKind] = dir;
    const config = configs[runKind];
    log(`[4/6] ${clock()}  training the latent ${runKind === 'diffusion' ? 'diffusion emulator' : 'neural solver'} (${k + 1}/2) ${sizes.emulator.preset} (${sizes.emulator.steps} steps of ${sizes.emulator.batch}) → ${dir}`);
    const exists = existsSync(join(dir, 'config.yaml'));
    const r = await trainEmulator(exists ? undefined : config, { ...(exists ? { resumeDir: dir } : { runDir: dir }), progress: 'lines', signal: options.signal, log });
    stopIfAsked();
    if (!r.completed) throw new Error(`the ${runKind} run ${dir} stopped before finishing`);
  }

  const summaries: EvalSummary[] = [];
  const evalDirs: string[] = [];
  for (const runKind of ['diffusion', 'surrogate'] as const) {
    log(`[5/6] ${clock()}  evaluating the ${runKind} run on ${sizes.eval.trajectories} test trajectories (K = ${runKind === 'diffusion' ? sizes.eval.samples : 1}${runKind === 'diffusion' ? `, Adams–Bashforth ${sizes.eval.steps} steps` : ''})`);
    const { dir, summary } = await evaluateRun(emulatorDirs[runKind], {
      trajectories: sizes.eval.trajectories,
      samples: sizes.eval.samples,
      sampler: 'ab',
      steps: sizes.eval.steps,
      device,
      signal: options.signal,
    });
    summaries.push(summary);
    evalDirs.push(dir);
  }

  const report = join(out, 'report.html');
  log(`[6/6] ${clock()}  writing the report`);
  await writeReport(evalDirs, report, { title: 'latent-emulator demo: Euler multi-quadrants' });

  const [diffusion, surrogate] = summaries as [EvalSummary, EvalSummary];
  const solver = diffusion.solver ?? surrogate.solver;
  const summary: DemoSummary = {
    out,
    device,
    sizes,
    compression: cached.compressionRate,
    horizons: diffusion.horizons,
    rows: [
      { model: 'autoencoder (reconstruction)', vrmse: diffusion.by_horizon.ae_vrmse!.mean!, spreadSkill: null, msPerState: null },
      { model: 'latent diffusion', vrmse: diffusion.by_horizon.vrmse!.mean!, spreadSkill: diffusion.by_horizon.spread_skill!.mean!, msPerState: diffusion.speed.seconds_per_state * 1000 },
      { model: 'latent neural solver', vrmse: surrogate.by_horizon.vrmse!.mean!, spreadSkill: null, msPerState: surrogate.speed.seconds_per_state * 1000 },
      ...(['persistence', 'climatology'] as const)
        .filter((b) => diffusion.by_horizon[`${b}_vrmse`])
        .map((b) => ({ model: `${b} (baseline)`, vrmse: diffusion.by_horizon[`${b}_vrmse`]!.mean!, spreadSkill: null, msPerState: null })),
    ],
    solverMsPerState: solver ? solver.seconds_per_state * 1000 : null,
    report,
    runs: { ae: aeDir, diffusion: emulatorDirs.diffusion, surrogate: emulatorDirs.surrogate },
    seconds: (performance.now() - started) / 1000,
  };
  writeFileAtomic(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** The three run configurations of the demo (the data in <out>/data, runs in <out>/runs/{ae,diffusion,surrogate}). */
export function demoConfigs(out: string, sizes: DemoSizes, device: string, seed: number): { ae: AeRunConfig } & Record<EmulatorRunKind, EmulatorRunConfig> {
  const runsRoot = join(out, 'runs');
  const ae = resolveAeConfig(
    composeConfig('ae_cpu', [
      'dataset=euler_open',
      `dataset.root=${quote(join(out, 'data'))}`,
      `ae=${sizes.ae.preset}`,
      ...sizes.ae.overrides,
      ...runOverrides(runsRoot, sizes.ae, sizes.precision, device, seed),
    ]),
  );
  const emulator = (kind: EmulatorRunKind) => {
    const section = kind === 'diffusion' ? 'denoiser' : 'surrogate';
    const overrides = [
      `ae_run=${quote(join(runsRoot, 'ae'))}`,
      `${section}=${sizes.emulator.preset}`,
      ...sizes.emulator.overrides.map((o) => `${section}.${o}`),
      ...runOverrides(runsRoot, sizes.emulator, sizes.precision, device, seed),
      `trajectory.stride=${sizes.stride}`,
    ];
    return resolveEmulatorConfig(composeConfig(`${kind}_cpu`, overrides, kind), kind);
  };
  return { ae, diffusion: emulator('diffusion'), surrogate: emulator('surrogate') };
}

/** The table the CLI prints. */
export function formatSummary(s: DemoSummary): string {
  const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
  const heads = s.horizons.map(([a, b]) => `${a}:${b}`.padStart(8));
  const lines = [
    `Euler multi-quadrants ${s.sizes.resolution}², compression ×${s.compression}, ${s.device}; test VRMSE (mean over fields, physical units) by lead time:`,
    `  ${'model'.padEnd(30)}${heads.join('')}   spread/skill   ms/state`,
    ...s.rows.map(
      (r) =>
        `  ${r.model.padEnd(30)}${r.vrmse.map((v) => fmt(v).padStart(8)).join('')}   ${(r.spreadSkill ? r.spreadSkill.map((v) => fmt(v, 2)).join(' ') : '–').padEnd(13)}  ${fmt(r.msPerState, 1)}`,
    ),
  ];
  if (s.solverMsPerState !== null) lines.push(`  built-in solver: ${fmt(s.solverMsPerState, 1)} ms per emulated state on this machine`);
  lines.push(`report: ${s.report}`, `total ${s.seconds.toFixed(0)} s`);
  return lines.join('\n');
}
