// `latent-emulator distill RUN --steps 4`: progressive distillation (Salimans & Ho 2022) of a trained diffusion
// run's deterministic DDIM sampler into a student taking `steps` steps (native/sample/distillation.h). Rounds halve
// the steps, teacherSteps → teacherSteps/2 → … → steps; each round's student starts from its teacher's weights (the
// same network, conditioning, masks and labels) and is trained on the run's own training windows.
//
// The distill directory (default <run>/distill-<steps>) is a run directory `eval`, `emulate` and `report` open with
// `--sampler distilled --steps N`:
//   config.yaml, cache.json   the teacher run's (model, data, autoencoder)
//   distill.json              teacher, rounds and settings (a resumed call must ask for the same)
//   round-<N>/                the trainLoop directory of the round whose student takes N steps (metrics, state.*)
//   students/steps-<N>.*      each finished round's student weights (metadata distill_steps = N) with a manifest
// Rerunning the command resumes: finished rounds are kept, the round in progress continues exactly from its last
// checkpoint (weights, optimizer, generator state, batch position).
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { fixedBatchShare, BatchStream } from './batches.js';
import { checkpointName, findCheckpoint, saveCheckpoint, type FoundCheckpoint } from './checkpoint.js';
import { readEmulatorRunConfig, type EmulatorRunConfig } from './config.js';
import { runLoopSettings, trainLoop, type LoopResult, type RunOptions } from './loop.js';
import { checkEmulatorRun, createEmulator, type CacheInfo } from './train-emulator.js';
import { DISTILL_STEPS_KEY } from '../models/distilled-sampler.js';
import type { Denoiser } from '../models/denoiser.js';
import { optimizerOptionsOf } from '../models/schemas.js';
import { getNumThreads, manualSeed, setNumThreads } from '../runtime.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import type { Weights } from '../util/parse-choice.js';

export const DISTILL_FORMAT = 'latent-emulator-distill/1';

export interface DistillSettings {
  /** The student's sampler steps at the end (a power of two dividing teacherSteps). */
  steps: number;
  /** The teacher's DDIM steps the first round distils (default 16, the reference's step count). */
  teacherSteps?: number;
  /** Optimizer steps per round (default 1000). */
  iterationsPerRound?: number;
  /** Epochs per round (validation and a checkpoint after each; default 4). */
  epochsPerRound?: number;
  /** Windows per step (default: the teacher run's train.batch_size). */
  batchSize?: number;
  /** Peak learning rate of each round (default: the teacher run's optim.learning_rate), with its scheduler and warm-up. */
  learningRate?: number;
  /** The teacher's weights: the last checkpoint (default) or the best. */
  weights?: Weights;
  seed?: number;
}

/** distill.json. */
export interface DistillInfo {
  format: string;
  teacher_run: string;
  teacher_weights: string;
  teacher_sha256: string;
  teacher_steps: number;
  steps: number;
  /** The student's steps of each round, in order. */
  rounds: number[];
  iterations_per_round: number;
  epochs_per_round: number;
  batch_size: number;
  learning_rate: number;
  seed: number;
}

export type DistillOptions = DistillSettings &
  Omit<RunOptions<{ dir: string; info: DistillInfo; trainItems: number; parameters: number }>, 'resumeDir' | 'runDir'> & {
    /** The distill directory (default <run>/distill-<steps>); an existing one is resumed. */
    out?: string;
    /** Called when a round starts or is found finished. */
    onRound?: (r: { steps: number; teacherSteps: number; skipped: boolean }) => void;
  };

export interface DistillResult {
  dir: string;
  info: DistillInfo;
  completed: boolean;
  stopped: boolean;
  /** The finished students by step count: their weights files. */
  students: Record<number, string>;
  /** Each round's loop result (rounds run in this call). */
  loops: Record<number, LoopResult>;
}

