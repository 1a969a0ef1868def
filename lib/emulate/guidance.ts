// Observations for MMPS guidance (spec §5 "MMPS guidance"): y = A(x) + N(0, σ²) with A an observation
// operator of the (decoded, pre-processed) state — `subsample:N` keeps every N-th point along each spatial
// axis (from the first), `downscale:N` averages N×…×N blocks — and an optional mask of the observed points
// on the observed grid. Everything a guided rollout is given is checked here, before any compute, with
// errors that name the argument.
import { numel, type Tensor } from '../data/types.js';
import type { NativeAutoencoder, NativeGuidanceOptions } from '../native/addon-types.js';
import { tensor } from '../tensor.js';
import { Rng } from '../data/rng.js';

export type ObservationKind = 'subsample' | 'downscale';

export interface ObservationOperator {
  kind: ObservationKind;
  factor: number;
}

/** `subsample:32` / `downscale:8` → the operator; the error names `--operator`. */
export function parseObservationOperator(text: string, what = '--operator'): ObservationOperator {
  const m = /^(subsample|downscale):(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`${what} must be subsample:N or downscale:N (N a positive integer), got '${text}'`);
  const factor = Number(m[2]);
  if (!(factor >= 1)) throw new Error(`${what}: the factor must be a positive integer, got ${m[2]}`);
  return { kind: m[1] as ObservationKind, factor };
}

export function formatOperator(op: ObservationOperator): string {
  return `${op.kind}:${op.factor}`;
}

/** The observed grid of a spatial grid; the factor must divide every axis. */
export function observedShape(op: ObservationOperator, spatialShape: readonly number[], what = '--operator'): number[] {
  spatialShape.forEach((n, axis) => {
    if (n % op.factor !== 0) throw new Error(`${what} ${formatOperator(op)} does not divide the grid ${spatialShape.join('×')} (axis ${axis}: ${n} is not a multiple of ${op.factor})`);
  });
  return spatialShape.map((n) => n / op.factor);
}

/**
 * A applied to states (..., C, *space) → (..., C, *observed): every factor-th point from the first, or the
 * mean over each factor^D block. The reference implementation (the native one must agree with it).
 */
export function applyObservationOperator(op: ObservationOperator, x: Tensor, spatialDims: number): Tensor {
  const space = x.shape.slice(-spatialDims);
  const lead = x.shape.slice(0, -spatialDims);
  const obs = observedShape(op, space);
  const n = numel(space), no = numel(obs);
  const outer = numel(lead);
  const out = new Float32Array(outer * no);
  const D = spatialDims;
  const stride = space.map((_, d) => numel(space.slice(d + 1)));
  const blockCount = op.kind === 'downscale' ? op.factor ** D : 1;
  const idx = new Array<number>(D).fill(0);
  for (let o = 0; o < no; o++) {
    // o → observed multi-index
    let rest = o;
    for (let d = D - 1; d >= 0; d--) {
      idx[d] = rest % obs[d]!;
      rest = Math.floor(rest / obs[d]!);
    }
    const offsets: number[] = [];
    if (op.kind === 'subsample') {
      offsets.push(idx.reduce((s, i, d) => s + i * op.factor * stride[d]!, 0));
    } else {
      for (let b = 0; b < blockCount; b++) {
        let r = b, off = 0;
        for (let d = D - 1; d >= 0; d--) {
          off += (idx[d]! * op.factor + (r % op.factor)) * stride[d]!;
          r = Math.floor(r / op.factor);
        }
        offsets.push(off);
      }
    }
    for (let p = 0; p < outer; p++) {
      let s = 0;
      for (const off of offsets) s += x.data[p * n + off]!;
      out[p * no + o] = s / offsets.length;
    }
  }
  return { data: out, shape: [...lead, ...obs] };
}

export interface GuidanceInput {
  operator: ObservationOperator;
  /** (B, T, C, *observed): observations of the first T states of the rollout (context included; T ≤ its length). */
  observations: Tensor;
  /** (*observed) or (C, *observed): 1 where a point is observed (default all). */
  mask?: Tensor;
  /** The observation noise σ (Σ_y = σ² I), > 0. */
  obsNoise: number;
  solver?: 'gmres' | 'cg';
  /** Krylov iterations (default 1, as the reference). */
  iterations?: number;
}

export interface GuidedModel {
  /** 'denoiser' can be guided; 'surrogate' (the neural solver) cannot. */
  kind: string;
  channels: number;
  spatialShape: readonly number[];
  batch: number;
  /** States of the rollout, context included: observations may cover the first T ≤ length. */
  length: number;
}

