// The port of The Well's format checker, clause by clause: a valid hand-built file passes, and for every
// assertion of `check_thewell_formatting.py` a copy that breaks that one thing fails with the checker's
// message. Set WELL_FORMAT_CASES=dir to keep the broken files (to run the official checker on them).
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkWellFormat, checkWellFormatReport } from '../../lib/data/format-check.js';
import { createBoolAttribute, patchBoolAttributes } from '../../lib/data/bool-attrs.js';
import { createStringList, h5Ready, h5wasm, type Dataset, type Group, type H5File } from '../../lib/data/h5.js';
import { WellWriter } from '../../lib/data/well-writer.js';
import { tempDir } from './fixtures.js';

const { dir, cleanup } = tempDir('le-format-');
afterAll(cleanup);
const keep = process.env.WELL_FORMAT_CASES;

const B = 2, T = 5, X = 4, Y = 3;

interface Build {
  /** Paths of objects not to create (e.g. 'dimensions/time'). */
  skip?: string[];
  /** Runs on the open file after everything is created, before the boolean flags are patched. */
  edit?: (f: H5File) => void;
}

type AttrTarget = Pick<Group, 'create_attribute'>;
function flags(obj: AttrTarget, sv: boolean, tv: boolean, dv?: boolean[]): void {
  createBoolAttribute(obj, 'sample_varying', sv);
  createBoolAttribute(obj, 'time_varying', tv);
  if (dv) createBoolAttribute(obj, 'dim_varying', dv);
}

/**
 * A valid 2-D Well file built directly with h5wasm: density (t0), velocity (t1), a constant stress (t2)
 * stored along y only, scalars gamma (constant) and mass (time-varying), x periodic, y wall.
 */
async function build(path: string, o: Build = {}): Promise<string> {
  await h5Ready();
  const skip = new Set(o.skip ?? []);
  const f = new h5wasm.File(path, 'w');
  f.create_attribute('dataset_name', 'toy');
  f.create_attribute('grid_type', 'cartesian');
  f.create_attribute('n_spatial_dims', BigInt64Array.of(2n), []);
  f.create_attribute('n_trajectories', BigInt64Array.of(BigInt(B)), []);
  createStringList(f, 'simulation_parameters', ['gamma']);
  f.create_attribute('gamma', Float64Array.of(1.4), []);
  const group = (name: string) => (skip.has(name) ? null : f.create_group(name));
  const dataset = (g: Group | null, name: string, shape: number[], data?: ArrayLike<number>): Dataset | null => {
    if (!g || skip.has(`${g.path.slice(1)}/${name}`)) return null;
    const n = shape.reduce((a, b) => a * b, 1);
    return g.create_dataset({ name, data: Float32Array.from(data ?? new Float32Array(n)), shape, dtype: '<f4' });
  };
  const withFlags = (ds: Dataset | null, sv: boolean, tv: boolean, dv?: boolean[]) => ds && flags(ds, sv, tv, dv);

  const dims = group('dimensions');
  if (dims) {
    createStringList(dims, 'spatial_dims', ['x', 'y']);
    withFlags(dataset(dims, 'time', [T], [0, 0.1, 0.2, 0.3, 0.4]), false, true);
    withFlags(dataset(dims, 'x', [X]), false, false);
    withFlags(dataset(dims, 'y', [Y]), false, false);
  }
  const fields: [string, string, number[], boolean, boolean, boolean[]][] = [
    ['t0_fields', 'density', [B, T, X, Y], true, true, [true, true]],
    ['t1_fields', 'velocity', [B, T, X, Y, 2], true, true, [true, true]],
    ['t2_fields', 'stress', [Y, 2, 2], false, false, [false, true]],
  ];
  for (const [gname, name, shape, sv, tv, dv] of fields) {
    const g = group(gname);
    if (!g) continue;
    createStringList(g, 'field_names', [name]);
    withFlags(dataset(g, name, shape), sv, tv, dv);
  }
  const scalars = group('scalars');
  if (scalars) {
    createStringList(scalars, 'field_names', ['gamma', 'mass']);
    withFlags(dataset(scalars, 'gamma', [], [1.4]), false, false);
    withFlags(dataset(scalars, 'mass', [T], [1, 2, 3, 4, 5]), false, true);
  }
  const bcs = group('boundary_conditions');
  if (bcs) {
    for (const [name, type, axis, n] of [['x_periodic', 'PERIODIC', 'x', X], ['y_wall', 'WALL', 'y', Y]] as const) {
      if (skip.has(`boundary_conditions/${name}`)) continue;
      const g = bcs.create_group(name);
      g.create_attribute('bc_type', type);
      createStringList(g, 'associated_dims', [axis]);
      createStringList(g, 'associated_fields', ['density', 'velocity']);
      flags(g, false, false);
      if (!skip.has(`boundary_conditions/${name}/mask`)) {
        const mask = new Int8Array(n);
        mask[0] = mask[n - 1] = 1;
        g.create_dataset({ name: 'mask', data: mask, dtype: '<b' });
      }
    }
  }
  o.edit?.(f);
  f.close();
  patchBoolAttributes(path);
  return path;
}

