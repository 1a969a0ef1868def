// Small Well files for the tests, written into a temp dir. Every value is a known function of its
// position, so tests can compute what any window, flip or roll must contain.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStringList, h5Ready, h5wasm } from '../../lib/data/h5.js';
import { WellWriter, type WellWriterSpec } from '../../lib/data/well-writer.js';
import type { BoundaryType } from '../../lib/data/boundary.js';

export function tempDir(prefix = 'le-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The value stored at trajectory b, step t, channel c (in The Well's channel order), flat position i. */
export function toyValue(b: number, t: number, c: number, i: number, offset = 0): number {
  return offset + 1000 * b + 100 * t + 10 * c + i;
}

export interface ToyOptions {
  B?: number;
  T?: number;
  shape?: number[];
  dims?: string[];
  bc?: Record<string, BoundaryType | [BoundaryType, BoundaryType]>;
  parameters?: Record<string, number>;
  compression?: number;
  tensor?: boolean;
  constantField?: boolean;
  offset?: number;
  datasetName?: string;
}

/** Fields density, pressure (t0), velocity (t1) [, stress (t2)] [, a constant `mask`]. */
export async function writeToyWell(path: string, o: ToyOptions = {}): Promise<WellWriter['channels']> {
  const B = o.B ?? 2;
  const T = o.T ?? 6;
  const shape = o.shape ?? [4, 3];
  const dims = o.dims ?? ['x', 'y', 'z'].slice(0, shape.length);
  const spec: WellWriterSpec = {
    datasetName: o.datasetName ?? 'toy',
    nTrajectories: B,
    spatialDims: dims,
    coordinates: Object.fromEntries(dims.map((d, k) => [d, Array.from({ length: shape[k]! }, (_, i) => i / shape[k]!)])),
    time: Array.from({ length: T }, (_, t) => 0.25 * t),
    parameters: o.parameters ?? { gamma: 1.4 },
    fields: [
      { name: 'density' },
      { name: 'pressure' },
      { name: 'velocity', order: 1 },
      ...(o.tensor ? [{ name: 'stress', order: 2 as const }] : []),
      ...(o.constantField ? [{ name: 'mask', timeVarying: false, sampleVarying: false, dimVarying: dims.map((_, k) => k === 0), data: Float32Array.from({ length: shape[0]! }, (_, i) => i + 0.5) }] : []),
    ],
    boundaryConditions: o.bc ?? { x: 'PERIODIC', y: ['WALL', 'OPEN'] },
    compression: o.compression,
  };
  const w = await WellWriter.create(path, spec);
  const C = w.channels.length;
  const n = shape.reduce((a, b) => a * b, 1);
  for (let b = 0; b < B; b++) {
    const data = new Float32Array(T * C * n);
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) for (let i = 0; i < n; i++) data[(t * C + c) * n + i] = toyValue(b, t, c, i, o.offset);
    w.writeTrajectory(b, { data, shape: [T, C, ...shape] });
  }
  const channels = w.channels;
  w.close();
  return channels;
}

export interface RawOptions {
  skipGroup?: string;
  densityShape?: number[];
  skipField?: boolean;
}

/** A Well file written directly with h5wasm, to produce the broken variants the writer never makes. */
export async function writeRawWell(path: string, o: RawOptions = {}): Promise<void> {
  await h5Ready();
  const f = new h5wasm.File(path, 'w');
  const B = 2, T = 5, X = 4, Y = 3;
  f.create_attribute('dataset_name', 'raw');
  f.create_attribute('grid_type', 'cartesian');
  f.create_attribute('n_spatial_dims', 2, null, '<i8');
  f.create_attribute('n_trajectories', B, null, '<i8');
  f.create_attribute('simulation_parameters', ['gamma']);
  f.create_attribute('gamma', 1.4);
  const flags = (obj: { create_attribute: (n: string, d: never, s?: number[] | null, t?: string) => void }, sv: boolean, tv: boolean, dv?: boolean[]) => {
    obj.create_attribute('sample_varying', Int8Array.of(sv ? 1 : 0) as never, [], '<b');
    obj.create_attribute('time_varying', Int8Array.of(tv ? 1 : 0) as never, [], '<b');
    if (dv) obj.create_attribute('dim_varying', Int8Array.from(dv, (v) => (v ? 1 : 0)) as never, [dv.length], '<b');
  };
  const groups = ['dimensions', 'scalars', 'boundary_conditions', 't0_fields', 't1_fields', 't2_fields'];
  const g: Record<string, ReturnType<typeof f.create_group>> = {};
  for (const name of groups) if (name !== o.skipGroup) g[name] = f.create_group(name);
  if (g.dimensions) {
    g.dimensions.create_attribute('spatial_dims', ['x', 'y']);
    flags(g.dimensions.create_dataset({ name: 'time', data: new Float32Array(T), dtype: '<f4' }) as never, false, true);
    flags(g.dimensions.create_dataset({ name: 'x', data: new Float32Array(X), dtype: '<f4' }) as never, false, false);
    flags(g.dimensions.create_dataset({ name: 'y', data: new Float32Array(Y), dtype: '<f4' }) as never, false, false);
  }
  if (g.scalars) {
    g.scalars.create_attribute('field_names', ['gamma']);
    flags(g.scalars.create_dataset({ name: 'gamma', data: Float32Array.of(1.4), shape: [], dtype: '<f4' }) as never, false, false);
  }
  if (g.boundary_conditions) {
    const bc = g.boundary_conditions.create_group('x_periodic');
    bc.create_attribute('bc_type', 'periodic');
    bc.create_attribute('associated_dims', ['x']);
    bc.create_attribute('associated_fields', ['density']);
    flags(bc as never, false, false);
    bc.create_dataset({ name: 'mask', data: Int8Array.of(1, 0, 0, 1), dtype: '<b' });
  }
  if (g.t0_fields) {
    g.t0_fields.create_attribute('field_names', ['density']);
    if (!o.skipField) {
      const shape = o.densityShape ?? [B, T, X, Y];
      const n = shape.reduce((a, b) => a * b, 1);
      flags(g.t0_fields.create_dataset({ name: 'density', data: new Float32Array(n), shape, dtype: '<f4' }) as never, true, true, [true, true]);
    }
  }
  for (const name of ['t1_fields', 't2_fields']) if (g[name]) createStringList(g[name]!, 'field_names', []);
  f.close();
}
