// One Well HDF5 file: its structure, validated when opened, and hyperslab reads of exactly the
// window asked for (never a whole field), laid out (T, C, ...space) in float32.
import type { Dataset, Group, H5File } from './h5.js';
import {
  asBool,
  asBoolList,
  asNumber,
  asStringList,
  attr,
  isDataset,
  isGroup,
  openH5,
  toFloat32,
  hdf5Failure,
} from './h5.js';
import { BOUNDARY_TYPES, boundaryCodes, type BoundaryType, type WellBoundary } from './boundary.js';
import { WellFormatError, didYouMean } from './errors.js';
import { numel, type Tensor } from './types.js';

export const FIELD_GROUPS = ['t0_fields', 't1_fields', 't2_fields'] as const;

/** A field of `t0_fields` (scalar), `t1_fields` (vector) or `t2_fields` (tensor). */
export interface WellField {
  name: string;
  order: 0 | 1 | 2;
  shape: number[];
  sampleVarying: boolean;
  timeVarying: boolean;
  dimVarying: boolean[];
  /** Channel names, e.g. `velocity_x`, `velocity_y` (t1) or `stress_xy` (t2), in storage order. */
  channels: string[];
  /** For each channel, the spatial axis of each tensor index ([[]] for t0). */
  components: number[][];
}

export interface WellScalar {
  name: string;
  shape: number[];
  sampleVarying: boolean;
  timeVarying: boolean;
}

/** Everything about a file except its bulk data. */
export interface WellInfo {
  path: string;
  datasetName: string;
  gridType: string;
  nSpatialDims: number;
  nTrajectories: number;
  /** Number of time steps per trajectory (last axis of `/dimensions/time`). */
  nSteps: number;
  spatialDims: string[];
  spatialShape: number[];
  simulationParameters: string[];
  /** Root attributes other than the structural ones (simulation parameters among them). */
  attributes: Record<string, unknown>;
  timeSampleVarying: boolean;
  scalars: WellScalar[];
  fields: WellField[];
  /** All channels in The Well's flattening order: t0 fields, then t1 components, then t2. */
  channels: string[];
  boundaries: WellBoundary[];
  /** (n_spatial_dims, 2) codes WALL=0, OPEN=1, PERIODIC=2. */
  boundaryConditions: number[][];
}

/** A channel resolved to the field that stores it and its component index within the field. */
export interface ChannelRef {
  name: string;
  field: WellField;
  component: number;
}

export class WellFile {
  private constructor(
    private readonly file: H5File,
    readonly info: WellInfo,
  ) {}

  /** Opens and validates a Well file; every format problem is a WellFormatError naming the file. */
  static async open(path: string): Promise<WellFile> {
    const file = await openH5(path, 'r');
    try {
      return new WellFile(file, readInfo(file, path));
    } catch (err) {
      file.close();
      throw err;
    }
  }

  close(): void {
    this.file.close();
  }

  get path(): string {
    return this.info.path;
  }

  /** Resolves channel or field names (a vector/tensor field name expands to all its components). */
  resolveChannels(names?: readonly string[]): ChannelRef[] {
    const all: ChannelRef[] = [];
    for (const field of this.info.fields) {
      field.channels.forEach((name, component) => all.push({ name, field, component }));
    }
    if (names === undefined) return all.filter((c) => c.field.timeVarying);
    const out: ChannelRef[] = [];
    for (const name of names) {
      const exact = all.find((c) => c.name === name);
      if (exact) {
        out.push(exact);
        continue;
      }
      const field = all.filter((c) => c.field.name === name);
      if (field.length) {
        out.push(...field);
        continue;
      }
      const known = new Set([...all.map((c) => c.name), ...this.info.fields.map((f) => f.name)]);
      throw new WellFormatError(this.path, `no field or channel '${name}'${didYouMean(name, known)}; the file has ${[...known].join(', ')}`);
    }
    return out;
  }

