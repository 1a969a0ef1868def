// The training loop, generic over what is trained (autoencoders here; the denoiser reuses it): epochs ×
// steps, the learning rate per step, validation each epoch, metrics as JSON lines, `state` (every
// checkpoint_every epochs, at the end and on stop) and `state_best` checkpoints, exact resumption from
// the last good `state`, progress output, and a clean stop on an AbortSignal (Ctrl-C) after saving.
//
// The per-step JavaScript work is kept small: the next batch is built while the native step runs on the
// compute thread, and statistics are running sums.
//
// Checkpoint file layout (one safetensors file, see native/optim/checkpoint.h): weights under their state-dict
// keys (so `loadWeights` reads a checkpoint), `optimizer.<param>.*` (moments and step counts), `ema.<param>`,
// `trainer.steps|skipped`, `rng.cpu|cuda`; metadata `config` (the model's) and `loop` (JSON: position, best
// validation loss, the epoch's running sums).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Batch } from '../data/types.js';
import type { TrainStepResult } from '../native/addon-types.js';
import { findCheckpoint, removeStaleTemporaries, saveCheckpoint } from './checkpoint.js';
import type { EpochMetrics } from './epoch-metrics.js';
import { Progress, type ProgressMode } from './progress.js';
import { schedule, type ScheduleOptions } from './schedule.js';

export type { EpochMetrics };

/** What the loop trains: all the heavy work is behind these calls. */
export interface Trainable {
  step(batch: Batch, learningRate: number): Promise<TrainStepResult>;
  /** Mean validation loss (EMA weights when enabled, no dropout). */
  validate(): Promise<number>;
  /** Everything needed to resume, atomically, with `metadata` stored alongside. */
  saveState(path: string, metadata: Record<string, string>): Promise<void>;
  /** Restores saveState's file; returns its metadata. */
  loadState(path: string): Promise<Record<string, string>>;
  /** The weights to keep as `state_best` (EMA weights when enabled). */
  saveBest(path: string, metadata: Record<string, string>): Promise<void>;
}

export interface StepInfo {
  epoch: number;
  step: number;
  globalStep: number;
  loss: number;
  gradNorm: number;
  lr: number;
  skipped: boolean;
}

export interface LoopOptions {
  dir: string;
  epochs: number;
  /** Optimizer steps per epoch. */
  epochSize: number;
  /** Samples per step, for throughput. */
  batchSize: number;
  learningRate: (globalStep: number) => number;
  /** Training batches from a global batch index on. */
  batches: (start: number) => { next(): Batch };
  model: Trainable;
  checkpointEvery?: number;
  /** Stops after the current step, saving `state` first. */
  signal?: AbortSignal;
  /** Stop (after saving) once this many steps have run in this call: a controlled interruption. */
  stopAfterSteps?: number;
  resume?: boolean;
  progress?: ProgressMode;
  onStep?: (info: StepInfo) => void;
  onEpoch?: (metrics: EpochMetrics) => void;
  /** Messages (resumption, rejected checkpoints); default stderr. */
  log?: (line: string) => void;
  /** Data parallel: only the main rank (rank 0) writes metrics and checkpoints; all ranks meet at `barrier` after each save. */
  main?: boolean;
  barrier?: () => Promise<void>;
  /** Data parallel: the number of ranks, saved with each checkpoint so that a resume with another number can say so. */
  world?: number;
}

export interface LoopResult {
  /** Global step reached. */
  globalStep: number;
  epoch: number;
  completed: boolean;
  stopped: boolean;
  bestValidLoss: number;
  metrics: EpochMetrics[];
  resumedFrom?: string;
}

/** Counters of the epoch in progress; saved with mid-epoch checkpoints so metrics stay whole. */
interface Accumulator {
  n: number;
  sum: number;
  sumsq: number;
  gsum: number;
  gmax: number;
  skipped: number;
  native: number;
  wall: number;
}

interface LoopState {
  globalStep: number;
  /** Ranks that wrote the checkpoint (absent in checkpoints of older versions). */
  world?: number;
  epoch: number;
  step: number;
  best: number;
  elapsed: number;
  acc: Accumulator;
}

