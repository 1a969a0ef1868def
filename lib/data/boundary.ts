// Boundary conditions as the per-axis (low, high) codes of The Well's loader: WALL=0, OPEN=1, PERIODIC=2.

export const BoundaryCondition = { WALL: 0, OPEN: 1, PERIODIC: 2 } as const;
export type BoundaryType = keyof typeof BoundaryCondition;
export const BOUNDARY_TYPES = Object.keys(BoundaryCondition) as BoundaryType[];

/** One `/boundary_conditions/<name>` group of a Well file. */
export interface WellBoundary {
  name: string;
  bcType: BoundaryType;
  associatedDims: string[];
  associatedFields: string[];
  sampleVarying: boolean;
  timeVarying: boolean;
  /** The mask, flattened, and its shape ([B][T] then one axis per associated dim). */
  mask: Uint8Array;
  maskShape: number[];
}

/**
 * The (n_dims, 2) code table, as The Well (v1.2+) builds it: everything starts OPEN; for each group and
 * each associated axis, the low (high) entry takes the group's code when the mask is set on the first
 * (last) slice of that axis: any element for OPEN/PERIODIC, all elements for WALL.
 */
export function boundaryCodes(spatialDims: readonly string[], groups: readonly WellBoundary[]): number[][] {
  const codes = spatialDims.map(() => [BoundaryCondition.OPEN, BoundaryCondition.OPEN] as number[]);
  for (const g of groups) {
    const lead = g.maskShape.length - g.associatedDims.length;
    g.associatedDims.forEach((dim, k) => {
      const axis = lead + k;
      const d = spatialDims.indexOf(dim);
      const wall = g.bcType === 'WALL';
      for (const [side, index] of [[0, 0], [1, g.maskShape[axis]! - 1]] as const) {
        const values = sliceAxis(g.mask, g.maskShape, axis, index);
        const hit = wall ? values.every((v) => v !== 0) : values.some((v) => v !== 0);
        if (hit && values.length > 0) codes[d]![side] = BoundaryCondition[g.bcType];
      }
    });
  }
  return codes;
}

/** The elements of a C-order array whose coordinate on `axis` equals `index`. */
function sliceAxis(data: Uint8Array, shape: readonly number[], axis: number, index: number): number[] {
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  const n = shape[axis]!;
  const outer = data.length / (inner * n);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    const base = (o * n + index) * inner;
    for (let i = 0; i < inner; i++) out.push(data[base + i]!);
  }
  return out;
}
