// The Well's format checker, `scripts/check_thewell_formatting.py`, ported clause by clause to TypeScript
// so written files can be verified without Python. The port follows the checker as of
// PolymathicAI/the_well commit 671f66caad717e08d013d9bdcb04c2a1447974f9 (2025-09-15; the script's content
// last changed in e955851, "Add more format checks (#160)"). Each assertion of the script is one
// `need(...)` below with the script's own message; its two warnings are returned as warnings.
//
// Types are judged the way h5py reads them, since the script asserts Python types:
//   bool  — `isinstance(v, (bool, np.bool_))`: a scalar enum over an 8-bit integer with exactly the members
//           FALSE=0 and TRUE=1 (what h5py writes; any other type reads as a number);
//   int   — `isinstance(v, (int, np.integer))`: a scalar integer attribute;
//   str   — `isinstance(v, str)`: a scalar *variable-length* string (h5py reads fixed-length ones as bytes);
//   list  — `isinstance(v, (list, np.ndarray))`: any attribute with a non-scalar dataspace;
//   list element str — a rank-1 variable-length string array.
// Unlike the script, which stops at the first failed assertion, the port carries on with the other groups
// and reports every problem it finds; within one dataset it stops where the script would crash or could
// not go on (a missing flag makes the shape check meaningless).
import { isDataset, isGroup, openH5, type Dataset, type Group, type H5File } from './h5.js';

type HasAttrs = Group | Dataset;
interface AttrMeta {
  type: number;
  vlen?: boolean;
  size?: number;
  shape: number[] | null;
  enum_type?: { members: Record<string, number> };
}
const INTEGER = 0;
const STRING = 3;
const ENUM = 8;

export interface WellFormatReport {
  /** Failed assertions of the official checker; empty means the file is valid. */
  problems: string[];
  /** The checker's `warnings.warn` lines (boundary groups not named after their type or axis). */
  warnings: string[];
}

function meta(obj: HasAttrs, name: string): AttrMeta | undefined {
  const a = obj.attrs[name];
  return a ? (a.metadata as unknown as AttrMeta) : undefined;
}

const isScalar = (m: AttrMeta | undefined): m is AttrMeta => !!m && m.shape !== null && m.shape.length === 0;
const isBool = (m: AttrMeta | undefined): boolean => {
  if (!isScalar(m) || m.type !== ENUM) return false;
  const members = m.enum_type?.members ?? {};
  return Object.keys(members).length === 2 && members.FALSE === 0 && members.TRUE === 1;
};
const isInt = (m: AttrMeta | undefined): boolean => isScalar(m) && m.type === INTEGER;
const isStr = (m: AttrMeta | undefined): boolean => isScalar(m) && m.type === STRING && m.vlen === true;
const isList = (m: AttrMeta | undefined): boolean => !!m && m.shape !== null && m.shape.length >= 1;
const elementsAreStr = (m: AttrMeta | undefined): boolean => !!m && m.type === STRING && m.vlen === true && m.shape?.length === 1;