/** Replaces attribute `name` of the object at `at` ('' for the root) with `data` (shape, dtype as h5wasm takes them). */
function replace(f: H5File, at: string, name: string, data: unknown, shape?: number[] | null, dtype?: string): void {
  const obj = (at ? f.get(at) : f) as Group;
  if (obj.attrs[name]) obj.delete_attribute(name);
  obj.create_attribute(name, data as never, shape ?? null, dtype ?? null);
}
function drop(f: H5File, at: string, name: string): void {
  ((at ? f.get(at) : f) as Group).delete_attribute(name);
}

test('the hand-built file passes with no warnings', async () => {
  const path = await build(join(dir, 'valid.hdf5'));
  expect(await checkWellFormatReport(path)).toEqual({ problems: [], warnings: [] });
});

test('the writer makes /dimensions/time time-varying (the flag the official checker asserts)', async () => {
  const path = join(dir, 'writer.hdf5');
  const w = await WellWriter.create(path, {
    datasetName: 'w', nTrajectories: 1, spatialDims: ['x'], coordinates: { x: [0, 1, 2] }, time: [0, 1],
    parameters: { gamma: 1.4 }, fields: [{ name: 'u' }], boundaryConditions: { x: 'PERIODIC' },
  });
  w.close();
  const f = new h5wasm.File(path, 'r');
  expect((f.get('dimensions/time') as Dataset).attrs.time_varying!.json_value).toBe(true);
  f.close();
  expect(await checkWellFormatReport(path)).toEqual({ problems: [], warnings: [] });
});

interface Case extends Build {
  clause: string;
  /** The one problem expected (exactly), or a message the problems must contain when the break cascades. */
  problem: string;
  cascades?: boolean;
  warning?: string;
}

// Every flagged object: missing flag, and a flag stored as int8 (h5py reads a number, not a bool).
const flagged: [string, string][] = [
  ['dimensions/time', '/dimensions/time'],
  ['dimensions/x', '/dimensions/x'],
  ['t0_fields/density', '/t0_fields/density'],
  ['t2_fields/stress', '/t2_fields/stress'],
  ['scalars/mass', '/scalars/mass'],
  ['boundary_conditions/x_periodic', '/boundary_conditions/x_periodic'],
];
const flagCases: Case[] = flagged.flatMap(([at, name]) =>
  ['sample_varying', 'time_varying'].flatMap((flag): Case[] => [
    { clause: `${name}: '${flag}' present`, edit: (f) => drop(f, at, flag), problem: `${name} should contain '${flag}' attribute` },
    { clause: `${name}: '${flag}' a bool`, edit: (f) => replace(f, at, flag, Int8Array.of(1), [], '<b'), problem: `attribute '${flag}' in ${name} should be a boolean` },
  ]),
);

