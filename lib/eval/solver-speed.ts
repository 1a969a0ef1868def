// What an emulated state costs the built-in solver on this machine: the speed-up an emulator buys is only
// meaningful against the simulator at the same resolution and time step between states, timed in the same run.
import { Rng } from '../data/rng.js';
import type { WellFile } from '../data/well-file.js';
import { drawQuadrantProblem, quadrantInitialState, simulateEuler } from '../solvers/euler.js';

export interface SolverSpeed {
  name: string;
  /** Wall seconds to advance one emulated state (`stride` stored steps). */
  seconds_per_state: number;
  resolution: number[];
  states: number;
}

/**
 * Times the built-in solver for `states` emulated states of `stride` stored steps on the grid and time step of
 * `file`; undefined when the physics has no built-in solver here.
 */
export async function measureSolverSpeed(file: WellFile, stride: number, states = 2): Promise<SolverSpeed | undefined> {
  const info = file.info;
  if (!info.datasetName.startsWith('euler_multi_quadrants') || info.spatialShape.length !== 2) return undefined;
  const time = file.readTime(0);
  const steps = Math.min(states * stride, time.length - 1);
  if (steps < 1) return undefined;
  const [nx, ny] = info.spatialShape as [number, number];
  const gamma = file.constantScalars(0).gamma ?? 1.4;
  const periodic = info.boundaryConditions.every(([lo, hi]) => lo === 2 && hi === 2);
  const initial = quadrantInitialState(drawQuadrantProblem(new Rng('solver-speed')), gamma, nx, ny);
  const started = performance.now();
  await simulateEuler({
    initial,
    resolution: [nx, ny],
    gamma: [gamma],
    boundary: periodic ? 'periodic' : 'open',
    times: Array.from(time.subarray(0, steps + 1)),
  });
  const seconds = (performance.now() - started) / 1000;
  return { name: `${info.datasetName} (built-in solver)`, seconds_per_state: (seconds * stride) / steps, resolution: [nx, ny], states: steps / stride };
}
