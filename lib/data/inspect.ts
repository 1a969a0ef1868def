// The structure of a Well HDF5 file (or a latent cache): fields, shapes, parameters, boundary conditions, as an
// object and as the text summary `latent-emulator inspect` prints.
import { attr, openH5 } from './h5.js';
import { LATENT_CACHE_FORMAT, LatentCacheFile } from './latent-cache.js';
import { WellFile } from './well-file.js';

const CODES = ['WALL', 'OPEN', 'PERIODIC'];

/** The structure of a Well file (or a latent cache) as a plain object: what `inspect --json` prints. */
export async function inspectFile(path: string): Promise<Record<string, unknown>> {
  const probe = await openH5(path, 'r');
  const isCache = attr(probe, 'format') === LATENT_CACHE_FORMAT;
  probe.close();
  if (isCache) {
    const c = await LatentCacheFile.open(path);
    const out = { kind: 'latent-cache', path, state: c.stateShape, label: [c.n, c.labelDim], ...c.meta };
    c.close();
    return out;
  }
  const f = await WellFile.open(path);
  const i = f.info;
  const out = {
    kind: 'well',
    path,
    dataset_name: i.datasetName,
    grid_type: i.gridType,
    n_trajectories: i.nTrajectories,
    n_steps: i.nSteps,
    spatial_dims: Object.fromEntries(i.spatialDims.map((d, k) => [d, i.spatialShape[k]])),
    parameters: Object.fromEntries(i.simulationParameters.map((p) => [p, i.attributes[p]])),
    scalars: i.scalars.map((s) => ({ name: s.name, shape: s.shape, sample_varying: s.sampleVarying, time_varying: s.timeVarying })),
    constant_scalars: f.constantScalars(0),
    fields: i.fields.map((x) => ({ name: x.name, group: `t${x.order}_fields`, shape: x.shape, sample_varying: x.sampleVarying, time_varying: x.timeVarying, dim_varying: x.dimVarying, channels: x.channels })),
    channels: i.channels,
    boundary_conditions: Object.fromEntries(i.spatialDims.map((d, k) => [d, i.boundaryConditions[k]!.map((c) => CODES[c])])),
    boundary_groups: i.boundaries.map((b) => ({ name: b.name, bc_type: b.bcType, associated_dims: b.associatedDims })),
  };
  f.close();
  return out;
}

/** The summary `latent-emulator inspect` prints: one line per part of the file. */
export function formatInspection(info: Record<string, unknown>): string {
  const lines: string[] = [];
  if (info.kind === 'latent-cache') {
    for (const [k, v] of Object.entries(info)) if (k !== 'datasetConfig') lines.push(`${k}: ${JSON.stringify(v)}`);
    return lines.join('\n');
  }
  const i = info as Record<string, never>;
  lines.push(`${i.path}`);
  lines.push(`  dataset ${i.dataset_name} (${i.grid_type}), ${i.n_trajectories} trajectories × ${i.n_steps} steps`);
  lines.push(`  grid ${Object.entries(i.spatial_dims).map(([d, n]) => `${d}=${n}`).join(', ')}`);
  lines.push(`  parameters ${Object.entries(i.parameters).map(([k, v]) => `${k}=${v}`).join(', ') || '(none)'}`);
  lines.push(`  scalars`);
  for (const s of i.scalars as { name: string; shape: number[]; time_varying: boolean }[]) lines.push(`    ${s.name} [${s.shape}]${s.time_varying ? ' time-varying' : ''}`);
  lines.push(`  fields`);
  for (const f of i.fields as { name: string; group: string; shape: number[]; time_varying: boolean; sample_varying: boolean; dim_varying: boolean[]; channels: string[] }[]) {
    const flags = [!f.sample_varying && 'constant over samples', !f.time_varying && 'constant in time', f.dim_varying.some((v) => !v) && `dim_varying ${JSON.stringify(f.dim_varying)}`].filter(Boolean);
    lines.push(`    ${f.group}/${f.name} [${f.shape}] → ${f.channels.join(', ')}${flags.length ? ` (${flags.join(', ')})` : ''}`);
  }
  lines.push(`  channels (${(i.channels as string[]).length}) ${(i.channels as string[]).join(', ')}`);
  lines.push(`  boundary conditions ${Object.entries(i.boundary_conditions).map(([d, c]) => `${d}: ${(c as string[]).join('/')}`).join(', ')}`);
  return lines.join('\n');
}
