// The built-in numerical solvers and the dataset generators built on them.
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