const cases: Case[] = [
  // check_hdf5_format: root attributes
  { clause: 'dataset_name present', edit: (f) => drop(f, '', 'dataset_name'), problem: `'dataset_name' should be a root attribute` },
  { clause: 'dataset_name a str (fixed-length strings read as bytes)', edit: (f) => replace(f, '', 'dataset_name', 'toy', null, 'S3'), problem: `attribute 'dataset_name' should be a string` },
  { clause: 'n_spatial_dims present', edit: (f) => drop(f, '', 'n_spatial_dims'), problem: `'n_spatial_dims' should be a root attribute`, cascades: true },
  { clause: 'n_spatial_dims an integer', edit: (f) => replace(f, '', 'n_spatial_dims', Float64Array.of(2), []), problem: `attribute 'n_spatial_dims' should be an integer` },
  { clause: 'n_trajectories present', edit: (f) => drop(f, '', 'n_trajectories'), problem: `'n_trajectories' should be a root attribute`, cascades: true },
  { clause: 'n_trajectories an integer (not a 1-element array)', edit: (f) => replace(f, '', 'n_trajectories', BigInt64Array.of(2n), [1]), problem: `attribute 'n_trajectories' should be an integer` },
  { clause: 'grid_type present', edit: (f) => drop(f, '', 'grid_type'), problem: `'grid_type' should be a root attribute` },
  { clause: 'grid_type a str', edit: (f) => replace(f, '', 'grid_type', Int32Array.of(1), [], '<i4'), problem: `attribute 'grid_type' should be a string` },
  { clause: 'simulation_parameters present', edit: (f) => drop(f, '', 'simulation_parameters'), problem: `'simulation_parameters' should be a root attribute` },
  { clause: 'simulation_parameters entries are str', edit: (f) => replace(f, '', 'simulation_parameters', ['gamma'], [1], 'S5'), problem: `'gamma' in 'simulation_parameters' should be a string` },
  { clause: 'a simulation parameter is a root attribute', edit: (f) => drop(f, '', 'gamma'), problem: `'gamma' listed in 'simulation_parameters' should be a root attribute` },
  {
    clause: 'a simulation parameter is a dataset in /scalars',
    skip: ['scalars/gamma'],
    edit: (f) => { drop(f, 'scalars', 'field_names'); createStringList(f.get('scalars') as Group, 'field_names', ['mass']); },
    problem: `'gamma' listed in 'simulation_parameters' should be a dataset in /scalars`,
  },
  // check_dimensions
  { clause: "'dimensions' a root group", skip: ['dimensions'], problem: `'dimensions' should be a root group`, cascades: true },
  { clause: "'time' present", skip: ['dimensions/time'], problem: `/dimensions should contain 'time' dataset`, cascades: true },
  { clause: "'time' shape: sample-varying adds n_trajectories", edit: (f) => { drop(f, 'dimensions/time', 'sample_varying'); createBoolAttribute(f.get('dimensions/time') as Dataset, 'sample_varying', true); }, problem: `/dimensions/time has shape (5,), expected (2, 5)` },
  { clause: 'spatial_dims present', edit: (f) => drop(f, 'dimensions', 'spatial_dims'), problem: `/dimensions should contain 'spatial_dims' attribute`, cascades: true },
  { clause: 'spatial_dims a list', edit: (f) => replace(f, 'dimensions', 'spatial_dims', 'x'), problem: `attribute 'spatial_dims' in /dimensions should be a list`, cascades: true },
  { clause: 'spatial_dims of length n_spatial_dims', edit: (f) => replace(f, 'dimensions', 'spatial_dims', ['x']), problem: `attribute 'spatial_dims' in /dimensions should be of length 'n_spatial_dims'`, cascades: true },
  { clause: 'spatial_dims entries are str', edit: (f) => replace(f, 'dimensions', 'spatial_dims', ['x', 'y'], [2], 'S1'), problem: `x in 'spatial_dims' in /dimensions should be a string` },
  { clause: 'each spatial dimension present', skip: ['dimensions/y'], problem: `/dimensions should contain 'y' dataset`, cascades: true },
  { clause: 'spatial dimension shape: all but the last axis are sample/time axes', edit: (f) => { drop(f, 'dimensions/x', 'time_varying'); createBoolAttribute(f.get('dimensions/x') as Dataset, 'time_varying', true); }, problem: `/dimensions/x has shape (), expected (5,)` },
  // check_fields
  { clause: "'t2_fields' a root group", skip: ['t2_fields'], problem: `'t2_fields' should be a root group` },
  { clause: 'field_names present', edit: (f) => drop(f, 't1_fields', 'field_names'), problem: `/t1_fields should contain 'field_names' attribute` },
  { clause: 'field_names a list', edit: (f) => replace(f, 't1_fields', 'field_names', 'velocity'), problem: `attribute 'field_names' in /t1_fields should be a list` },
  { clause: 'field_names entries are str', edit: (f) => replace(f, 't1_fields', 'field_names', ['velocity'], [1], 'S8'), problem: `velocity in 'field_names' in /t1_fields should be a string` },
  { clause: 'a named field present', skip: ['t0_fields/density'], problem: `/t0_fields should contain 'density' dataset` },
  { clause: 'dim_varying present', edit: (f) => drop(f, 't1_fields/velocity', 'dim_varying'), problem: `/t1_fields/velocity should contain 'dim_varying' attribute` },
  { clause: 'dim_varying a list', edit: (f) => { drop(f, 't1_fields/velocity', 'dim_varying'); createBoolAttribute(f.get('t1_fields/velocity') as Dataset, 'dim_varying', true); }, problem: `attribute 'dim_varying' in /t1_fields/velocity should be a list of booleans` },
  { clause: 'dim_varying of length n_spatial_dims', edit: (f) => { drop(f, 't1_fields/velocity', 'dim_varying'); createBoolAttribute(f.get('t1_fields/velocity') as Dataset, 'dim_varying', [true, true, true]); }, problem: `attribute 'dim_varying' in /t1_fields/velocity should be of length 'n_spatial_dims'` },
  { clause: 'field shape: sample, time, spatial axes', skip: ['t0_fields/density'], edit: (f) => { (f.get('t0_fields') as Group).create_dataset({ name: 'density', data: new Float32Array(B * T * Y * X), shape: [B, T, Y, X], dtype: '<f4' }); flags(f.get('t0_fields/density') as Dataset, true, true, [true, true]); }, problem: `/t0_fields/density has shape (2, 5, 3, 4), expected (2, 5, 4, 3)` },
  { clause: 'field shape: n_spatial_dims once per tensor order', skip: ['t1_fields/velocity'], edit: (f) => { (f.get('t1_fields') as Group).create_dataset({ name: 'velocity', data: new Float32Array(B * T * X * Y * 3), shape: [B, T, X, Y, 3], dtype: '<f4' }); flags(f.get('t1_fields/velocity') as Dataset, true, true, [true, true]); }, problem: `/t1_fields/velocity has shape (2, 5, 4, 3, 3), expected (2, 5, 4, 3, 2)` },
  { clause: 'field shape: only the axes dim_varying names', edit: (f) => { drop(f, 't2_fields/stress', 'dim_varying'); createBoolAttribute(f.get('t2_fields/stress') as Dataset, 'dim_varying', [true, true]); }, problem: `/t2_fields/stress has shape (3, 2, 2), expected (4, 3, 2, 2)` },
  // check_scalars
  { clause: "'scalars' a root group", skip: ['scalars'], problem: `'scalars' should be a root group`, cascades: true },
  { clause: 'scalars field_names present', edit: (f) => drop(f, 'scalars', 'field_names'), problem: `/scalars should contain 'field_names' attribute` },
  { clause: 'scalars field_names a list', edit: (f) => replace(f, 'scalars', 'field_names', 'mass'), problem: `attribute 'field_names' in /scalars should be a list` },
  { clause: 'scalars field_names entries are str', edit: (f) => replace(f, 'scalars', 'field_names', ['gamma', 'mass'], [2], 'S5'), problem: `gamma in 'field_names' in /scalars should be a string` },
  { clause: 'a named scalar present', edit: (f) => replace(f, 'scalars', 'field_names', ['gamma', 'mass', 'energy']), problem: `/scalars should contain 'energy' dataset` },
  { clause: 'scalar shape', edit: (f) => { drop(f, 'scalars/mass', 'time_varying'); createBoolAttribute(f.get('scalars/mass') as Dataset, 'time_varying', false); }, problem: `/scalars/mass has shape (5,), expected ()` },
  // check_boundary_conditions
  { clause: "'boundary_conditions' a root group", skip: ['boundary_conditions'], problem: `'boundary_conditions' should be a root group` },
  { clause: 'bc_type present', edit: (f) => drop(f, 'boundary_conditions/y_wall', 'bc_type'), problem: `/boundary_conditions/y_wall should contain 'bc_type' attribute` },
  { clause: 'bc_type a str', edit: (f) => replace(f, 'boundary_conditions/y_wall', 'bc_type', 'WALL', null, 'S4'), problem: `attribute 'bc_type' in /boundary_conditions/y_wall should be a string` },
  { clause: 'associated_fields present', edit: (f) => drop(f, 'boundary_conditions/y_wall', 'associated_fields'), problem: `/boundary_conditions/y_wall should contain 'associated_fields' attribute` },
  { clause: 'associated_fields a list', edit: (f) => replace(f, 'boundary_conditions/y_wall', 'associated_fields', 'density'), problem: `attribute 'associated_fields' in /boundary_conditions/y_wall should be a list of strings` },
  { clause: 'associated_dims present', edit: (f) => drop(f, 'boundary_conditions/y_wall', 'associated_dims'), problem: `/boundary_conditions/y_wall should contain 'associated_dims' attribute` },
  { clause: 'associated_dims a list', edit: (f) => replace(f, 'boundary_conditions/y_wall', 'associated_dims', 'y'), problem: `attribute 'associated_dims' in /boundary_conditions/y_wall should be a list of strings` },
  { clause: 'associated_dims entries are str', edit: (f) => replace(f, 'boundary_conditions/y_wall', 'associated_dims', ['y'], [1], 'S1'), problem: `y in 'associated_dims' in /boundary_conditions/y_wall should be a string` },
  { clause: 'associated_dims entries are spatial dims', edit: (f) => replace(f, 'boundary_conditions/y_wall', 'associated_dims', ['z']), problem: `z in 'associated_dims' in /boundary_conditions/y_wall should be in 'spatial_dims'` },
  { clause: 'mask present', skip: ['boundary_conditions/y_wall/mask'], problem: `/boundary_conditions/y_wall should contain 'mask' dataset` },
  { clause: 'mask shape: the associated axes', edit: (f) => replace(f, 'boundary_conditions/y_wall', 'associated_dims', ['x', 'y']), problem: `/boundary_conditions/y_wall has shape (3,), expected (4, 3)`, warning: `/boundary_conditions/y_wall is not named after 'associated_dims' (x, y)` },
  ...flagCases,
];

