// Euler multi-quadrants: initial conditions, and the TypeScript face of the native finite-volume
// solver (MUSCL–Hancock + HLLC, native/solvers/euler.cc). States cross as tensors: conserved
// (B, 4, Nx, Ny) float64 [density, momentum_x, momentum_y, energy]; The Well's channels
// (B, 5, Nx, Ny) float32 [energy, density, pressure, momentum_x, momentum_y].
import type { NativeTensor } from '../native/addon-types.js';
import { native } from '../native/loader.js';
import { Rng } from '../data/rng.js';
import type { EulerBoundary } from './catalog.js';

export type { EulerBoundary };
export type SlopeLimiter = 'mc' | 'minmod' | 'none';

/** One piecewise-constant quadrant state. */
export interface GasState {
  density: number;
  velocityX: number;
  velocityY: number;
  pressure: number;
}

/**
 * A multi-quadrant Riemann problem on the unit square: the lines x = splitX and y = splitY cut it
 * into four constant states, ordered [x<splitX & y<splitY, x≥splitX & y<splitY, x<splitX & y≥splitY, x≥splitX & y≥splitY].
 */
export interface QuadrantProblem {
  splitX: number;
  splitY: number;
  states: [GasState, GasState, GasState, GasState];
}

/**
 * The distribution the generator draws from (independently per trajectory, from Rng(`${seed}/${key}/${index}`)):
 * split point uniform in [0.25, 0.75]²; per quadrant density and pressure uniform in [0.1, 2] and each
 * velocity component uniform in [-0.75, 0.75]. This matches the spread of The Well's openBC statistics
 * (density mean 0.90 / std 0.66, momentum std ≈ 0.53) without claiming to be its exact law.
 */
export function drawQuadrantProblem(rng: Rng): QuadrantProblem {
  const u = (a: number, b: number) => a + (b - a) * rng.random();
  const splitX = u(0.25, 0.75);
  const splitY = u(0.25, 0.75);
  const state = (): GasState => ({ density: u(0.1, 2), velocityX: u(-0.75, 0.75), velocityY: u(-0.75, 0.75), pressure: u(0.1, 2) });
  return { splitX, splitY, states: [state(), state(), state(), state()] };
}

export function cellCenters(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n);
}

/** Conserved variables of one trajectory (4, nx, ny), from a primitive state at each cell. */
export function conservedFromPrimitive(gamma: number, nx: number, ny: number, at: (i: number, j: number) => GasState, out: Float64Array = new Float64Array(4 * nx * ny), offset = 0): Float64Array {
  const n = nx * ny;
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      const s = at(i, j);
      const k = offset + i * ny + j;
      out[k] = s.density;
      out[k + n] = s.density * s.velocityX;
      out[k + 2 * n] = s.density * s.velocityY;
      out[k + 3 * n] = s.pressure / (gamma - 1) + 0.5 * s.density * (s.velocityX ** 2 + s.velocityY ** 2);
    }
  }
  return out;
}

/** Conserved initial state of a quadrant problem on an nx × ny cell-centred grid of the unit square. */
export function quadrantInitialState(problem: QuadrantProblem, gamma: number, nx: number, ny = nx, out?: Float64Array, offset = 0): Float64Array {
  const x = cellCenters(nx);
  const y = cellCenters(ny);
  return conservedFromPrimitive(gamma, nx, ny, (i, j) => problem.states[(x[i]! >= problem.splitX ? 1 : 0) + (y[j]! >= problem.splitY ? 2 : 0)]!, out, offset);
}

export interface EulerAdvanceOptions {
  boundary: EulerBoundary;
  t0?: number;
  t1: number;
  /** Courant number of the unsplit scheme, in (0, 1); default 0.4. */
  cfl?: number;
  limiter?: SlopeLimiter;
  /** Cell sizes; default 1/Nx and 1/Ny (the unit square). */
  dx?: number;
  dy?: number;
  /** "cpu" (default) or "cuda[:i]"; the returned state stays there. */
  device?: string;
  /** Names of the trajectories in error messages (default: their batch index). */
  ids?: number[];
  maxSteps?: number;
}

