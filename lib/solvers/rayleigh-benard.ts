// Rayleigh–Bénard convection: The Well's initial condition and the TypeScript face of the native
// solver (native/solvers/rayleigh_benard.h documents the method and grid). Fields cross as
// (B, 4, Nx, Ny) float32 [buoyancy, pressure, velocity_x, velocity_y] at the cell centres:
// x_i = i·Lx/Nx (uniform, like The Well's Fourier grid) and y_j at the Chebyshev–Gauss nodes
// Ly/2·(1 − cos(π(j+½)/Ny)) (The Well's Dedalus grid in y).
import type { NativeRayleighBenard, NativeRayleighBenardStep } from '../native/addon-types.js';
import { native } from '../native/loader.js';
import { Rng } from '../data/rng.js';

export interface RayleighBenardGrid {
  nx: number;
  ny: number;
  lx?: number;
  ly?: number;
}

export interface RayleighBenardSolverOptions extends RayleighBenardGrid {
  rayleigh: number;
  prandtl: number;
  /** Largest time step (steps are dtMax/2^k, k chosen by the CFL number); must divide the output interval. Default 1/16. */
  dtMax?: number;
  /** Advective CFL number, in (0, 1]; default 0.5. */
  cfl?: number;
  device?: string;
  ids?: number[];
}

export function validateRayleighBenard(o: { rayleigh: number; prandtl: number; nx: number; ny: number; cfl?: number }): void {
  if (!(o.rayleigh > 0) || !Number.isFinite(o.rayleigh)) throw new RangeError(`rayleigh must be a positive number (The Well uses 1e6 to 1e10), got ${o.rayleigh}`);
  if (!(o.prandtl > 0) || !Number.isFinite(o.prandtl)) throw new RangeError(`prandtl must be a positive number (The Well uses 0.1 to 10), got ${o.prandtl}`);
  if (!Number.isInteger(o.nx) || o.nx < 8 || o.nx % 2) throw new RangeError(`resolution x must be an even integer >= 8, got ${o.nx}`);
  if (!Number.isInteger(o.ny) || o.ny < 4) throw new RangeError(`resolution y must be an integer >= 4, got ${o.ny}`);
  if (o.cfl !== undefined && !(o.cfl > 0 && o.cfl <= 1)) throw new RangeError(`cfl must be in (0, 1], got ${o.cfl}`);
}

/** Chebyshev–Gauss nodes on [0, ly]: the y coordinates of the stored fields. */
export function chebyshevNodes(ny: number, ly = 1): Float64Array {
  return Float64Array.from({ length: ny }, (_, j) => 0.5 * ly * (1 - Math.cos((Math.PI * (j + 0.5)) / ny)));
}

function normal(rng: Rng): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  const u = 1 - rng.random();
  const v = rng.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * The Well's (Dedalus example's) initial buoyancy: the conductive profile ly − y plus Gaussian noise of
 * scale `noise` (1e-3) damped towards the walls by y(ly − y), drawn from `rng`. Layout (nx, ny), C order.
 */
export function rayleighBenardInitialBuoyancy(rng: Rng, grid: RayleighBenardGrid, noise = 1e-3, out: Float64Array = new Float64Array(grid.nx * grid.ny), offset = 0): Float64Array {
  const ly = grid.ly ?? 1;
  const y = chebyshevNodes(grid.ny, ly);
  for (let i = 0; i < grid.nx; i++) {
    for (let j = 0; j < grid.ny; j++) out[offset + i * grid.ny + j] = ly - y[j]! + noise * normal(rng) * y[j]! * (ly - y[j]!);
  }
  return out;
}

/** One advance of the solver (the native result as is). */
export type RayleighBenardStep = NativeRayleighBenardStep;

/** A batch of trajectories with the same Rayleigh and Prandtl numbers, advanced together. */
export class RayleighBenardSolver {
  private readonly handle: NativeRayleighBenard;
  readonly options: Required<Omit<RayleighBenardSolverOptions, 'device' | 'ids'>> & { device: string };

  constructor(o: RayleighBenardSolverOptions) {
    validateRayleighBenard(o);
    this.options = { lx: 4, ly: 1, dtMax: 1 / 16, cfl: 0.5, device: 'cpu', ...o } as RayleighBenardSolver['options'];
    this.handle = new (native().RayleighBenard)({ ...this.options, ids: o.ids });
  }

  /** Stored-field coordinates: x uniform from 0, y at the Chebyshev–Gauss nodes. */
  coordinates(): { x: number[]; y: number[] } {
    return this.handle.coordinates();
  }

  /** Buoyancy (B, nx, ny) as float64 data; velocity and pressure start at rest. */
  async setState(buoyancy: Float64Array, batch: number, t0 = 0): Promise<void> {
    const { nx, ny } = this.options;
    if (buoyancy.length !== batch * nx * ny) throw new RangeError(`buoyancy must hold B·Nx·Ny = ${batch * nx * ny} values`);
    const t = new (native().Tensor)(buoyancy, [batch, nx, ny], 'float64');
    try {
      await this.handle.setState(t, t0);
    } finally {
      t.dispose();
    }
  }

  advance(t1: number): Promise<RayleighBenardStep> {
    return this.handle.advance(t1);
  }
}

export interface SimulateRayleighBenardOptions extends RayleighBenardSolverOptions {
  /** Initial buoyancy (B, nx, ny) float64. */
  initial: Float64Array;
  batch: number;
  times: number[];
  onState?: (index: number, step: RayleighBenardStep | undefined) => void;
}

export interface RayleighBenardTrajectories {
  /** One (T, 4, Nx, Ny) float32 array per trajectory. */
  trajectories: Float32Array[];
  /** Nusselt number per stored state (T) per trajectory (B). */
  nusselt: number[][];
  kinetic: number[][];
  maxDivergence: number;
  steps: number;
}

/** Runs a batch and collects its stored states in The Well's channel layout. */
export async function simulateRayleighBenard(o: SimulateRayleighBenardOptions): Promise<RayleighBenardTrajectories> {
  const solver = new RayleighBenardSolver(o);
  const { nx, ny } = solver.options;
  const T = o.times.length;
  if (T < 1 || o.times.some((t, k) => k > 0 && !(t > o.times[k - 1]!))) throw new RangeError('times must be increasing');
  const n = 4 * nx * ny;
  const out = Array.from({ length: o.batch }, () => new Float32Array(T * n));
  const nusselt = Array.from({ length: o.batch }, () => [] as number[]);
  const kinetic = Array.from({ length: o.batch }, () => [] as number[]);
  await solver.setState(o.initial, o.batch, o.times[0]);
  let maxDivergence = 0;
  let steps = 0;
  for (let k = 0; k < T; k++) {
    const r = await solver.advance(o.times[k]!);
    const data = r.snapshot.dataSync() as Float32Array;
    for (let b = 0; b < o.batch; b++) {
      out[b]!.set(data.subarray(b * n, (b + 1) * n), k * n);
      nusselt[b]!.push(r.nusselt[b]!);
      kinetic[b]!.push(r.kinetic[b]!);
    }
    r.snapshot.dispose();
    maxDivergence = Math.max(maxDivergence, r.maxDivergence);
    steps += r.steps;
    o.onState?.(k, r);
  }
  return { trajectories: out, nusselt, kinetic, maxDivergence, steps };
}
