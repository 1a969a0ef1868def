// Writing solver output as Well datasets: `<root>/datasets/<name>/data/<split>/<Well file name>`, one
// file per parameter set, its trajectories split 0.8/0.1/0.1. Each file is written to a temporary
// name, checked with The Well's format checker, then renamed, so a file under its final name is
// always complete. Resuming keeps such files after checking them (format, and the generator settings
// recorded in their attributes), and redoes only the missing ones. Trajectory i of a parameter set
// always comes from the same seeded draw, so output is deterministic for a seed.
import { existsSync, rmSync } from 'node:fs';
import { makeDirectory } from '../util/fs-errors.js';
import { dirname, join } from 'node:path';
import { WellWriter, verifyWellOutput, type WellWriterSpec } from '../data/well-writer.js';
import { commitHdf5, writeFailure } from '../util/atomic-output.js';
import { formatBytes, guardDisk, guardMemory, type SizeLimitOptions } from '../util/size-guard.js';
import { checkWellFormat } from '../data/format-check.js';
import { SPLITS } from '../data/download.js';
import { attr, openH5 } from '../data/h5.js';
import { Rng } from '../data/rng.js';
import { VERSION } from '../version.js';
import { EULER_GAMMAS, eulerDatasetName, eulerFileName, rayleighBenardFileName, RAYLEIGH_BENARD_DATASET, splitCounts, type EulerBoundary, type SplitName } from './catalog.js';
import { cellCenters, drawQuadrantProblem, quadrantInitialState, simulateEuler, validateCfl, validateGamma, type SlopeLimiter } from './euler.js';
import { chebyshevNodes, rayleighBenardInitialBuoyancy, simulateRayleighBenard, validateRayleighBenard } from './rayleigh-benard.js';


export interface GenerateProgress {
  file: string;
  split: SplitName;
  /** Stored states finished so far, over the whole job (skipped files count as done). */
  done: number;
  total: number;
  status: 'running' | 'written' | 'kept';
}

export interface GenerateResult {
  dataset: string;
  directory: string;
  written: string[];
  kept: string[];
}

interface CommonOptions extends SizeLimitOptions {
  /** Where `datasets/` goes. */
  root: string;
  /** Trajectories per parameter set (per file over the three splits); default 10. */
  trajectories?: number;
  seed?: number;
  /** Trajectories advanced together (one batch tensor); default 8. */
  batch?: number;
  device?: string;
  onProgress?: (p: GenerateProgress) => void;
}

export interface GenerateEulerOptions extends CommonOptions {
  boundary: EulerBoundary;
  /** Cells per side of the unit square; default 128 (The Well: 512). */
  resolution?: number;
  /** Stored states per trajectory, every 0.015 from t = 0; default 101 (to t = 1.5). */
  steps?: number;
  /** Heat-capacity ratios, one file each; default The Well's ten. */
  gamma?: number[];
  cfl?: number;
  limiter?: SlopeLimiter;
}

export interface GenerateRayleighBenardOptions extends CommonOptions {
  rayleigh?: number[];
  prandtl?: number[];
  /** [Nx, Ny]; default [128, 32] (The Well: 512 × 128). */
  resolution?: [number, number];
  /** Stored states per trajectory, every 0.25 from t = 0; default 200 (to t = 49.75). */
  steps?: number;
  /** Amplitude of the initial noise; default 1e-3. */
  noise?: number;
  dtMax?: number;
  cfl?: number;
}

interface FileJob {
  path: string;
  split: SplitName;
  /** Index of the file's first trajectory within its parameter set. */
  first: number;
  count: number;
  /** Settings recorded in the file; a kept file must carry the same. */
  attributes: Record<string, string | number>;
}

function positiveInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

function splitJobs(directory: string, fileName: string, n: number, attributes: Record<string, string | number>): FileJob[] {
  const counts = splitCounts(n);
  let first = 0;
  return SPLITS.map((split) => {
    const job = { path: join(directory, split, fileName), split, first, count: counts[split], attributes: { ...attributes, first_trajectory: first } };
    first += counts[split];
    return job;
  });
}