/** The rounds' student steps: teacherSteps/2, /4, … down to steps; an error unless steps·2^k = teacherSteps. */
export function distillRounds(teacherSteps: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer (the student's sampler steps), got ${steps}`);
  if (!Number.isInteger(teacherSteps) || teacherSteps < 2) throw new Error(`--teacher-steps must be an integer ≥ 2, got ${teacherSteps}`);
  const rounds: number[] = [];
  for (let s = teacherSteps; s > steps; s /= 2) {
    if (s % 2 !== 0) break;
    rounds.push(s / 2);
  }
  if (rounds.at(-1) !== steps)
    throw new Error(`--steps ${steps} is not reached by halving --teacher-steps ${teacherSteps} (progressive distillation halves the steps each round: give steps = teacher steps / 2^k)`);
  return rounds;
}

/** The finished student for `steps` in a distill directory, or undefined. */
export function findStudent(dir: string, steps: number): FoundCheckpoint | undefined {
  const students = join(dir, 'students');
  return existsSync(students) ? findCheckpoint(students, `steps-${steps}`) : undefined;
}

/** distill.json of a distill directory, or undefined when `dir` is not one. */
export function readDistillInfo(dir: string): DistillInfo | undefined {
  const path = join(dir, 'distill.json');
  if (!existsSync(path)) return undefined;
  const info = JSON.parse(readFileSync(path, 'utf8')) as DistillInfo;
  if (info.format !== DISTILL_FORMAT) throw new Error(`${path}: not a distill description (format ${String(info.format)}, expected ${DISTILL_FORMAT})`);
  return info;
}

/** Distils the diffusion run in `runDir` (see the file comment); resumes a distill directory that exists. */
export async function distillRun(runDir: string, o: DistillOptions): Promise<DistillResult> {
  const teacherDir = resolve(runDir);
  if (!existsSync(join(teacherDir, 'config.yaml'))) throw new Error(`run ${teacherDir}: no config.yaml (give a train-diffusion run directory)`);
  if (existsSync(join(teacherDir, 'distill.json'))) throw new Error(`run ${teacherDir} is itself a distill directory; give the diffusion run it came from`);
  const config: EmulatorRunConfig = readEmulatorRunConfig(join(teacherDir, 'config.yaml'));
  if (config.kind !== 'diffusion') throw new Error(`run ${teacherDir} is a ${config.kind} run; distillation needs a diffusion run (train-diffusion)`);
  const cachePath = join(teacherDir, 'cache.json');
  if (!existsSync(cachePath)) throw new Error(`run ${teacherDir}: no cache.json (the run never started training)`);
  const savedCache = JSON.parse(readFileSync(cachePath, 'utf8')) as CacheInfo;
  const weightsName = checkpointName(o.weights);
  const teacher = findCheckpoint(teacherDir, weightsName);
  if (!teacher) throw new Error(`run ${teacherDir}: no '${weightsName}' checkpoint to distil (train it first)`);

  const teacherSteps = o.teacherSteps ?? 16;
  const rounds = distillRounds(teacherSteps, o.steps);
  const iterations = o.iterationsPerRound ?? 1000;
  const epochs = o.epochsPerRound ?? 4;
  for (const [name, v] of [['iterations per round', iterations], ['epochs per round', epochs]] as const)
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  const info: DistillInfo = {
    format: DISTILL_FORMAT,
    teacher_run: teacherDir,
    teacher_weights: teacher.path,
    teacher_sha256: teacher.manifest.sha256,
    teacher_steps: teacherSteps,
    steps: o.steps,
    rounds,
    iterations_per_round: iterations,
    epochs_per_round: epochs,
    batch_size: o.batchSize ?? config.train.batch_size,
    learning_rate: o.learningRate ?? config.optim.learning_rate,
    seed: o.seed ?? config.train.seed,
  };
  if (!Number.isInteger(info.batch_size) || info.batch_size < 1) throw new Error(`batch size must be a positive integer, got ${info.batch_size}`);
  if (!(info.learning_rate > 0)) throw new Error(`learning rate must be positive, got ${info.learning_rate}`);

  const dir = resolve(o.out ?? join(teacherDir, `distill-${o.steps}`));
  const saved = readDistillInfo(dir);
  if (saved) {
    const differs = (Object.keys(info) as Array<keyof DistillInfo>).filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(info[k]));
    if (differs.length)
      throw new Error(`${dir} holds a distillation with other settings (${differs.map((k) => `${k}: ${JSON.stringify(saved[k])} there, ${JSON.stringify(info[k])} now`).join('; ')}); give another --out or the same settings to resume`);
  } else if (existsSync(dir) && existsSync(join(dir, 'config.yaml'))) {
    throw new Error(`${dir} is a run directory but not a distillation (no distill.json); give another --out`);
  }

  // Everything about the data is checked before any compute (the teacher's own checks).
  const data = await checkEmulatorRun(config, config.space === 'latent' ? savedCache.ae_hash : undefined);
  const threadsBefore = config.train.threads ? getNumThreads() : 0;
  const result: DistillResult = { dir, info, completed: false, stopped: false, students: {}, loops: {} };
  try {
    if (config.train.threads) setNumThreads(config.train.threads);
    if (info.batch_size > data.train.length) throw new Error(`batch size ${info.batch_size} is larger than the training set (${data.train.length} windows)`);
    mkdirSync(join(dir, 'students'), { recursive: true });
    if (!saved) {
      copyFileSync(join(teacherDir, 'config.yaml'), join(dir, 'config.yaml'));
      copyFileSync(cachePath, join(dir, 'cache.json'));
      writeFileAtomic(join(dir, 'distill.json'), `${JSON.stringify(info, null, 2)}\n`);
    }
    const labelled = data.cache.label_features > 0;
    let teacherPath = teacher.path;
    let ran = 0;  // optimizer steps in this call, for stopAfterSteps
    for (const steps of rounds) {
      const found = findStudent(dir, steps);
      o.onRound?.({ steps, teacherSteps: 2 * steps, skipped: found !== undefined });
      if (found) {
        result.students[steps] = found.path;
        teacherPath = found.path;
        continue;
      }
      if (o.stopAfterSteps !== undefined && ran >= o.stopAfterSteps) {
        result.stopped = true;
        return result;
      }
      const roundDir = join(dir, `round-${steps}`);
      mkdirSync(roundDir, { recursive: true });
      manualSeed(info.seed + steps);
      const model = createEmulator(config, data.cache) as Denoiser;
      await model.loadWeights(teacherPath, { strict: true });  // the student starts as its teacher
      await model.setDistillation(teacherPath, { steps });
      model.configureOptimizer(optimizerOptionsOf({ ...config.optim, learning_rate: info.learning_rate }, 1));
      o.onStart?.({ dir, info, trainItems: data.train.length, parameters: model.parameterCount() });
      const epochSize = Math.ceil(iterations / epochs);
      const validSeed = info.seed * 7919 + 1_000_003;
      const loop = await trainLoop({
        ...runLoopSettings(
          roundDir,
          { epochs, epoch_size: epochSize, batch_size: info.batch_size, checkpoint_every: 1 },
          { scheduler: config.optim.scheduler, learning_rate: info.learning_rate, warmup: Math.min(config.optim.warmup, Math.floor((epochs * epochSize) / 10)) },
          {
            ...o,
            stopAfterSteps: o.stopAfterSteps === undefined ? undefined : o.stopAfterSteps - ran,
            onStep: (s) => {
              ran++;
              o.onStep?.(s);
            },
          },
        ),
        batches: (start) => new BatchStream(data.train, { batchSize: info.batch_size, seed: info.seed + steps }, start),
        model: {
          step: (batch, lr) => model.trainStep({ state: batch.state, label: labelled ? batch.label : undefined }, lr),
          // The distillation loss on the same valid windows, grid steps and noise every epoch, dropout off.
          validate: async () => {
            model.eval();
            try {
              let sum = 0;
              let n = 0;
              for (const { batch, index } of fixedBatchShare(data.valid, config.valid.epoch_size, config.valid.batch_size)) {
                const b = batch.state.shape[0]!;
                sum += b * (await model.loss({ state: batch.state, label: labelled ? batch.label : undefined }, { seed: validSeed + index }));
                n += b;
              }
              return sum / n;
            } finally {
              model.train();
            }
          },
          saveState: (path, metadata) => model.saveCheckpoint(path, metadata),
          loadState: (path) => model.loadCheckpoint(path),
          saveBest: (path, metadata) => model.saveWeights(path, metadata),
        },
      });
      result.loops[steps] = loop;
      if (!loop.completed) {
        result.stopped = true;
        return result;
      }
      const metadata = { [DISTILL_STEPS_KEY]: String(steps), teacher_steps: String(2 * steps), teacher: teacherPath, distill: JSON.stringify({ rounds: info.rounds, teacher_run: teacherDir }) };
      await saveCheckpoint(join(dir, 'students'), `steps-${steps}`, (path) => model.saveWeights(path, metadata), { steps, teacher_steps: 2 * steps, valid_loss: loop.bestValidLoss }, false);
      const student = findStudent(dir, steps)!;
      result.students[steps] = student.path;
      teacherPath = student.path;
    }
    result.completed = true;
    return result;
  } finally {
    if (threadsBefore) setNumThreads(threadsBefore);
    data.close();
  }
}
