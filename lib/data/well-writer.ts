// Writing Well-format files (solver outputs, emulator rollouts), complete enough for The Well's own
// format checker: every group and flag it asserts, booleans as h5py enums (see bool-attrs.ts).
//
// The file is written in two passes: first the skeleton (attributes, coordinates, scalars, boundary
// masks and empty chunked field datasets, whose chunks are allocated only when written), which is
// closed and has its boolean attributes patched; then it is reopened to stream trajectories in, one
// window at a time, so memory stays bounded by what the caller passes.
import { createStringList, h5Ready, h5wasm, type Dataset, type Group, type H5File } from './h5.js';
import { BOUNDARY_TYPES, type BoundaryType } from './boundary.js';
import { createBoolAttribute, patchBoolAttributes } from './bool-attrs.js';
import { WellFile, tensorComponents } from './well-file.js';
import { numel, type Tensor } from './types.js';

export interface WellFieldSpec {
  name: string;
  /** 0: scalar field (t0_fields), 1: vector (t1_fields, components per spatial axis), 2: tensor (t2_fields). */
  order?: 0 | 1 | 2;
  /** Default true. A field that is not time-varying is written once, from `data`. */
  timeVarying?: boolean;
  /** Default true. */
  sampleVarying?: boolean;
  /** Default all true: which spatial axes the field is stored along (the others are broadcast). */
  dimVarying?: boolean[];
  symmetric?: boolean;
  antisymmetric?: boolean;
  /** Data of a field that is neither sample- nor time-varying, in its stored shape. */
  data?: Float32Array;
}

export interface WellScalarSpec {
  name: string;
  /** A constant (0-d), a (B,) array if sampleVarying, (T,) if timeVarying, (B, T) if both. */
  value: number | Float32Array | number[];
  sampleVarying?: boolean;
  timeVarying?: boolean;
}

export interface WellWriterSpec {
  datasetName: string;
  gridType?: string;
  nTrajectories: number;
  spatialDims: string[];
  /** Coordinates of each spatial axis (its length is the grid size along that axis). */
  coordinates: Record<string, Float32Array | number[]>;
  /** Time of each step (its length is T). */
  time: Float32Array | number[];
  /** Constant simulation parameters: root attributes and 0-d datasets in /scalars (e.g. gamma). */
  parameters?: Record<string, number>;
  /** Other scalars (time- or sample-varying). */
  scalars?: WellScalarSpec[];
  fields: WellFieldSpec[];
  /** Per spatial axis: one type for both ends, or [low, high]. Axes left out are OPEN. */
  boundaryConditions?: Record<string, BoundaryType | [BoundaryType, BoundaryType]>;
  /** gzip level (1–9) for the field datasets; default none. */
  compression?: number;
  /** Chunk shape of a time-varying field: 'state' (1 state per chunk, default) or 'trajectory'. */
  chunking?: 'state' | 'trajectory';
  /** Extra root attributes (strings or numbers). */
  attributes?: Record<string, string | number>;
}

interface ResolvedField {
  name: string;
  order: 0 | 1 | 2;
  timeVarying: boolean;
  sampleVarying: boolean;
  dimVarying: boolean[];
}

export class WellWriter {
  private constructor(
    private file: H5File,
    readonly path: string,
    readonly spec: WellWriterSpec,
    private readonly fieldSpecs: ResolvedField[],
  ) {}

  /** Creates (truncates) `path` with the whole structure; field data is then written with writeWindow. */
  static async create(path: string, spec: WellWriterSpec): Promise<WellWriter> {
    await h5Ready();
    validateSpec(spec);
    const fields = spec.fields.map((f): ResolvedField => ({
      name: f.name,
      order: f.order ?? 0,
      timeVarying: f.timeVarying ?? true,
      sampleVarying: f.sampleVarying ?? true,
      dimVarying: f.dimVarying ?? spec.spatialDims.map(() => true),
    }));
    const file = new h5wasm.File(path, 'w');
    try {
      writeSkeleton(file, spec, fields);
    } finally {
      file.close();
    }
    patchBoolAttributes(path);
    return new WellWriter(new h5wasm.File(path, 'a'), path, spec, fields);
  }