/** Checks observations, mask, operator and noise against the rollout; every error names the argument. */
export function checkGuidance(g: GuidanceInput, model: GuidedModel, names = { observations: '--observe', operator: '--operator', noise: '--obs-noise' }): void {
  if (model.kind !== 'denoiser') throw new Error(`${names.observations}: MMPS guidance needs a diffusion emulator; the neural solver (${model.kind}) has no denoiser to guide`);
  if (!(g.obsNoise > 0) || !Number.isFinite(g.obsNoise)) throw new Error(`${names.noise} must be a positive number (the observation noise σ), got ${g.obsNoise}`);
  if (g.solver !== undefined && g.solver !== 'gmres' && g.solver !== 'cg') throw new Error(`guidance solver must be gmres or cg, got '${String(g.solver)}'`);
  if (g.iterations !== undefined && !(Number.isInteger(g.iterations) && g.iterations >= 1 && g.iterations <= 64)) throw new Error(`guidance iterations must be an integer in 1..64, got ${g.iterations}`);
  const obs = observedShape(g.operator, model.spatialShape, names.operator);
  const shape = g.observations.shape;
  const T = shape[1] ?? 0;
  const expected = [model.batch, Math.min(Math.max(T, 1), model.length), model.channels, ...obs];
  if (shape.length !== expected.length || shape.some((s, i) => s !== expected[i]))
    throw new Error(`${names.observations}: observations have shape [${shape.join(', ')}], expected [${[model.batch, 'T ≤ ' + model.length, model.channels, ...obs].join(', ')}] (B, T, C, *observed) for ${formatOperator(g.operator)} on the grid ${model.spatialShape.join('×')}`);
  const perState = model.channels * numel(obs);
  let observed: (i: number) => boolean = () => true;
  if (g.mask) {
    const m = g.mask;
    const ok = (m.shape.length === obs.length && m.shape.every((s, i) => s === obs[i])) || (m.shape.length === obs.length + 1 && m.shape[0] === model.channels && m.shape.slice(1).every((s, i) => s === obs[i]));
    if (!ok) throw new Error(`observation mask has shape [${m.shape.join(', ')}], expected [${obs.join(', ')}] or [${[model.channels, ...obs].join(', ')}]`);
    const perChannel = m.shape.length === obs.length;
    const no = numel(obs);
    observed = (i) => m.data[perChannel ? (i % perState) % no : i % perState] !== 0;
    if (!m.data.some((v) => v !== 0)) throw new Error('observation mask observes no point');
  }
  for (let i = 0; i < g.observations.data.length; i++) {
    if (!Number.isFinite(g.observations.data[i]!) && observed(i)) {
      const state = Math.floor(i / perState);
      throw new Error(`${names.observations}: observations must be finite at observed points; found ${g.observations.data[i]} at trajectory ${Math.floor(state / T)}, state ${state % T} (mask the point out instead)`);
    }
  }
}

/** The rollout option `guidance` for checked input: the autoencoder whose decoder A is applied after. */
export function guidanceOptions(decoder: { nativeModel: NativeAutoencoder }, g: GuidanceInput): NativeGuidanceOptions {
  return {
    decoder: decoder.nativeModel,
    observations: tensor(g.observations.data, g.observations.shape),
    ...(g.mask ? { observed: tensor(g.mask.data, g.mask.shape) } : {}),
    operator: g.operator.kind,
    factor: g.operator.factor,
    obs_noise: g.obsNoise,
    ...(g.solver ? { solver: g.solver } : {}),
    ...(g.iterations ? { iterations: g.iterations } : {}),
  };
}

/**
 * Observations of one trajectory from `states` (T, C, *grid) in model space (pre-processed): on the data
 * grid, A(x) plus Gaussian noise of σ = obsNoise drawn from `seed` (the paper's data-assimilation
 * experiment: y = A(x) + σ ε); already on the observed grid, taken as given. Returns (1, T, C, *observed).
 */
export function observationsFrom(states: Tensor, op: ObservationOperator, spatialShape: readonly number[], obsNoise: number, seed: number, what = '--observe'): Tensor {
  const D = spatialShape.length;
  const grid = states.shape.slice(-D);
  const obs = observedShape(op, spatialShape);
  let y: Tensor;
  if (grid.join() === spatialShape.join()) {
    y = applyObservationOperator(op, states, D);
    const rng = new Rng(`observe:${seed}`);
    for (let i = 0; i < y.data.length; i += 2) {
      // Box–Muller: two standard normals from two uniforms.
      const r = Math.sqrt(-2 * Math.log(1 - rng.random())), a = 2 * Math.PI * rng.random();
      y.data[i]! += obsNoise * r * Math.cos(a);
      if (i + 1 < y.data.length) y.data[i + 1]! += obsNoise * r * Math.sin(a);
    }
  } else if (grid.join() === obs.join()) {
    y = { data: Float32Array.from(states.data), shape: states.shape };
  } else {
    throw new Error(`${what}: grid ${grid.join('×')} is neither the data grid ${spatialShape.join('×')} nor the observed grid ${obs.join('×')} of ${formatOperator(op)}`);
  }
  return { data: y.data, shape: [1, ...y.shape] };
}
