// Autoregressive rollouts (spec §5 emulate_rollout) through one native call: windows of `window` states, the
// first conditioned on the `context` given states, each later one on the last `overlap` states of the previous
// window (cropped to `crop`), for K ensemble `members` at once, seeded. States use the data layer's layout:
// context (B, c, C, *space) → states (B, K, length, C, *space), context included at the start.
import type { NativeEmulator, NativeGuidanceOptions, NativeTensor } from '../native/addon-types.js';

export const SAMPLERS = ['euler', 'heun', 'ddpm', 'ddim', 'ab', 'eab', 'pc'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface SamplerOptions {
  /** Default 'ab' (the reference's evaluation: Adams–Bashforth order 3, 16 steps). */
  sampler?: SamplerName;
  steps?: number;
  /** ab / eab: 1..3 (default 3). */
  order?: number;
  /** ddim: 0 deterministic … 1 = ddpm. */
  eta?: number;
  /** pc: Langevin corrections per step and their step size. */
  corrections?: number;
  delta?: number;
}

export interface RolloutOptions extends SamplerOptions {
  /** States in the returned trajectory, context included. */
  length: number;
  /** Window length (default: the model's, 5). */
  window?: number;
  /** Known states of the first window (default: as many as given). */
  context?: number;
  /** States carried from one window to the next (default 1). */
  overlap?: number;
  /** States kept of each window (default: the window). */
  crop?: number;
  /** Ensemble members K (default 1). */
  members?: number;
  seed?: number;
  /** MMPS guidance by observations of the decoded states (build it with guidanceOptions, lib/emulate/guidance.ts). */
  guidance?: NativeGuidanceOptions;
}

export interface Rollout {
  /** (B, K, length, C, *space). */
  states: NativeTensor;
  /** Seconds inside the native call (the JS boundary costs the rest). */
  seconds: number;
  /** Network evaluations for one member batch. */
  evaluations: number;
  /** Windows emulated. */
  windows: number;
}

/** Windows needed for `length` states. */
export function windowCount(options: { length: number; window?: number; crop?: number; overlap?: number }): number {
  const crop = options.crop ?? options.window ?? 5;
  const overlap = options.overlap ?? 1;
  if (options.length <= crop) return 1;
  return 1 + Math.ceil((options.length - crop) / (crop - overlap));
}

/** Runs a rollout on a native emulator; shapes, label and options are checked before any compute. */
export async function emulateRollout(
  model: NativeEmulator,
  context: NativeTensor,
  label: NativeTensor | undefined,
  options: RolloutOptions,
): Promise<Rollout> {
  if (options.sampler !== undefined && !(SAMPLERS as readonly string[]).includes(options.sampler))
    throw new Error(`unknown sampler '${options.sampler}' (expected one of ${SAMPLERS.join(', ')})`);
  const { states, seconds, evaluations } = await model.rollout(context, label, { ...options });
  return { states, seconds, evaluations, windows: windowCount(options) };
}