  /**
   * Reads `steps` states starting at `start`, every `stride` steps, of trajectory `sample`: a
   * (steps, C, ...space) float32 tensor. Fields that are not sample-, time- or dimension-varying are
   * broadcast. Only the hyperslab of the window is read from the file.
   */
  readWindow(sample: number, start: number, steps: number, stride = 1, channels?: readonly ChannelRef[] | readonly string[]): Tensor {
    const { nTrajectories, nSteps, spatialShape } = this.info;
    if (!Number.isInteger(sample) || sample < 0 || sample >= nTrajectories) {
      throw new RangeError(`${this.path}: trajectory ${sample} out of range [0, ${nTrajectories})`);
    }
    const last = start + (steps - 1) * stride;
    if (!Number.isInteger(start) || start < 0 || steps < 1 || stride < 1 || last >= nSteps) {
      throw new RangeError(`${this.path}: window start=${start} steps=${steps} stride=${stride} exceeds ${nSteps} time steps`);
    }
    const refs = channels === undefined || typeof channels[0] === 'string' ? this.resolveChannels(channels as string[] | undefined) : (channels as ChannelRef[]);
    const n = numel(spatialShape);
    const C = refs.length;
    const out = new Float32Array(steps * C * n);
    // Read each field once, then scatter each of its selected components into its channel slots.
    const byField = new Map<WellField, number[]>();
    refs.forEach((r, c) => {
      const list = byField.get(r.field) ?? [];
      list.push(c);
      byField.set(r.field, list);
    });
    for (const [field, slots] of byField) {
      const src = this.readFieldSlab(field, sample, start, steps, stride);
      const K = field.channels.length;
      const offsets = this.spatialOffsets(field);
      const nSrc = offsets ? numel(field.dimVarying.map((v, i) => (v ? spatialShape[i]! : 1))) : n;
      for (const c of slots) {
        const comp = refs[c]!.component;
        for (let t = 0; t < steps; t++) {
          const tSrc = field.timeVarying ? t : 0;
          const dst = (t * C + c) * n;
          if (!offsets && K === 1) {
            out.set(src.subarray(tSrc * n, (tSrc + 1) * n), dst);
          } else if (!offsets) {
            const base = tSrc * n * K + comp;
            for (let i = 0; i < n; i++) out[dst + i] = src[base + i * K]!;
          } else {
            const base = tSrc * nSrc;
            for (let i = 0; i < n; i++) out[dst + i] = src[(base + offsets[i]!) * K + comp]!;
          }
        }
      }
    }
    return { data: out, shape: [steps, C, ...spatialShape] };
  }

  /** The whole trajectory `sample` (all time steps), (T, C, ...space). */
  readTrajectory(sample: number, channels?: readonly ChannelRef[] | readonly string[]): Tensor {
    return this.readWindow(sample, 0, this.info.nSteps, 1, channels);
  }