/** Why an existing file cannot be kept, or undefined if it can. */
async function reasonToRedo(job: FileJob, n: number): Promise<string | undefined> {
  const problems = await checkWellFormat(job.path);
  if (problems.length) return `not a valid Well file (${problems[0]})`;
  try {
    await verifyWellOutput(job.path, { nTrajectories: n });
  } catch (err) {
    return `cannot be verified (${(err as Error).message})`;
  }
  const file = await openH5(job.path, 'r');
  try {
    if (Number(attr(file, 'n_trajectories')) !== n) return `holds ${attr(file, 'n_trajectories')} trajectories, expected ${n}`;
    for (const [key, value] of Object.entries(job.attributes)) {
      if (key === 'generator') continue; // a newer package version may keep older files
      const found = attr(file, key);
      if (String(found) !== String(value)) return `was generated with ${key}=${found}, this run asks for ${value}`;
    }
  } finally {
    file.close();
  }
  return undefined;
}

async function runJobs(
  jobs: FileJob[],
  statesPerTrajectory: number,
  spec: (job: FileJob) => WellWriterSpec,
  simulate: (job: FileJob, first: number, count: number, onState: () => void) => Promise<Float32Array[]>,
  batch: number,
  onProgress: CommonOptions['onProgress'],
  limits: SizeLimitOptions & { root: string; stateBytes: number },
): Promise<{ written: string[]; kept: string[] }> {
  const total = jobs.reduce((s, j) => s + j.count * statesPerTrajectory, 0);
  // Before any work: the files still to write must fit on the disk, one batch (float32 output plus the
  // solver's float64 state and work arrays, ~3× the output) in memory.
  const missing = jobs.filter((j) => !existsSync(j.path)).reduce((s, j) => s + j.count, 0);
  const shape = `× ${statesPerTrajectory} states × ${formatBytes(limits.stateBytes)} per state`;
  guardDisk(`generate: ${missing} trajectories ${shape}`, limits.root, missing * statesPerTrajectory * limits.stateBytes, limits);
  guardMemory(`generate: a batch of ${Math.min(batch, Math.max(...jobs.map((j) => j.count)))} trajectories ${shape}`, 3 * Math.min(batch, Math.max(...jobs.map((j) => j.count))) * statesPerTrajectory * limits.stateBytes, limits);
  let done = 0;
  const written: string[] = [];
  const kept: string[] = [];
  for (const job of jobs) {
    if (existsSync(job.path)) {
      const reason = await reasonToRedo(job, job.count);
      if (reason === undefined) {
        kept.push(job.path);
        done += job.count * statesPerTrajectory;
        onProgress?.({ file: job.path, split: job.split, done, total, status: 'kept' });
        continue;
      }
      // A complete file made with other settings is the user's data: refuse rather than overwrite it.
      throw new Error(`${job.path} already exists and ${reason}; remove it or choose another --root`);
    }
    makeDirectory(dirname(job.path));
    const partial = `${job.path}.partial`;
    rmSync(partial, { force: true });
    const writer = await WellWriter.create(partial, spec(job));
    try {
      for (let start = 0; start < job.count; start += batch) {
        const count = Math.min(batch, job.count - start);
        const trajectories = await simulate(job, job.first + start, count, () => {
          done += count;
          onProgress?.({ file: job.path, split: job.split, done, total, status: 'running' });
        });
        trajectories.forEach((data, b) => {
          const shape = [statesPerTrajectory, writer.channels.length, ...writer.spec.spatialDims.map((d) => writer.spec.coordinates[d]!.length)];
          writer.writeTrajectory(start + b, { data, shape });
        });
      }
      writer.close();
    } catch (err) {
      try {
        writer.close();
      } catch {
        // already closed
      }
      rmSync(partial, { force: true });
      const failure = writeFailure(err, job.path);
      if ((failure as NodeJS.ErrnoException).code) throw failure; // disk full, read-only: the cause and the path say it all
      throw new Error(`${job.path} (trajectories numbered within its parameter set): ${failure.message}`, { cause: err });
    }
    // Flushed, size-checked and re-read before it gets its final name (a full disk must not leave a "finished" file).
    await commitHdf5(partial, job.path, async (path) => {
      const problems = await checkWellFormat(path);
      if (problems.length) throw new Error(`internal error: ${job.path} fails The Well's format check: ${problems.join('; ')}`);
      await verifyWellOutput(path, spec(job));
    });
    written.push(job.path);
    onProgress?.({ file: job.path, split: job.split, done, total, status: 'written' });
  }
  return { written, kept };
}