  /** All channels of the time-varying fields, in The Well's order (t0, then t1 components, then t2). */
  get channels(): string[] {
    const out: string[] = [];
    for (const order of [0, 1, 2] as const) {
      for (const f of this.fieldSpecs) {
        if (f.order !== order || !f.timeVarying) continue;
        for (const c of tensorComponents(order, this.spec.spatialDims.length)) {
          out.push(c.length ? `${f.name}_${c.map((i) => this.spec.spatialDims[i]).join('')}` : f.name);
        }
      }
    }
    return out;
  }

  /**
   * Writes states `start .. start+T-1` of trajectory `sample` from a (T, C, ...space) tensor whose
   * channels are `this.channels` (all time-varying, sample-varying, full-grid fields).
   */
  writeWindow(sample: number, start: number, window: Tensor): void {
    const dims = this.spec.spatialDims;
    const space = dims.map((d) => this.spec.coordinates[d]!.length);
    const n = numel(space);
    const [T, C] = window.shape as [number, number];
    const channels = this.channels;
    if (window.shape.length !== 2 + dims.length || C !== channels.length || window.shape.slice(2).some((s, i) => s !== space[i])) {
      throw new Error(`${this.path}: window shape [${window.shape}] does not match (T, ${channels.length}, ${space.join(', ')})`);
    }
    if (sample < 0 || sample >= this.spec.nTrajectories || start < 0 || start + T > this.spec.time.length) {
      throw new RangeError(`${this.path}: window (sample ${sample}, steps ${start}..${start + T - 1}) out of range`);
    }
    let c0 = 0;
    for (const order of [0, 1, 2] as const) {
      for (const f of this.fieldSpecs) {
        if (f.order !== order || !f.timeVarying) continue;
        if (!f.sampleVarying || f.dimVarying.some((v) => !v)) throw new Error(`${this.path}: field '${f.name}' is not stored per sample on the full grid; write it through the spec`);
        const K = order === 0 ? 1 : dims.length ** order;
        const out = new Float32Array(T * n * K);
        for (let t = 0; t < T; t++) {
          for (let k = 0; k < K; k++) {
            const src = window.data.subarray((t * C + c0 + k) * n, (t * C + c0 + k + 1) * n);
            if (K === 1) out.set(src, t * n);
            else for (let i = 0; i < n; i++) out[(t * n + i) * K + k] = src[i]!;
          }
        }
        const ds = this.file.get(`t${order}_fields/${f.name}`) as Dataset;
        const ranges: [number, number][] = [[sample, sample + 1], [start, start + T], ...space.map((s) => [0, s] as [number, number]), ...Array.from({ length: order }, () => [0, dims.length] as [number, number])];
        ds.write_slice(ranges, out);
        c0 += K;
      }
    }
  }

  /** Writes the whole trajectory `sample` from a (T, C, ...space) tensor. */
  writeTrajectory(sample: number, trajectory: Tensor): void {
    this.writeWindow(sample, 0, trajectory);
  }

  flush(): void {
    this.file.flush();
  }

  close(): void {
    this.file.close();
  }
}

function validateSpec(spec: WellWriterSpec): void {
  if (!Number.isInteger(spec.nTrajectories) || spec.nTrajectories < 1) throw new Error(`nTrajectories must be a positive integer`);
  if (spec.spatialDims.length < 1 || spec.spatialDims.length > 3) throw new Error(`spatialDims must have 1 to 3 axes`);
  for (const d of spec.spatialDims) if (!spec.coordinates[d]) throw new Error(`no coordinates for spatial axis '${d}'`);
  for (const [axis, bc] of Object.entries(spec.boundaryConditions ?? {})) {
    if (!spec.spatialDims.includes(axis)) throw new Error(`boundary condition for unknown axis '${axis}'`);
    for (const t of Array.isArray(bc) ? bc : [bc]) if (!BOUNDARY_TYPES.includes(t)) throw new Error(`unknown boundary type '${t}' (WALL, OPEN or PERIODIC)`);
  }
}

