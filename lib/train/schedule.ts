// Learning-rate schedules, evaluated per optimizer step: constant, linear or cosine decay to 0 over the
// run, after an optional linear warm-up. The reference's cosine is per epoch (lr·(1 + cos(π·e/E))/2);
// per step it is the same curve sampled finer.
export type SchedulerName = 'constant' | 'linear' | 'cosine';

export interface ScheduleOptions {
  scheduler: SchedulerName;
  learning_rate: number;
  /** Total optimizer steps of the run. */
  total: number;
  /** Warm-up steps (lr rises linearly from lr/warmup to lr). */
  warmup?: number;
}

/** Learning rate of step `step` (0-based). */
export function learningRate(step: number, o: ScheduleOptions): number {
  const warmup = o.warmup ?? 0;
  if (step < warmup) return (o.learning_rate * (step + 1)) / warmup;
  if (o.scheduler === 'constant') return o.learning_rate;
  const span = Math.max(1, o.total - warmup);
  const t = Math.min(1, Math.max(0, (step - warmup) / span));
  if (o.scheduler === 'linear') return o.learning_rate * (1 - t);
  return (o.learning_rate * (1 + Math.cos(Math.PI * t))) / 2;
}

/** A function of the step, for the loop. */
export function schedule(o: ScheduleOptions): (step: number) => number {
  if (!(o.learning_rate >= 0) || !Number.isFinite(o.learning_rate)) throw new Error(`learning rate must be finite and ≥ 0, got ${o.learning_rate}`);
  if (!Number.isInteger(o.total) || o.total < 1) throw new Error(`total steps must be a positive integer, got ${o.total}`);
  return (step) => learningRate(step, o);
}
