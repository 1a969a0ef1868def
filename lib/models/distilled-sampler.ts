// The 'distilled' sampler (latent-emulator distill, native/sample/distillation.h): a progressively distilled
// student is sampled by deterministic DDIM (η = 0) with the step count it was distilled for, on the samplers'
// grid t_i = 1 − i/N, so that its steps land on its teacher's grid points. The native samplers know it as DDIM;
// only a model whose weights are a student (weights metadata `distill_steps`) accepts it, and only at its own
// step count (a student for 4 steps taken in 8 is not the sampler it was fitted to).

/** The weights metadata key holding a student's step count. */
export const DISTILL_STEPS_KEY = 'distill_steps';

/**
 * The native sampler options for `o`: 'distilled' becomes DDIM with η = 0 after checking the model is a student
 * for `o.steps` steps; other samplers pass unchanged. `distilledSteps`: the loaded student's step count, if any.
 */
export function nativeSamplerOptions<T extends { sampler?: string; steps?: number; eta?: number }>(o: T, distilledSteps: number | undefined, context: string): T {
  if (o.sampler !== 'distilled') return o;
  if (distilledSteps === undefined)
    throw new Error(`${context}: sampler 'distilled' needs a distilled student's weights (latent-emulator distill RUN --steps N writes them); these weights are not a student`);
  const steps = o.steps ?? distilledSteps;
  if (steps !== distilledSteps)
    throw new Error(`${context}: this student was distilled for ${distilledSteps} steps, got steps = ${steps} (use --steps ${distilledSteps}, or the student for ${steps} steps)`);
  return { ...o, sampler: 'ddim', eta: 0, steps };
}