describe.each(cases)('breaking one clause: $clause', (c) => {
  test('fails with the checker message', async () => {
    const name = `${cases.indexOf(c)}.hdf5`;
    const path = await build(join(dir, name), c);
    if (keep) {
      mkdirSync(keep, { recursive: true });
      copyFileSync(path, join(keep, name));
    }
    const { problems, warnings } = await checkWellFormatReport(path);
    if (c.cascades) {
      expect(problems).toContain(c.problem);
    } else {
      expect(problems).toEqual([c.problem]);
    }
    expect(warnings).toEqual(c.warning ? [c.warning] : []);
  });
});

test('a boundary group not named after its type or axis passes with the two warnings', async () => {
  const path = await build(join(dir, 'warn.hdf5'), { edit: (f) => replace(f, 'boundary_conditions/y_wall', 'bc_type', 'OPEN') });
  expect(await checkWellFormat(path)).toEqual([]);
  expect((await checkWellFormatReport(path)).warnings).toEqual([`/boundary_conditions/y_wall is not named after 'bc_type' (OPEN)`]);
});

test('a field stored as a group, not a dataset, is a problem, not a crash', async () => {
  const path = await build(join(dir, 'group-field.hdf5'), {
    skip: ['t0_fields/density'],
    edit: (f) => flags((f.get('t0_fields') as Group).create_group('density'), true, true, [true, true]),
  });
  expect(await checkWellFormat(path)).toEqual(['/t0_fields/density should be a dataset']);
});