/** Euler multi-quadrants datasets in The Well's layout (one file per γ and split). */
export async function generateEuler(o: GenerateEulerOptions): Promise<GenerateResult> {
  if (o.boundary !== 'open' && o.boundary !== 'periodic') throw new RangeError(`boundary must be 'open' or 'periodic', got '${o.boundary}'`);
  const N = positiveInt('resolution', o.resolution ?? 128, 4);
  const n = o.trajectories ?? 10;
  splitCounts(n);
  const T = positiveInt('steps', o.steps ?? 101, 1);
  if (T > 101) throw new RangeError(`steps must be at most 101 (t = 1.5), got ${T}`);
  const gammas = o.gamma ?? EULER_GAMMAS.map((g) => g.gamma);
  gammas.forEach(validateGamma);
  const cfl = o.cfl ?? 0.4;
  validateCfl(cfl);
  const seed = o.seed ?? 0;
  const batch = positiveInt('batch', o.batch ?? 8, 1);
  const limiter = o.limiter ?? 'mc';
  const dataset = eulerDatasetName(o.boundary);
  const directory = join(o.root, 'datasets', dataset, 'data');
  const times = Array.from({ length: T }, (_, k) => Number((0.015 * k).toFixed(6)));
  const coords = Float32Array.from(cellCenters(N));
  const jobs = gammas.flatMap((gamma) =>
    splitJobs(directory, eulerFileName(o.boundary, gamma), n, {
      generator: `latent-emulator ${VERSION}`,
      solver: `MUSCL-Hancock/HLLC, limiter ${limiter}, CFL ${cfl}`,
      seed,
      resolution: N,
      trajectories_per_parameter_set: n,
    }).map((job) => ({ ...job, gamma })),
  );
  const gammaOf = (job: FileJob) => (job as FileJob & { gamma: number }).gamma;
  const r = await runJobs(
    jobs,
    T,
    (job) => ({
      datasetName: dataset,
      nTrajectories: job.count,
      spatialDims: ['x', 'y'],
      coordinates: { x: coords, y: coords },
      time: times,
      parameters: { gamma: gammaOf(job) },
      fields: [{ name: 'energy' }, { name: 'density' }, { name: 'pressure' }, { name: 'momentum', order: 1 }],
      boundaryConditions: { x: o.boundary === 'open' ? 'OPEN' : 'PERIODIC', y: o.boundary === 'open' ? 'OPEN' : 'PERIODIC' },
      attributes: job.attributes,
    }),
    async (job, first, count, onState) => {
      const gamma = gammaOf(job);
      const initial = new Float64Array(count * 4 * N * N);
      for (let b = 0; b < count; b++) {
        const problem = drawQuadrantProblem(new Rng(`euler/${o.boundary}/${gamma}/${seed}/${first + b}`));
        quadrantInitialState(problem, gamma, N, N, initial, b * 4 * N * N);
      }
      const ids = Array.from({ length: count }, (_, b) => first + b);
      const out = await simulateEuler({ initial, resolution: [N, N], gamma: ids.map(() => gamma), boundary: o.boundary, times, cfl, limiter, device: o.device, ids, onState });
      return out.trajectories;
    },
    batch,
    o.onProgress,
    { ...o, stateBytes: 4 * 5 * N * N }, // energy, density, pressure, momentum_x, momentum_y
  );
  return { dataset, directory, ...r };
}

