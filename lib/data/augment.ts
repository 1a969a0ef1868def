// Seeded augmentations of a window, as The Well applies them (the same transform for every time step):
// - random_axis_flip: each spatial axis flipped with p = 0.5; a tensor component changes sign once per
//   flipped index ((−1)^k), and the boundary row of a flipped axis is reversed;
// - random_axis_permute: a random permutation of the spatial axes (p = 1); components are re-indexed and
//   boundary rows permuted alike (new axis j = old axis perm[j]);
// - random_axis_roll: every axis whose two boundary codes are PERIODIC rolled by a uniform integer in
//   [0, size) (p = 1); other axes never;
// - log_scalars: the label's scalars (see labels.ts).
// The geometric ones compose into one gather: for each output position, the source position and, per
// channel, the source channel and sign.
import { BoundaryCondition } from './boundary.js';
import type { Augmentation } from './config.js';
import type { Rng } from './rng.js';
import { numel, type Tensor } from './types.js';

/** What augmentations need to know about each channel: its field and tensor indices (axes). */
export interface ChannelSpec {
  field: string;
  components: number[];
}

export type GeometricOp = { kind: 'flip'; axes: boolean[] } | { kind: 'permute'; perm: number[] } | { kind: 'roll'; shifts: number[] };

/** Draws the ops of `augment` for a window; the boundary table is updated along the way (roll reads it). */
export function drawAugmentation(augment: readonly Augmentation[], spatialShape: readonly number[], bc: number[][], rng: Rng): { ops: GeometricOp[]; bc: number[][] } {
  const D = spatialShape.length;
  const ops: GeometricOp[] = [];
  let table = bc.map((r) => [...r]);
  for (const a of augment) {
    if (a === 'random_axis_flip') {
      const axes = Array.from({ length: D }, () => rng.random() < 0.5);
      ops.push({ kind: 'flip', axes });
      table = applyBoundary(table, { kind: 'flip', axes });
    } else if (a === 'random_axis_permute') {
      const perm = rng.permutation(D);
      ops.push({ kind: 'permute', perm });
      table = applyBoundary(table, { kind: 'permute', perm });
    } else if (a === 'random_axis_roll') {
      const shifts = table.map((row, d) => (row.every((c) => c === BoundaryCondition.PERIODIC) ? rng.int(spatialShape[d]!) : 0));
      ops.push({ kind: 'roll', shifts });
    }
  }
  return { ops, bc: table };
}

export function applyBoundary(bc: number[][], op: GeometricOp): number[][] {
  if (op.kind === 'flip') return bc.map((row, d) => (op.axes[d] ? [...row].reverse() : [...row]));
  if (op.kind === 'permute') return op.perm.map((p) => [...bc[p]!]);
  return bc.map((r) => [...r]);
}

/** Checks that `augment` can apply to a grid (a permutation needs equal axis sizes). */
export function checkAugmentations(augment: readonly Augmentation[], spatialShape: readonly number[], where: string): readonly Augmentation[] {
  if (augment.includes('random_axis_permute') && spatialShape.some((s) => s !== spatialShape[0])) {
    throw new Error(`${where}: random_axis_permute needs equal axis sizes, the grid is ${spatialShape.join('×')}`);
  }
  return augment;
}

/**
 * Applies `ops` (in order) to a state laid out (T, C, ...space) and returns a new tensor. `channels`
 * describe the C channels; each permuted or flipped vector/tensor component must have its siblings
 * among the channels (e.g. momentum_x with momentum_y).
 */
export function applyGeometric(state: Tensor, channels: readonly ChannelSpec[], ops: readonly GeometricOp[]): Tensor {
  if (ops.length === 0 || ops.every(isIdentity)) return state;
  const [T, C, ...space] = state.shape as [number, number, ...number[]];
  const D = space.length;
  const n = numel(space);
  // Source position of every output position: walk the ops from last to first.
  const src = new Int32Array(n);
  const coord = new Array<number>(D).fill(0);
  const x = new Array<number>(D);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) x[d] = coord[d]!;
    for (let k = ops.length - 1; k >= 0; k--) {
      const op = ops[k]!;
      if (op.kind === 'flip') {
        for (let d = 0; d < D; d++) if (op.axes[d]) x[d] = space[d]! - 1 - x[d]!;
      } else if (op.kind === 'roll') {
        for (let d = 0; d < D; d++) if (op.shifts[d]) x[d] = (((x[d]! - op.shifts[d]!) % space[d]!) + space[d]!) % space[d]!;
      } else {
        const y = [...x];
        for (let d = 0; d < D; d++) x[op.perm[d]!] = y[d]!;
      }
    }
    let off = 0;
    for (let d = 0; d < D; d++) off = off * space[d]! + x[d]!;
    src[i] = off;
    for (let d = D - 1; d >= 0; d--) {
      if (++coord[d]! < space[d]!) break;
      coord[d] = 0;
    }
  }
  // Source channel and sign of every output channel, also walking the ops backwards.
  const srcChannel = new Int32Array(C);
  const sign = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let comps = [...channels[c]!.components];
    let s = 1;
    for (let k = ops.length - 1; k >= 0; k--) {
      const op = ops[k]!;
      if (op.kind === 'flip') for (const a of comps) if (op.axes[a]) s = -s;
      if (op.kind === 'permute') comps = comps.map((a) => op.perm[a]!);
    }
    const field = channels[c]!.field;
    const j = channels.findIndex((ch) => ch.field === field && ch.components.length === comps.length && ch.components.every((a, i) => a === comps[i]));
    if (j < 0) throw new Error(`augmentation needs channel ${field} with components [${comps}] among the selected channels`);
    srcChannel[c] = j;
    sign[c] = s;
  }
  const out = new Float32Array(state.data.length);
  const inp = state.data;
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      const o = (t * C + c) * n;
      const b = (t * C + srcChannel[c]!) * n;
      const s = sign[c]!;
      for (let i = 0; i < n; i++) out[o + i] = s * inp[b + src[i]!]!;
    }
  }
  return { data: out, shape: state.shape };
}

function isIdentity(op: GeometricOp): boolean {
  if (op.kind === 'flip') return op.axes.every((a) => !a);
  if (op.kind === 'roll') return op.shifts.every((s) => s === 0);
  return op.perm.every((p, i) => p === i);
}