function value(obj: HasAttrs, name: string): unknown {
  return obj.attrs[name]?.json_value;
}
function listValue(obj: HasAttrs, name: string): unknown[] {
  const v = value(obj, name);
  return Array.isArray(v) ? v : [];
}
const fmt = (shape: readonly number[]) => `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;

class Checker {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  constructor(private readonly file: H5File) {}

  /** Records a failed assertion; returns whether it held. */
  need(ok: boolean, message: string): boolean {
    if (!ok) this.problems.push(message);
    return ok;
  }

  get nSpatialDims(): number {
    return Number(value(this.file, 'n_spatial_dims'));
  }
  get spatialDims(): string[] {
    const dims = this.file.get('dimensions');
    return isGroup(dims) ? listValue(dims, 'spatial_dims').map(String) : [];
  }
  /** `f["dimensions"][name].shape[-1]`, or undefined where the script would crash. */
  lastAxis(name: string): number | undefined {
    const ds = this.file.get(`dimensions/${name}`);
    return isDataset(ds) ? ds.shape?.at(-1) : undefined;
  }

  /** `check_dataset(f, group, key, is_spatial, is_field, is_bc, order)`. */
  dataset(group: Group, key: string, kind: 'plain' | 'spatial' | 'field' | 'bc' = 'plain', order = 0): void {
    const where = `${group.path === '/' ? '' : group.path}/${key}`;
    const obj = group.get(key);
    if (!this.need(obj !== null, `${group.path} should contain '${key}' dataset`)) return;
    if (!this.need(isDataset(obj) || isGroup(obj), `${where} is neither a dataset nor a group`)) return;
    const ds = obj as HasAttrs;
    for (const flag of ['sample_varying', 'time_varying']) {
      if (!this.need(ds.attrs[flag] !== undefined, `${where} should contain '${flag}' attribute`)) return;
      if (!this.need(isBool(meta(ds, flag)), `attribute '${flag}' in ${where} should be a boolean`)) return;
    }
    if (kind === 'field') {
      if (!this.need(ds.attrs.dim_varying !== undefined, `${where} should contain 'dim_varying' attribute`)) return;
      if (!this.need(isList(meta(ds, 'dim_varying')), `attribute 'dim_varying' in ${where} should be a list of booleans`)) return;
      if (!this.need(meta(ds, 'dim_varying')!.shape![0] === this.nSpatialDims, `attribute 'dim_varying' in ${where} should be of length 'n_spatial_dims'`)) return;
    }
    if (kind === 'bc') {
      if (!this.need(ds.attrs.bc_type !== undefined, `${where} should contain 'bc_type' attribute`)) return;
      if (!this.need(isStr(meta(ds, 'bc_type')), `attribute 'bc_type' in ${where} should be a string`)) return;
      const bcType = String(value(ds, 'bc_type'));
      if (!where.includes(bcType.toLowerCase())) this.warnings.push(`${where} is not named after 'bc_type' (${bcType})`);
      for (const a of ['associated_fields', 'associated_dims']) {
        if (!this.need(ds.attrs[a] !== undefined, `${where} should contain '${a}' attribute`)) return;
        if (!this.need(isList(meta(ds, a)), `attribute '${a}' in ${where} should be a list of strings`)) return;
      }
      const associated = listValue(ds, 'associated_dims');
      for (const dim of associated) {
        if (!this.need(elementsAreStr(meta(ds, 'associated_dims')), `${dim} in 'associated_dims' in ${where} should be a string`)) return;
        if (!this.need(this.spatialDims.includes(String(dim)), `${dim} in 'associated_dims' in ${where} should be in 'spatial_dims'`)) return;
        if (!where.includes(String(dim))) this.warnings.push(`${where} is not named after 'associated_dims' (${associated.join(', ')})`);
      }
      if (!this.need(isGroup(ds) && ds.get('mask') !== null, `${where} should contain 'mask' dataset`)) return;
    }

    // Shape: (n_trajectories if sample-varying) + (n_steps if time-varying) + the spatial axes the
    // dataset spans + n_spatial_dims once per tensor order.
    const expected: (number | undefined)[] = [];
    if (value(ds, 'sample_varying')) expected.push(Number(value(this.file, 'n_trajectories')));
    if (value(ds, 'time_varying')) {
      const nSteps = this.lastAxis('time');
      if (!this.need(nSteps !== undefined, `${where} is time-varying, but /dimensions/time has no last axis`)) return;
      expected.push(nSteps);
    }
    if (kind === 'field') {
      const dimVarying = listValue(ds, 'dim_varying');
      this.spatialDims.forEach((dim, i) => {
        if (dimVarying[i]) expected.push(this.lastAxis(dim));
      });
      for (let k = 0; k < order; k++) expected.push(this.nSpatialDims);
    }
    if (kind === 'bc') {
      const associated = listValue(ds, 'associated_dims').map(String);
      for (const dim of this.spatialDims) if (associated.includes(dim)) expected.push(this.lastAxis(dim));
    }
    let current: number[] | undefined;
    if (kind === 'bc') {
      const mask = (ds as Group).get('mask');
      current = isDataset(mask) ? (mask.shape ?? undefined) : undefined;
      if (!this.need(current !== undefined, `${where}/mask should be a dataset`)) return;
    } else {
      if (!this.need(isDataset(ds), `${where} should be a dataset`)) return;
      current = (ds as Dataset).shape ?? [];
      if (kind === 'spatial') current = current.slice(0, -1);
    }
    const same = current!.length === expected.length && current!.every((s, i) => s === expected[i]);
    this.need(same, `${where} has shape ${fmt(current!)}, expected ${fmt(expected.map(Number))}`);
  }

  /** A group's `field_names` (or the dimensions' `spatial_dims`): present, a list, of strings. */
  nameList(group: Group, attr: string): string[] | undefined {
    if (!this.need(group.attrs[attr] !== undefined, `${group.path} should contain '${attr}' attribute`)) return undefined;
    if (!this.need(isList(meta(group, attr)), `attribute '${attr}' in ${group.path} should be a list`)) return undefined;
    return listValue(group, attr).map(String);
  }

  rootGroup(name: string): Group | undefined {
    const g = this.file.get(name);
    return this.need(isGroup(g), `'${name}' should be a root group`) ? (g as Group) : undefined;
  }

  /** `check_dimensions`. */
  dimensions(): void {
    const group = this.rootGroup('dimensions');
    if (!group) return;
    this.dataset(group, 'time');
    const names = this.nameList(group, 'spatial_dims');
    if (!names) return;
    if (!this.need(names.length === this.nSpatialDims, `attribute 'spatial_dims' in ${group.path} should be of length 'n_spatial_dims'`)) return;
    for (const key of names) {
      if (!this.need(elementsAreStr(meta(group, 'spatial_dims')), `${key} in 'spatial_dims' in ${group.path} should be a string`)) return;
      this.dataset(group, key, 'spatial');
    }
  }

  /** `check_fields(f, i)` and `check_scalars(f)`: a named list of datasets. */
  fields(name: string, kind: 'field' | 'plain', order = 0): void {
    const group = this.rootGroup(name);
    if (!group) return;
    const names = this.nameList(group, 'field_names');
    if (!names) return;
    for (const key of names) {
      if (!this.need(elementsAreStr(meta(group, 'field_names')), `${key} in 'field_names' in ${group.path} should be a string`)) return;
      this.dataset(group, key, kind, order);
    }
  }

  /** `check_boundary_conditions`. */
  boundaryConditions(): void {
    const group = this.rootGroup('boundary_conditions');
    if (!group) return;
    for (const key of group.keys()) this.dataset(group, key, 'bc');
  }

  /** `check_hdf5_format`: the root attributes, then every group. */
  root(): void {
    const f = this.file;
    if (this.need(f.attrs.dataset_name !== undefined, `'dataset_name' should be a root attribute`)) this.need(isStr(meta(f, 'dataset_name')), `attribute 'dataset_name' should be a string`);
    if (this.need(f.attrs.n_spatial_dims !== undefined, `'n_spatial_dims' should be a root attribute`)) this.need(isInt(meta(f, 'n_spatial_dims')), `attribute 'n_spatial_dims' should be an integer`);
    if (this.need(f.attrs.n_trajectories !== undefined, `'n_trajectories' should be a root attribute`)) this.need(isInt(meta(f, 'n_trajectories')), `attribute 'n_trajectories' should be an integer`);
    if (this.need(f.attrs.grid_type !== undefined, `'grid_type' should be a root attribute`)) this.need(isStr(meta(f, 'grid_type')), `attribute 'grid_type' should be a string`);
    if (this.need(f.attrs.simulation_parameters !== undefined, `'simulation_parameters' should be a root attribute`)) {
      const m = meta(f, 'simulation_parameters');
      // Python iterates whatever the attribute is: a list's entries (str only if variable-length), or
      // the characters of a single string.
      const keys = isList(m) ? listValue(f, 'simulation_parameters') : isStr(m) ? [...String(value(f, 'simulation_parameters'))] : [];
      const scalars = f.get('scalars');
      for (const key of keys) {
        if (!this.need(isStr(m) || elementsAreStr(m), `'${key}' in 'simulation_parameters' should be a string`)) break;
        if (!this.need(f.attrs[String(key)] !== undefined, `'${key}' listed in 'simulation_parameters' should be a root attribute`)) break;
        if (!this.need(isGroup(scalars) && scalars.get(String(key)) !== null, `'${key}' listed in 'simulation_parameters' should be a dataset in /scalars`)) break;
      }
    }
    this.dimensions();
    for (let i = 0; i < 3; i++) this.fields(`t${i}_fields`, 'field', i);
    this.fields('scalars', 'plain');
    this.boundaryConditions();
  }
}

/** Runs every check of The Well's format checker on `path`: its problems and its warnings. */
export async function checkWellFormatReport(path: string): Promise<WellFormatReport> {
  const file = await openH5(path, 'r');
  try {
    const checker = new Checker(file);
    checker.root();
    return { problems: checker.problems, warnings: checker.warnings };
  } finally {
    file.close();
  }
}

/** The problems The Well's format checker finds in `path`; empty means the file is valid. */
export async function checkWellFormat(path: string): Promise<string[]> {
  return (await checkWellFormatReport(path)).problems;
}
