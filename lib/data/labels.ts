// The label θ of an item: the constant scalars (simulation parameters), then the flattened
// (n_dims, 2) boundary codes, as the reference builds it.

/**
 * Keys whose lower-cased name is in this list are replaced by their natural log under `log_scalars`.
 * "T0" is written upper-case as in the reference, so it never matches a lower-cased key: T0 stays raw
 * (reference §0). Z is not logged either.
 */
export const LOG_SCALAR_KEYS = ['rayleigh', 'prandtl', 'rho0', 'T0'];

export function logScalars(scalars: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(scalars)) out[k] = LOG_SCALAR_KEYS.includes(k.toLowerCase()) ? Math.log(v) : v;
  return out;
}

/** concat(constant scalars in file order, boundary codes row by row). */
export function makeLabel(scalars: Record<string, number>, boundaryConditions: readonly (readonly number[])[]): Float32Array {
  return Float32Array.from([...Object.values(scalars), ...boundaryConditions.flat()]);
}