function writeSkeleton(file: H5File, spec: WellWriterSpec, fields: ResolvedField[]): void {
  const D = spec.spatialDims.length;
  const space = spec.spatialDims.map((d) => spec.coordinates[d]!.length);
  const T = spec.time.length;
  const B = spec.nTrajectories;
  const params = spec.parameters ?? {};

  file.create_attribute('dataset_name', spec.datasetName);
  file.create_attribute('grid_type', spec.gridType ?? 'cartesian');
  // Typed arrays with shape [] make scalar int64/float64 attributes (h5wasm writes a dtype string of
  // '<f8' as float32).
  file.create_attribute('n_spatial_dims', BigInt64Array.of(BigInt(D)), []);
  file.create_attribute('n_trajectories', BigInt64Array.of(BigInt(B)), []);
  createStringList(file, 'simulation_parameters', Object.keys(params));
  for (const [k, v] of Object.entries(params)) file.create_attribute(k, Float64Array.of(v), []);
  for (const [k, v] of Object.entries(spec.attributes ?? {})) file.create_attribute(k, v);

  const dims = file.create_group('dimensions');
  createStringList(dims, 'spatial_dims', spec.spatialDims);
  const time = dims.create_dataset({ name: 'time', data: Float32Array.from(spec.time), dtype: '<f4' });
  // The checker's shape rule makes a 1-D time axis time-varying: expected shape (T,) = (n_steps,).
  createBoolAttribute(time, 'sample_varying', false);
  createBoolAttribute(time, 'time_varying', true);
  spec.spatialDims.forEach((d) => {
    const ds = dims.create_dataset({ name: d, data: Float32Array.from(spec.coordinates[d]!), dtype: '<f4' });
    createBoolAttribute(ds, 'sample_varying', false);
    createBoolAttribute(ds, 'time_varying', false);
  });

  const scalars = file.create_group('scalars');
  const scalarSpecs: WellScalarSpec[] = [...Object.entries(params).map(([name, value]) => ({ name, value })), ...(spec.scalars ?? [])];
  createStringList(scalars, 'field_names', scalarSpecs.map((s) => s.name));
  for (const s of scalarSpecs) {
    const shape = [...(s.sampleVarying ? [B] : []), ...(s.timeVarying ? [T] : [])];
    const data = typeof s.value === 'number' ? Float32Array.of(s.value) : Float32Array.from(s.value);
    if (data.length !== numel(shape)) throw new Error(`scalar '${s.name}' has ${data.length} values, expected shape [${shape}]`);
    const ds = scalars.create_dataset({ name: s.name, data, shape, dtype: '<f4' });
    createBoolAttribute(ds, 'sample_varying', s.sampleVarying ?? false);
    createBoolAttribute(ds, 'time_varying', s.timeVarying ?? false);
  }

  const bcs = file.create_group('boundary_conditions');
  spec.spatialDims.forEach((d, i) => {
    const raw = spec.boundaryConditions?.[d] ?? 'OPEN';
    const [lo, hi] = Array.isArray(raw) ? raw : [raw, raw];
    const n = space[i]!;
    const groups = lo === hi ? [[lo, [0, n - 1]]] : [[lo, [0]], [hi, [n - 1]]];
    for (const [type, ends] of groups as [BoundaryType, number[]][]) {
      const g = bcs.create_group(`${d}_${type.toLowerCase()}${lo === hi ? '' : ends[0] === 0 ? '_low' : '_high'}`);
      g.create_attribute('bc_type', type);
      createStringList(g, 'associated_dims', [d]);
      createStringList(g, 'associated_fields', fields.map((f) => f.name));
      createBoolAttribute(g, 'sample_varying', false);
      createBoolAttribute(g, 'time_varying', false);
      const mask = new Int8Array(n);
      for (const e of ends) mask[e] = 1;
      g.create_dataset({ name: 'mask', data: mask, dtype: '<b' });
    }
  });

  const groups: Record<number, Group> = {};
  for (const order of [0, 1, 2] as const) {
    groups[order] = file.create_group(`t${order}_fields`);
    createStringList(groups[order]!, 'field_names', fields.filter((f) => f.order === order).map((f) => f.name));
  }
  for (const [i, f] of fields.entries()) {
    const fs = spec.fields[i]!;
    const tail = [...space.filter((_, k) => f.dimVarying[k]), ...Array<number>(f.order).fill(D)];
    const shape = [...(f.sampleVarying ? [B] : []), ...(f.timeVarying ? [T] : []), ...tail];
    let ds: Dataset;
    if (f.sampleVarying || f.timeVarying) {
      // Resizable along the first axis so the dataset starts empty (no buffer of the whole field).
      const empty = [0, ...shape.slice(1)];
      const chunkLead = [...(f.sampleVarying ? [1] : []), ...(f.timeVarying ? [spec.chunking === 'trajectory' ? T : 1] : [])];
      ds = groups[f.order]!.create_dataset({
        name: f.name,
        data: new Float32Array(0),
        shape: empty,
        maxshape: [null, ...shape.slice(1)],
        chunks: [...chunkLead, ...tail],
        dtype: '<f4',
        ...(spec.compression ? { compression: 'gzip' as const, compression_opts: spec.compression } : {}),
      });
      ds.resize(shape);
      if (fs.data) ds.write_slice(shape.map((s) => [0, s] as [number, number]), fs.data);
    } else {
      if (!fs.data || fs.data.length !== numel(shape)) throw new Error(`constant field '${f.name}' needs data of shape [${shape}]`);
      ds = groups[f.order]!.create_dataset({ name: f.name, data: fs.data, shape, dtype: '<f4' });
    }
    createBoolAttribute(ds, 'sample_varying', f.sampleVarying);
    createBoolAttribute(ds, 'time_varying', f.timeVarying);
    createBoolAttribute(ds, 'dim_varying', f.dimVarying);
    if (f.order === 2) {
      createBoolAttribute(ds, 'symmetric', fs.symmetric ?? false);
      createBoolAttribute(ds, 'antisymmetric', fs.antisymmetric ?? false);
    }
  }
}

