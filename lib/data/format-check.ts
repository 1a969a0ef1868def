// The checks of The Well's `scripts/check_thewell_formatting.py`, in TypeScript, so that written files
// can be verified without Python: the same groups and attributes, and booleans that h5py reads as
// bool (enum FALSE/TRUE), integers that it reads as integers. Returns the problems; empty means valid.
import { openH5, isDataset, isGroup, type Dataset, type Group } from './h5.js';

type HasAttrs = Group | Dataset;
const ENUM = 8;
const INTEGER = 0;
const STRING = 3;

function meta(obj: HasAttrs, name: string): { type: number; enum_type?: { members: Record<string, number> }; shape: number[] | null } | undefined {
  const a = obj.attrs[name];
  return a ? (a.metadata as never) : undefined;
}

function isBoolAttr(obj: HasAttrs, name: string, list = false): boolean {
  const m = meta(obj, name);
  if (!m || m.type !== ENUM) return false;
  const members = m.enum_type?.members ?? {};
  if (Object.keys(members).length !== 2 || members.FALSE !== 0 || members.TRUE !== 1) return false;
  return list ? (m.shape?.length ?? 0) === 1 : (m.shape?.length ?? 0) === 0;
}

function isStringList(obj: HasAttrs, name: string): boolean {
  const m = meta(obj, name);
  return !!m && m.type === STRING && (m.shape?.length ?? 0) === 1;
}

function flag(obj: HasAttrs, name: string): boolean {
  return Boolean(obj.attrs[name]!.json_value);
}

export async function checkWellFormat(path: string): Promise<string[]> {
  const file = await openH5(path, 'r');
  const problems: string[] = [];
  const need = (ok: boolean, msg: string) => {
    if (!ok) problems.push(msg);
    return ok;
  };
  try {
    for (const a of ['n_spatial_dims', 'n_trajectories']) need(meta(file, a)?.type === INTEGER, `root attribute '${a}' must be an integer`);
    for (const a of ['dataset_name', 'grid_type']) need(meta(file, a)?.type === STRING && (meta(file, a)?.shape?.length ?? 0) === 0, `root attribute '${a}' must be a string`);
    if (need(file.attrs.simulation_parameters !== undefined, `root attribute 'simulation_parameters' is required`)) {
      const params = file.attrs.simulation_parameters!.json_value;
      for (const p of Array.isArray(params) ? params : [params]) need(file.attrs[String(p)] !== undefined, `simulation parameter '${p}' has no root attribute`);
    }
    const nDims = Number(file.attrs.n_spatial_dims?.json_value);
    const nTraj = Number(file.attrs.n_trajectories?.json_value);
    const dims = file.get('dimensions');
    if (!need(isGroup(dims), `no 'dimensions' group`)) return problems;
    const d = dims as Group;
    const time = d.get('time');
    if (need(isDataset(time), `'dimensions' must contain a 'time' dataset`)) need(isBoolAttr(time as Dataset, 'sample_varying'), `dimensions/time needs a bool 'sample_varying'`);
    need(isStringList(d, 'spatial_dims'), `'spatial_dims' must be a list of strings`);
    const spatial = (d.attrs.spatial_dims?.json_value as string[] | undefined) ?? [];
    need(spatial.length === nDims && nDims > 0, `n_spatial_dims and spatial_dims disagree`);
    for (const s of spatial) {
      const ds = d.get(s);
      if (!need(isDataset(ds), `dimension '${s}' not found`)) continue;
      for (const f of ['sample_varying', 'time_varying']) need(isBoolAttr(ds as Dataset, f), `dimensions/${s} needs a bool '${f}'`);
    }
    const nSteps = (time as Dataset | null)?.shape?.at(-1);
    for (let order = 0; order < 3; order++) {
      const g = file.get(`t${order}_fields`);
      if (!need(isGroup(g), `no t${order}_fields group`)) continue;
      need(isStringList(g as Group, 'field_names') || (meta(g as Group, 'field_names')?.shape?.[0] ?? 1) === 0, `t${order}_fields needs a 'field_names' list`);
      for (const name of ((g as Group).attrs.field_names?.json_value as string[]) ?? []) {
        const ds = (g as Group).get(name);
        const where = `t${order}_fields/${name}`;
        if (!need(isDataset(ds), `field ${name} named, but not found in t${order}_fields`)) continue;
        const f = ds as Dataset;
        const shape = f.shape ?? [];
        let k = 0;
        if (need(isBoolAttr(f, 'sample_varying'), `${where} needs a bool 'sample_varying'`) && flag(f, 'sample_varying')) need(shape[k++] === nTraj, `${where}: sample axis does not match n_trajectories`);
        if (need(isBoolAttr(f, 'time_varying'), `${where} needs a bool 'time_varying'`) && flag(f, 'time_varying')) need(shape[k++] === nSteps, `${where}: time axis does not match dimensions/time`);
        if (!need(isBoolAttr(f, 'dim_varying', true), `${where} needs a bool list 'dim_varying'`)) continue;
        const dv = f.attrs.dim_varying!.json_value as boolean[];
        need(dv.length === spatial.length, `${where}: dim_varying must have n_spatial_dims entries`);
        spatial.forEach((s, i) => {
          if (dv[i]) need(shape[k++] === (d.get(s) as Dataset).shape?.at(-1), `${where}: dimension ${s} size does not match`);
        });
      }
    }
    const sc = file.get('scalars');
    if (need(isGroup(sc), `no 'scalars' group`)) {
      for (const name of ((sc as Group).attrs.field_names?.json_value as string[]) ?? []) {
        const ds = (sc as Group).get(name);
        if (!need(isDataset(ds), `scalar ${name} named, but not found`)) continue;
        const ok = need(isBoolAttr(ds as Dataset, 'sample_varying'), `scalars/${name} needs a bool 'sample_varying'`) && need(isBoolAttr(ds as Dataset, 'time_varying'), `scalars/${name} needs a bool 'time_varying'`);
        if (ok) need(((ds as Dataset).shape ?? []).length === Number(flag(ds as Dataset, 'sample_varying')) + Number(flag(ds as Dataset, 'time_varying')), `scalars/${name} has the wrong number of axes`);
      }
    }
    const bcs = file.get('boundary_conditions');
    if (need(isGroup(bcs), `no 'boundary_conditions' group`)) {
      for (const key of (bcs as Group).keys()) {
        const bc = (bcs as Group).get(key) as Group;
        const where = `boundary_conditions/${key}`;
        need(bc.attrs.bc_type !== undefined, `${where} needs 'bc_type'`);
        need(bc.attrs.associated_fields !== undefined, `${where} needs 'associated_fields'`);
        const ok = need(isBoolAttr(bc, 'sample_varying'), `${where} needs a bool 'sample_varying'`) && need(isBoolAttr(bc, 'time_varying'), `${where} needs a bool 'time_varying'`);
        const lead = ok ? Number(flag(bc, 'sample_varying')) + Number(flag(bc, 'time_varying')) : 0;
        need(isStringList(bc, 'associated_dims'), `${where} needs an 'associated_dims' list`);
        const mask = bc.get('mask');
        if (!need(isDataset(mask), `${where} needs a 'mask' dataset`)) continue;
        (((bc.attrs.associated_dims?.json_value as string[]) ?? [])).forEach((s, i) => {
          if (need(spatial.includes(s), `${where}: dimension ${s} not in spatial_dims`)) need((mask as Dataset).shape?.[lead + i] === (d.get(s) as Dataset).shape?.at(-1), `${where}: mask size does not match ${s}`);
        });
      }
    }
    return problems;
  } finally {
    file.close();
  }
}