const emptyAcc = (): Accumulator => ({ n: 0, sum: 0, sumsq: 0, gsum: 0, gmax: 0, skipped: 0, native: 0, wall: 0 });
const now = () => performance.now() / 1000;

export async function trainLoop(o: LoopOptions): Promise<LoopResult> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const every = o.checkpointEvery ?? 1;
  const metricsPath = join(o.dir, 'metrics.jsonl');
  const main = o.main ?? true;
  if (main) removeStaleTemporaries(o.dir);

  let state: LoopState = { globalStep: 0, epoch: 0, step: 0, best: Infinity, elapsed: 0, acc: emptyAcc() };
  let resumedFrom: string | undefined;
  if (o.resume !== false) {
    const found = findCheckpoint(o.dir, 'state');
    if (found) {
      for (const r of found.rejected) log(`warning: rejected checkpoint ${r}; using ${found.path}`);
      const metadata = await o.model.loadState(found.path);
      if (!metadata.loop) throw new Error(`${found.path}: not a training checkpoint (no loop state)`);
      state = JSON.parse(metadata.loop) as LoopState;
      state.best ??= Infinity;
      resumedFrom = found.path;
      log(`resuming from ${found.path} at epoch ${state.epoch}, step ${state.step} (global step ${state.globalStep})`);
      const world = o.world ?? 1;
      if (state.world !== undefined && state.world !== world)
        log(
          `the checkpoint was written by ${state.world} rank(s), this run has ${world}: it continues after the ${state.globalStep * o.batchSize} samples consumed ` +
            `(global step ${state.globalStep} × batch ${o.batchSize}; the sample order does not depend on the ranks), not bit-identically (the gradient all-reduce sums in another order)`,
        );
    }
  }
  // Metrics of epochs that will be redone (written before a kill, after the last checkpoint) are dropped.
  const metrics: EpochMetrics[] = [];
  if (existsSync(metricsPath) && main) {
    const kept = readFileSync(metricsPath, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as EpochMetrics)
      .filter((m) => m.epoch < state.epoch);
    writeFileSync(metricsPath, kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
    metrics.push(...kept);
  }

  const progress = new Progress(o.progress ?? 'auto', o.epochs * o.epochSize, o.epochSize);
  progress.start(state.globalStep);
  const save = async (s: LoopState) => {
    const loop = JSON.stringify({ ...s, world: o.world ?? 1, best: Number.isFinite(s.best) ? s.best : null });
    if (main) await saveCheckpoint(o.dir, 'state', (path) => o.model.saveState(path, { loop }), { epoch: s.epoch, step: s.step, global_step: s.globalStep });
    await o.barrier?.();
  };

  const stream = o.batches(state.globalStep);
  const total = o.epochs * o.epochSize;
  let ranThisCall = 0;
  let stopped = false;
  let next: Batch | undefined = state.globalStep < total ? stream.next() : undefined;
  try {
    while (state.epoch < o.epochs) {
      const acc = state.acc;
      let lastDone = now();
      while (state.step < o.epochSize) {
        const lr = o.learningRate(state.globalStep);
        const pending = o.model.step(next!, lr);
        // Build the next batch while the step runs natively.
        next = state.globalStep + 1 < total ? stream.next() : undefined;
        const r = await pending;
        const done = now();
        acc.wall += done - lastDone;
        lastDone = done;
        acc.native += r.seconds ?? 0;
        if (r.skipped) acc.skipped++;
        else {
          acc.n++;
          acc.sum += r.loss;
          acc.sumsq += r.loss * r.loss;
          acc.gsum += r.gradNorm;
          if (r.gradNorm > acc.gmax) acc.gmax = r.gradNorm;
        }
        state.step++;
        state.globalStep++;
        ranThisCall++;
        progress.step(state.globalStep, r.loss, lr, acc.wall > 0 ? ((acc.n + acc.skipped) * o.batchSize) / acc.wall : 0);
        o.onStep?.({ epoch: state.epoch, step: state.step - 1, globalStep: state.globalStep - 1, loss: r.loss, gradNorm: r.gradNorm, lr, skipped: r.skipped });
        if (o.signal?.aborted || (o.stopAfterSteps !== undefined && ranThisCall >= o.stopAfterSteps)) {
          stopped = true;
          break;
        }
      }
      if (stopped && state.step < o.epochSize) {
        await save(state);
        break;
      }
      const validStart = now();
      const valid = await o.model.validate();
      const validSeconds = now() - validStart;
      const improved = valid < state.best;
      const mean = acc.n ? acc.sum / acc.n : NaN;
      const m: EpochMetrics = {
        epoch: state.epoch,
        step: state.globalStep,
        lr: o.learningRate(Math.max(0, state.globalStep - 1)),
        train_loss_mean: mean,
        train_loss_std: acc.n ? Math.sqrt(Math.max(0, acc.sumsq / acc.n - mean * mean)) : NaN,
        grad_norm_mean: acc.n ? acc.gsum / acc.n : NaN,
        grad_norm_max: acc.gmax,
        skipped: acc.skipped,
        valid_loss: valid,
        best_valid_loss: Math.min(state.best, valid),
        samples_per_s: acc.wall > 0 ? ((acc.n + acc.skipped) * o.batchSize) / acc.wall : 0,
        outside_share: acc.wall > 0 ? Math.max(0, 1 - acc.native / acc.wall) : 0,
        epoch_seconds: acc.wall + validSeconds,
        elapsed: state.elapsed + acc.wall + validSeconds,
      };
      if (main) appendFileSync(metricsPath, `${JSON.stringify(m)}\n`);
      metrics.push(m);
      progress.epoch(m, o.epochs);
      o.onEpoch?.(m);
      const epoch = state.epoch;
      state = { globalStep: state.globalStep, epoch: epoch + 1, step: 0, best: Math.min(state.best, valid), elapsed: m.elapsed, acc: emptyAcc() };
      if (improved) {
        if (main) await saveCheckpoint(o.dir, 'state_best', (path) => o.model.saveBest(path, { epoch: String(epoch), valid_loss: String(valid) }), { epoch, valid_loss: valid }, false);
        await o.barrier?.();
      }
      const last = state.epoch === o.epochs;
      if (last || stopped || o.signal?.aborted || (epoch + 1) % every === 0) await save(state);
      if (stopped || o.signal?.aborted) {
        stopped = true;
        break;
      }
    }
  } finally {
    progress.stop();
  }
  return { globalStep: state.globalStep, epoch: state.epoch, completed: state.epoch >= o.epochs, stopped, bestValidLoss: state.best, metrics, resumedFrom };
}