/**
 * Re-reads a written (or previously finished) Well file and throws, naming it, unless it holds what `expect`
 * describes (trajectories, time steps, grid) and the last state of its last trajectory reads back (finite):
 * a write that failed part-way leaves fill values, NaN or an unreadable chunk at the end.
 */
export async function verifyWellOutput(
  path: string,
  expect: Partial<Pick<WellWriterSpec, 'nTrajectories' | 'time' | 'spatialDims' | 'coordinates'>>,
  /** Require finite values in that last state (off for emulator output, where NaN can be the model's own). */
  finite = true,
): Promise<void> {
  const file = await WellFile.open(path);
  try {
    const info = file.info;
    const problems: string[] = [];
    if (expect.nTrajectories !== undefined && info.nTrajectories !== expect.nTrajectories) problems.push(`${info.nTrajectories} trajectories, expected ${expect.nTrajectories}`);
    if (expect.time !== undefined && info.nSteps !== expect.time.length) problems.push(`${info.nSteps} time steps, expected ${expect.time.length}`);
    if (expect.spatialDims && expect.coordinates) {
      const grid = expect.spatialDims.map((d) => expect.coordinates![d]!.length);
      if (info.spatialShape.join() !== grid.join()) problems.push(`grid ${info.spatialShape.join('×')}, expected ${grid.join('×')}`);
    }
    if (problems.length) throw new Error(`${path}: ${problems.join('; ')}`);
    const channels = info.fields.filter((f) => f.timeVarying).flatMap((f) => f.channels);
    if (channels.length && info.nTrajectories > 0 && info.nSteps > 0) {
      const last = file.readWindow(info.nTrajectories - 1, info.nSteps - 1, 1, 1, file.resolveChannels(channels));
      if (finite && !last.data.every(Number.isFinite)) throw new Error(`${path}: the last state of the last trajectory holds non-finite values (an incomplete write?)`);
    }
  } finally {
    file.close();
  }
}
