// The Well's parameter sets and file names for the datasets the built-in solvers write, so that
// generated files sit exactly where downloaded ones would (see configs/dataset/_well-registry.yaml).

/** Heat-capacity ratios of The Well's Euler runs, with the gas label in their file names. */
export const EULER_GAMMAS: ReadonlyArray<{ gamma: number; gas: string }> = [
  { gamma: 1.13, gas: 'C3H8_16' },
  { gamma: 1.22, gas: 'C2H6_15' },
  { gamma: 1.3, gas: 'CO2_20' },
  { gamma: 1.33, gas: 'H2O_20' },
  { gamma: 1.365, gas: 'Dry_air_1000' },
  { gamma: 1.4, gas: 'Dry_air_20' },
  { gamma: 1.404, gas: 'H2_100_Dry_air_-15' },
  { gamma: 1.453, gas: 'H2_-76' },
  { gamma: 1.597, gas: 'H2_-181' },
  { gamma: 1.76, gas: 'Ar_-180' },
];

export type EulerBoundary = 'open' | 'periodic';

export function eulerDatasetName(boundary: EulerBoundary): string {
  return `euler_multi_quadrants_${boundary === 'open' ? 'openBC' : 'periodicBC'}`;
}

/** The Well's file name for one γ; a γ outside its list gets the same pattern with gas label "custom". */
export function eulerFileName(boundary: EulerBoundary, gamma: number): string {
  const gas = EULER_GAMMAS.find((g) => g.gamma === gamma)?.gas ?? 'custom';
  return `${eulerDatasetName(boundary)}_gamma_${gamma}_${gas}.hdf5`;
}

/** Numbers as The Well writes them in file names: 1e6, 2e-1, 1, 10. */
export function wellNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e5) return String(v);
  const k = Math.floor(Math.log10(Math.abs(v)));
  const m = Number((v / 10 ** k).toPrecision(12));
  return `${m}e${k}`;
}

export const RAYLEIGH_BENARD_DATASET = 'rayleigh_benard';
export const WELL_RAYLEIGH = [1e6, 1e7, 1e8, 1e9, 1e10];
export const WELL_PRANDTL = [0.1, 0.2, 0.5, 1, 2, 5, 10];

export function rayleighBenardFileName(rayleigh: number, prandtl: number): string {
  return `${RAYLEIGH_BENARD_DATASET}_Rayleigh_${wellNumber(rayleigh)}_Prandtl_${wellNumber(prandtl)}.hdf5`;
}

export type SplitName = 'train' | 'valid' | 'test';

/**
 * Trajectories per split for one file: 0.8/0.1/0.1 as in The Well, with at least one trajectory in
 * valid and test so that every split folder has the file.
 */
export function splitCounts(n: number): Record<SplitName, number> {
  if (!Number.isInteger(n) || n < 3) throw new RangeError(`trajectories must be an integer >= 3 (one per split at least), got ${n}`);
  const valid = Math.max(1, Math.round(0.1 * n));
  const test = Math.max(1, Math.round(0.1 * n));
  return { train: n - valid - test, valid, test };
}