/** Rayleigh–Bénard datasets in The Well's layout (one file per (Ra, Pr) and split). */
export async function generateRayleighBenard(o: GenerateRayleighBenardOptions): Promise<GenerateResult> {
  const [nx, ny] = o.resolution ?? [128, 32];
  const rayleighs = o.rayleigh ?? [1e6];
  const prandtls = o.prandtl ?? [1];
  for (const rayleigh of rayleighs) for (const prandtl of prandtls) validateRayleighBenard({ rayleigh, prandtl, nx: nx!, ny: ny!, cfl: o.cfl });
  const n = o.trajectories ?? 10;
  splitCounts(n);
  const T = positiveInt('steps', o.steps ?? 200, 1);
  const seed = o.seed ?? 0;
  const batch = positiveInt('batch', o.batch ?? 8, 1);
  const noise = o.noise ?? 1e-3;
  const dtMax = o.dtMax ?? 1 / 16;
  if (!(0.25 / dtMax >= 1) || !Number.isInteger(Math.log2(0.25 / dtMax))) throw new RangeError(`dtMax must be 0.25/2^k (it must divide the output interval 0.25), got ${dtMax}`);
  const dataset = RAYLEIGH_BENARD_DATASET;
  const directory = join(o.root, 'datasets', dataset, 'data');
  const times = Array.from({ length: T }, (_, k) => 0.25 * k);
  const x = Float32Array.from({ length: nx! }, (_, i) => (4 * i) / nx!);
  const y = Float32Array.from(chebyshevNodes(ny!));
  const jobs = rayleighs.flatMap((rayleigh) =>
    prandtls.flatMap((prandtl) =>
      splitJobs(directory, rayleighBenardFileName(rayleigh, prandtl), n, {
        generator: `latent-emulator ${VERSION}`,
        solver: `staggered finite differences, Chebyshev-Gauss cells in y, CNAB2 + projection, CFL ${o.cfl ?? 0.5}`,
        seed,
        resolution: `${nx}x${ny}`,
        noise,
        trajectories_per_parameter_set: n,
      }).map((job) => ({ ...job, rayleigh, prandtl })),
    ),
  );
  type RbJob = FileJob & { rayleigh: number; prandtl: number };
  const r = await runJobs(
    jobs,
    T,
    (job) => ({
      datasetName: dataset,
      nTrajectories: job.count,
      spatialDims: ['x', 'y'],
      coordinates: { x, y },
      time: times,
      parameters: { Rayleigh: (job as RbJob).rayleigh, Prandtl: (job as RbJob).prandtl },
      fields: [{ name: 'buoyancy' }, { name: 'pressure' }, { name: 'velocity', order: 1 }],
      boundaryConditions: { x: 'PERIODIC', y: 'WALL' },
      attributes: job.attributes,
    }),
    async (job, first, count, onState) => {
      const { rayleigh, prandtl } = job as RbJob;
      const initial = new Float64Array(count * nx! * ny!);
      for (let b = 0; b < count; b++) {
        rayleighBenardInitialBuoyancy(new Rng(`rayleigh_benard/${rayleigh}/${prandtl}/${seed}/${first + b}`), { nx: nx!, ny: ny! }, noise, initial, b * nx! * ny!);
      }
      const ids = Array.from({ length: count }, (_, b) => first + b);
      const out = await simulateRayleighBenard({ nx: nx!, ny: ny!, rayleigh, prandtl, dtMax, cfl: o.cfl, device: o.device, ids, initial, batch: count, times, onState: () => onState() });
      return out.trajectories;
    },
    batch,
    o.onProgress,
    { ...o, stateBytes: 4 * 4 * nx! * ny! }, // buoyancy, pressure, velocity_x, velocity_y
  );
  return { dataset, directory, ...r };
}
