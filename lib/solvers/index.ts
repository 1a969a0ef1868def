// The built-in numerical solvers and the dataset generators built on them.
//
//   import { generateEuler, generateRayleighBenard } from 'latent-emulator';
//   await generateEuler({ root: 'data', boundary: 'open', resolution: 128, trajectories: 10, steps: 101 });
//   await generateRayleighBenard({ root: 'data', rayleigh: [1e6], prandtl: [1], resolution: [128, 32] });
//   // → data/datasets/<name>/data/{train,valid,test}/<The Well's file name>, split 0.8/0.1/0.1
//
// Euler multi-quadrants: MUSCL–Hancock + HLLC on the unit square, cell-centred N × N grid, open
// (zero-gradient) or periodic boundaries, states every 0.015 to t = 1.5; initial quadrant states drawn
// as documented at drawQuadrantProblem. Rayleigh–Bénard: staggered finite differences, Nx uniform
// in x over 4, Ny cells in y whose centres are The Well's Chebyshev–Gauss nodes, states every 0.25
// (see native/solvers/rayleigh_benard.h). Lower level: advanceEuler / simulateEuler and
// RayleighBenardSolver / simulateRayleighBenard return tensors and arrays for tests and benchmarks.
export {
  EULER_GAMMAS,
  WELL_RAYLEIGH,
  WELL_PRANDTL,
  eulerDatasetName,
  eulerFileName,
  rayleighBenardFileName,
  splitCounts,
  type EulerBoundary,
  type SplitName,
} from './catalog.js';
export {
  advanceEuler,
  simulateEuler,
  drawQuadrantProblem,
  quadrantInitialState,
  conservedFromPrimitive,
  cellCenters,
  type GasState,
  type QuadrantProblem,
  type SlopeLimiter,
  type EulerAdvanceOptions,
  type EulerAdvanceResult,
  type SimulateEulerOptions,
  type EulerTrajectories,
} from './euler.js';
export {
  RayleighBenardSolver,
  simulateRayleighBenard,
  rayleighBenardInitialBuoyancy,
  chebyshevNodes,
  type RayleighBenardGrid,
  type RayleighBenardSolverOptions,
  type RayleighBenardStep,
  type SimulateRayleighBenardOptions,
  type RayleighBenardTrajectories,
} from './rayleigh-benard.js';
export { generateEuler, generateRayleighBenard, type GenerateEulerOptions, type GenerateRayleighBenardOptions, type GenerateProgress, type GenerateResult } from './generate.js';