  /** The constant (not time-varying) scalars of trajectory `sample`, in `/scalars` order. */
  constantScalars(sample = 0): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.info.scalars) {
      if (s.timeVarying) continue;
      const ds = this.file.get(`scalars/${s.name}`) as Dataset;
      const value = s.sampleVarying ? ds.slice([[sample, sample + 1]]) : ds.value;
      out[s.name] = toFloat32(value)[0]!;
    }
    return out;
  }

  /**
   * The time-varying scalars of trajectory `sample` at steps start, start+stride, …: (steps, S) with S the
   * time-varying scalars in `/scalars` order (The Well's `input_scalars`/`output_scalars` before the split).
   */
  timeVaryingScalars(sample: number, start: number, steps: number, stride = 1): Float32Array {
    const varying = this.info.scalars.filter((s) => s.timeVarying);
    const out = new Float32Array(steps * varying.length);
    varying.forEach((s, k) => {
      const ds = this.file.get(`scalars/${s.name}`) as Dataset;
      const lead: [number, number][] = s.sampleVarying ? [[sample, sample + 1]] : [];
      const series = toFloat32(ds.slice([...lead, [start, start + (steps - 1) * stride + 1, stride]]));
      for (let t = 0; t < steps; t++) out[t * varying.length + k] = series[t]!;
    });
    return out;
  }

  /** The time grid `/dimensions/time` of trajectory `sample`. */
  readTime(sample = 0): Float32Array {
    const ds = this.file.get('dimensions/time') as Dataset;
    return toFloat32(this.info.timeSampleVarying ? ds.slice([[sample, sample + 1], []]) : ds.value);
  }

  /** The coordinates of spatial axis `dim` (of trajectory `sample` when they vary by sample). */
  readCoordinates(dim: string, sample = 0): Float32Array {
    const ds = this.file.get(`dimensions/${dim}`) as Dataset;
    const sv = asBool(attr(ds, 'sample_varying')) ?? false;
    return toFloat32(sv ? ds.slice([[sample, sample + 1], []]) : ds.value);
  }

  private readFieldSlab(field: WellField, sample: number, start: number, steps: number, stride: number): Float32Array {
    const ds = this.file.get(`t${field.order}_fields/${field.name}`) as Dataset;
    try {
      const lead: [number, number][] = field.sampleVarying ? [[sample, sample + 1]] : [];
      const rest = (k: number) => Array.from({ length: field.shape.length - k }, () => [] as []);
      if (!field.timeVarying) return toFloat32(lead.length ? ds.slice([...lead, ...rest(1)]) : ds.value);
      if (stride === 1 || steps === 1) return toFloat32(ds.slice([...lead, [start, start + (steps - 1) * stride + 1, stride], ...rest(lead.length + 1)]));
      // A strided time selection is several times slower in libhdf5 than one slice per state.
      const states = Array.from({ length: steps }, (_, t) => toFloat32(ds.slice([...lead, [start + t * stride, start + t * stride + 1], ...rest(lead.length + 1)])));
      const out = new Float32Array(states[0]!.length * steps);
      states.forEach((s, t) => out.set(s, t * s.length));
      return out;
    } catch (err) {
      // A damaged chunk: libhdf5's error, as an exception naming the file and dataset (never zeros or NaN).
      throw hdf5Failure(err, 'reading', this.info.path, `t${field.order}_fields/${field.name}`);
    }
  }

  private offsetCache = new Map<WellField, Int32Array | null>();

  /** For fields missing some spatial axes, the source offset of every output position (tiling). */
  private spatialOffsets(field: WellField): Int32Array | null {
    if (field.dimVarying.every((v) => v)) return null;
    const cached = this.offsetCache.get(field);
    if (cached !== undefined) return cached;
    const shape = this.info.spatialShape;
    const srcShape = field.dimVarying.map((v, i) => (v ? shape[i]! : 1));
    const out = new Int32Array(numel(shape));
    const idx = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < out.length; i++) {
      let off = 0;
      for (let d = 0; d < shape.length; d++) off = off * srcShape[d]! + (field.dimVarying[d] ? idx[d]! : 0);
      out[i] = off;
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d]! < shape[d]!) break;
        idx[d] = 0;
      }
    }
    this.offsetCache.set(field, out);
    return out;
  }
}

const STRUCTURAL_ATTRS = new Set(['dataset_name', 'grid_type', 'n_spatial_dims', 'n_trajectories', 'simulation_parameters']);