export interface EulerAdvanceResult {
  /** Conserved (B, 4, Nx, Ny) float64, on the solver's device. */
  state: NativeTensor;
  /** The Well's channels (B, 5, Nx, Ny) float32, on the CPU. */
  snapshot: NativeTensor;
  steps: number[];
  firstOrderCells: number;
}

/** Advances a batch of conserved states (B, 4, Nx, Ny) from t0 to t1 (each trajectory with its own CFL steps). */
export async function advanceEuler(state: NativeTensor, gamma: number[], options: EulerAdvanceOptions): Promise<EulerAdvanceResult> {
  const [, , nx, ny] = state.shape as [number, number, number, number];
  return native().eulerAdvance(state, gamma, { ...options, dx: options.dx ?? 1 / nx, dy: options.dy ?? 1 / ny });
}

export function validateGamma(gamma: number): void {
  if (!Number.isFinite(gamma) || gamma <= 1) throw new RangeError(`gamma must be a number > 1 (an ideal gas; The Well uses 1.13 to 1.76), got ${gamma}`);
}

export function validateCfl(cfl: number): void {
  if (!(cfl > 0 && cfl < 1)) throw new RangeError(`cfl must be in (0, 1), got ${cfl}`);
}

export interface SimulateEulerOptions {
  /** Conserved initial states (B, 4, Nx, Ny) as float64 data, C order. */
  initial: Float64Array;
  resolution: [number, number];
  /** One γ per trajectory. */
  gamma: number[];
  boundary: EulerBoundary;
  /** Output times, increasing, starting at the initial time. */
  times: number[];
  cfl?: number;
  limiter?: SlopeLimiter;
  device?: string;
  ids?: number[];
  /** Called after each stored state with its index (0 is the initial state). */
  onState?: (index: number) => void;
}

export interface EulerTrajectories {
  /** One (T, 5, Nx, Ny) float32 array per trajectory, channels in The Well's order. */
  trajectories: Float32Array[];
  /** Time steps taken per trajectory. */
  steps: number[];
  /** Cell-steps the positivity fallback computed at first order. */
  firstOrderCells: number;
}

/** Runs a batch of trajectories and collects their stored states in The Well's channel layout. */
export async function simulateEuler(o: SimulateEulerOptions): Promise<EulerTrajectories> {
  const [nx, ny] = o.resolution;
  const B = o.gamma.length;
  if (o.initial.length !== B * 4 * nx * ny) throw new RangeError(`initial must hold B·4·Nx·Ny = ${B * 4 * nx * ny} values, got ${o.initial.length}`);
  o.gamma.forEach(validateGamma);
  if (o.cfl !== undefined) validateCfl(o.cfl);
  if (o.times.length < 1 || o.times.some((t, k) => k > 0 && !(t > o.times[k - 1]!))) throw new RangeError('times must be increasing');
  const T = o.times.length;
  const n = 5 * nx * ny;
  const out = Array.from({ length: B }, () => new Float32Array(T * n));
  const { Tensor } = native();
  let state = new Tensor(o.initial, [B, 4, nx, ny], 'float64');
  const store = (k: number, snapshot: Float32Array) => {
    for (let b = 0; b < B; b++) out[b]!.set(snapshot.subarray(b * n, (b + 1) * n), k * n);
    o.onState?.(k);
  };
  const first = await native().eulerWellChannels(state, o.gamma);
  store(0, first.dataSync() as Float32Array);
  first.dispose();
  const steps = new Array<number>(B).fill(0);
  let firstOrderCells = 0;
  for (let k = 1; k < T; k++) {
    const r = await advanceEuler(state, o.gamma, {
      boundary: o.boundary, t0: o.times[k - 1], t1: o.times[k]!, cfl: o.cfl, limiter: o.limiter, device: o.device, ids: o.ids,
    });
    state.dispose();
    state = r.state;
    r.steps.forEach((s, b) => (steps[b]! += s));
    firstOrderCells += r.firstOrderCells;
    store(k, r.snapshot.dataSync() as Float32Array);
    r.snapshot.dispose();
  }
  state.dispose();
  return { trajectories: out, steps, firstOrderCells };
}