/** What every training command takes besides its configuration; `StartInfo` is what `onStart` reports. */
export interface RunOptions<StartInfo> {
  /** Continue the run in this directory (its saved config is used; `config` may be omitted). */
  resumeDir?: string;
  /** Exact directory for a new run (default: a unique name under config.runs_dir). */
  runDir?: string;
  signal?: AbortSignal;
  stopAfterSteps?: number;
  progress?: ProgressMode;
  onStep?: (info: StepInfo) => void;
  onEpoch?: (metrics: EpochMetrics) => void;
  /** Called once checks pass and the run directory exists, before the first step. */
  onStart?: (info: StartInfo) => void;
  log?: (line: string) => void;
}

/**
 * The loop settings every training run takes from its configuration (train and optim sections) and its
 * RunOptions; the run adds its `batches` and `model`.
 */
export function runLoopSettings(
  dir: string,
  train: { epochs: number; epoch_size: number; batch_size: number; checkpoint_every: number },
  optim: Omit<ScheduleOptions, 'total'>,
  options: Pick<RunOptions<unknown>, 'signal' | 'stopAfterSteps' | 'progress' | 'onStep' | 'onEpoch' | 'log'>,
): Omit<LoopOptions, 'batches' | 'model'> {
  return {
    dir,
    epochs: train.epochs,
    epochSize: train.epoch_size,
    batchSize: train.batch_size,
    learningRate: schedule({ ...optim, total: train.epochs * train.epoch_size }),
    checkpointEvery: train.checkpoint_every,
    signal: options.signal,
    stopAfterSteps: options.stopAfterSteps,
    progress: options.progress,
    onStep: options.onStep,
    onEpoch: options.onEpoch,
    log: options.log,
  };
}