function readInfo(file: H5File, path: string): WellInfo {
  const fail = (problem: string): never => {
    throw new WellFormatError(path, problem);
  };
  const rootAttr = <T>(name: string, cast: (v: unknown) => T | undefined, what: string): T => {
    const v = attr(file, name);
    if (v === undefined) fail(`missing root attribute '${name}'`);
    const out = cast(v);
    if (out === undefined) fail(`root attribute '${name}' must be ${what}, got ${JSON.stringify(v)}`);
    return out as T;
  };
  const group = (name: string): Group => {
    const g = file.get(name);
    if (!isGroup(g)) fail(`missing group '/${name}'${g === null ? '' : ' (it is not a group)'}`);
    return g as Group;
  };
  const flag = (obj: Group | Dataset, name: string, where: string): boolean => {
    const v = attr(obj, name);
    if (v === undefined) fail(`${where} has no '${name}' attribute`);
    const b = asBool(v);
    if (b === undefined) fail(`${where} attribute '${name}' must be a boolean`);
    return b as boolean;
  };

  const datasetName = rootAttr('dataset_name', (v) => (typeof v === 'string' ? v : undefined), 'a string');
  const gridType = rootAttr('grid_type', (v) => (typeof v === 'string' ? v : undefined), 'a string');
  const nSpatialDims = rootAttr('n_spatial_dims', asNumber, 'an integer');
  const nTrajectories = rootAttr('n_trajectories', asNumber, 'an integer');
  const simulationParameters = attr(file, 'simulation_parameters') === undefined ? [] : rootAttr('simulation_parameters', (v) => (Array.isArray(v) && v.length === 0 ? [] : asStringList(v)), 'a list of strings');
  const attributes: Record<string, unknown> = {};
  for (const name of Object.keys(file.attrs)) if (!STRUCTURAL_ATTRS.has(name)) attributes[name] = attr(file, name);
  for (const p of simulationParameters) if (!(p in attributes)) fail(`simulation parameter '${p}' is listed but has no root attribute`);

  // Dimensions.
  const dims = group('dimensions');
  const spatialDims = asStringList(attr(dims, 'spatial_dims'));
  if (!spatialDims) fail(`/dimensions has no 'spatial_dims' list attribute`);
  if (spatialDims!.length !== nSpatialDims) fail(`/dimensions spatial_dims ${JSON.stringify(spatialDims)} does not match n_spatial_dims=${nSpatialDims}`);
  const time = dims.get('time');
  if (!isDataset(time)) fail(`missing dataset '/dimensions/time'`);
  const timeDs = time as Dataset;
  const timeSampleVarying = flag(timeDs, 'sample_varying', '/dimensions/time');
  const timeShape = timeDs.shape ?? [];
  const nSteps = timeShape[timeShape.length - 1] ?? 0;
  if (timeShape.length !== (timeSampleVarying ? 2 : 1) || (timeSampleVarying && timeShape[0] !== nTrajectories)) {
    fail(`/dimensions/time has shape [${timeShape}], expected [${timeSampleVarying ? `${nTrajectories}, ` : ''}T]`);
  }
  const spatialShape = spatialDims!.map((d) => {
    const ds = dims.get(d);
    if (!isDataset(ds)) fail(`missing dataset '/dimensions/${d}' (listed in spatial_dims)`);
    const shape = (ds as Dataset).shape ?? [];
    flag(ds as Dataset, 'sample_varying', `/dimensions/${d}`);
    flag(ds as Dataset, 'time_varying', `/dimensions/${d}`);
    return shape[shape.length - 1] ?? 1;
  });

  // Fields.
  const fields: WellField[] = [];
  for (const [order, gname] of FIELD_GROUPS.entries()) {
    const g = group(gname);
    const names = attr(g, 'field_names');
    const list = Array.isArray(names) && names.length === 0 ? [] : asStringList(names);
    if (list === undefined) fail(`/${gname} has no 'field_names' list attribute`);
    for (const name of list!) {
      const ds = g.get(name);
      const where = `/${gname}/${name}`;
      if (!isDataset(ds)) fail(`field '${name}' is listed in /${gname} field_names but missing${didYouMean(name, g.keys())}`);
      const d = ds as Dataset;
      const sampleVarying = flag(d, 'sample_varying', where);
      const timeVarying = flag(d, 'time_varying', where);
      const dimVarying = asBoolList(attr(d, 'dim_varying'));
      if (!dimVarying || dimVarying.length !== nSpatialDims) fail(`${where} needs a 'dim_varying' list of ${nSpatialDims} booleans`);
      const expected = [
        ...(sampleVarying ? [nTrajectories] : []),
        ...(timeVarying ? [nSteps] : []),
        ...spatialShape.filter((_, i) => dimVarying![i]),
        ...Array<number>(order).fill(nSpatialDims),
      ];
      const shape = d.shape ?? [];
      if (shape.length !== expected.length || shape.some((s, i) => s !== expected[i])) {
        fail(`field '${name}' in /${gname} has shape [${shape}], expected [${expected}] (n_trajectories=${nTrajectories}, time=${nSteps}, ${spatialDims!.map((s, i) => `${s}=${spatialShape[i]}`).join(', ')}${order ? `, ${order} tensor ${order === 1 ? 'axis' : 'axes'} of ${nSpatialDims}` : ''})`);
      }
      const components = tensorComponents(order as 0 | 1 | 2, nSpatialDims);
      const channels = components.map((c) => (c.length ? `${name}_${c.map((i) => spatialDims![i]).join('')}` : name));
      fields.push({ name, order: order as 0 | 1 | 2, shape, sampleVarying, timeVarying, dimVarying: dimVarying!, channels, components });
    }
  }

  // Scalars.
  const sg = group('scalars');
  const scalarNames = attr(sg, 'field_names');
  const scalarList = Array.isArray(scalarNames) && scalarNames.length === 0 ? [] : asStringList(scalarNames);
  if (scalarList === undefined) fail(`/scalars has no 'field_names' list attribute`);
  const scalars: WellScalar[] = scalarList!.map((name) => {
    const ds = sg.get(name);
    if (!isDataset(ds)) fail(`scalar '${name}' is listed in /scalars field_names but missing${didYouMean(name, sg.keys())}`);
    const d = ds as Dataset;
    const sampleVarying = flag(d, 'sample_varying', `/scalars/${name}`);
    const timeVarying = flag(d, 'time_varying', `/scalars/${name}`);
    const shape = d.shape ?? [];
    const expected = [...(sampleVarying ? [nTrajectories] : []), ...(timeVarying ? [nSteps] : [])];
    if (shape.length !== expected.length || shape.some((s, i) => s !== expected[i])) {
      fail(`scalar '${name}' has shape [${shape}], expected [${expected}]`);
    }
    return { name, shape, sampleVarying, timeVarying };
  });

  // Boundary conditions.
  const bg = group('boundary_conditions');
  const boundaries: WellBoundary[] = bg.keys().map((name) => {
    const g = bg.get(name);
    const where = `/boundary_conditions/${name}`;
    if (!isGroup(g)) fail(`${where} is not a group`);
    const bcAttr = attr(g as Group, 'bc_type');
    if (typeof bcAttr !== 'string') fail(`${where} has no 'bc_type' string attribute`);
    const bcType = (bcAttr as string).toUpperCase() as BoundaryType;
    if (!BOUNDARY_TYPES.includes(bcType)) fail(`${where} has bc_type '${bcAttr}'; expected one of ${BOUNDARY_TYPES.join(', ')}${didYouMean(bcType, BOUNDARY_TYPES)}`);
    const associatedDims = asStringList(attr(g as Group, 'associated_dims'));
    if (!associatedDims || associatedDims.length === 0) fail(`${where} needs a non-empty 'associated_dims' list`);
    for (const d of associatedDims!) if (!spatialDims!.includes(d)) fail(`${where} names dimension '${d}', not in spatial_dims${didYouMean(d, spatialDims!)}`);
    const fieldsAttr = attr(g as Group, 'associated_fields');
    const associatedFields = Array.isArray(fieldsAttr) && fieldsAttr.length === 0 ? [] : (asStringList(fieldsAttr) ?? []);
    const sampleVarying = flag(g as Group, 'sample_varying', where);
    const timeVarying = flag(g as Group, 'time_varying', where);
    const maskDs = (g as Group).get('mask');
    if (!isDataset(maskDs)) fail(`${where} has no 'mask' dataset`);
    const maskShape = (maskDs as Dataset).shape ?? [];
    const lead = (sampleVarying ? 1 : 0) + (timeVarying ? 1 : 0);
    associatedDims!.forEach((d, i) => {
      const size = spatialShape[spatialDims!.indexOf(d)];
      if (maskShape[lead + i] !== size) fail(`${where}/mask has shape [${maskShape}], but dimension '${d}' has size ${size}`);
    });
    const raw = toFloat32((maskDs as Dataset).value);
    const mask = Uint8Array.from(raw, (v) => (v ? 1 : 0));
    return { name, bcType, associatedDims: associatedDims!, associatedFields, sampleVarying, timeVarying, mask, maskShape };
  });

  const channels = fields.filter((f) => f.timeVarying).flatMap((f) => f.channels);
  return {
    path,
    datasetName,
    gridType,
    nSpatialDims,
    nTrajectories,
    nSteps,
    spatialDims: spatialDims!,
    spatialShape,
    simulationParameters,
    attributes,
    timeSampleVarying,
    scalars,
    fields,
    channels,
    boundaries,
    boundaryConditions: boundaryCodes(spatialDims!, boundaries),
  };
}

/** Index tuples of a tensor of `order` over `n` axes, in C order: [[]], [[0],[1]], [[0,0],[0,1],...]. */
export function tensorComponents(order: 0 | 1 | 2, n: number): number[][] {
  let out: number[][] = [[]];
  for (let k = 0; k < order; k++) out = out.flatMap((c) => Array.from({ length: n }, (_, i) => [...c, i]));
  return out;
}
