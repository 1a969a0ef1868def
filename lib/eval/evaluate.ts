// `latent-emulator eval RUN`: the reference's evaluation protocol (spec §6). Test trajectories are chosen as the
// reference does (int(u · n), u from Python's random.Random(seed)); each is encoded, rolled out in latent space
// from its first `context` states (K members, per-item seed), decoded one lead time at a time (memory bounded),
// post-processed to physical units, and scored per field and lead time against the truth, against the
// autoencoder's reconstruction D(E(x)) ("rel_"), and the reconstruction against the truth ("ae_"). The
// persistence and climatology baselines (baselines.ts) are scored the same way ("persistence_", "climatology_").
//
// Output directory (default <run>/eval/<split>_<sampler><steps>_c<context>):
//   protocol.json       what was asked (a rerun with another protocol is refused)
//   items/<index>.json  one finished trajectory each, written atomically: an interrupted eval resumes there
//   metrics.csv         one row per (trajectory, field, lead time)
//   baselines.csv       the same rows for the persistence and climatology baselines, with a `model` column
//   summary.json        per lead time and per horizon means, spectra, speed (the report reads it)
//   animation.json      the first trajectory's truth, members and reconstruction, quantised to 8 bits
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

import { numel, type Tensor } from '../data/types.js';
import { WellFile } from '../data/well-file.js';
import { formatOperator, guidanceOptions, observationsFrom, observedShape, parseObservationOperator, type ObservationOperator } from '../emulate/guidance.js';
import { itemSeed, openEmulationRun, openTrajectories, rolloutLatents, type EmulationRun, type OpenEmulationOptions } from '../emulate/pipeline.js';
import { SAMPLER_DEFAULTS, type SamplerOptions } from '../models/schemas.js';
import { decodeStates, encodeStates } from '../models/chunked-codec.js';
import { getNumThreads } from '../runtime.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import { BASELINES, baselineMetrics, type BaselineRows } from './baselines.js';
import { climatology as loadClimatology, type Climatology } from './climatology.js';
import { EVAL_FORMAT } from './format.js';
import { ENSEMBLE_METRICS, ensembleMetrics, ensembleSpectra, type EnsembleMetrics } from './metrics.js';
import { chooseTrajectories } from './python-random.js';
import { measureSolverSpeed, type SolverSpeed } from './solver-speed.js';
import { joinProcessGroup } from '../launch/process-group.js';
import { ownsItem } from '../launch/run-group.js';

export { EVAL_FORMAT };
/** Metric groups: emulator vs truth, emulator vs the AE reconstruction, AE reconstruction vs truth. */
export const METRIC_PREFIXES = ['', 'rel_', 'ae_'] as const;
export const CSV_COLUMNS = ['trajectory', 'field', 'lead_time', ...METRIC_PREFIXES.flatMap((p) => ENSEMBLE_METRICS.map((m) => `${p}${m}`))];
/** Columns of baselines.csv: one row per (baseline, trajectory, field, lead time). */
export const BASELINE_CSV_COLUMNS = ['model', 'trajectory', 'field', 'lead_time', ...ENSEMBLE_METRICS];

export interface EvaluateOptions extends SamplerOptions, OpenEmulationOptions {
  split?: string;
  /** Test trajectories (default 64, the reference's). */
  trajectories?: number;
  /** Ensemble members K (default 16; a surrogate computes one, its copies being identical). */
  samples?: number;
  /** Known states c; windows overlap by c (default 1). */
  context?: number;
  /** Step the rollout starts from (default 0). */
  start?: number;
  seed?: number;
  out?: string;
  /** States per decoder call (default 16). */
  decodeBatch?: number;
  /** Lead-time ranges, inclusive, in simulation steps (default: the reference's for the physics). */
  horizons?: Array<[number, number]>;
  /** Time the built-in solver for the speed-up (default true). */
  solverSpeed?: boolean;
  /** Score the persistence and climatology baselines (default true). */
  baselines?: boolean;
  /**
   * MMPS guidance (lib/emulate/guidance.ts): observe each test trajectory through `subsample:N` | `downscale:N`
   * with noise σ = obsNoise (default 0.1); the unguided evaluation of the same protocol is run (or resumed) too,
   * and the summary's `guidance` holds its VRMSE by horizon beside the guided one.
   */
  operator?: string;
  obsNoise?: number;
  log?: (line: string) => void;
  onProgress?: (p: { done: number; total: number; index: number; seconds: number }) => void;
  signal?: AbortSignal;
}

export interface EvalProtocol {
  split: string;
  trajectories: number;
  samples: number;
  sampler: string | null;
  steps: number | null;
  context: number;
  overlap: number;
  stride: number;
  start: number;
  seed: number;
  weights: string;
}

type ByField = Record<string, Array<number | null>>;

export interface EvalSummary {
  format: string;
  run: string;
  name: string;
  kind: 'diffusion' | 'surrogate';
  /** null for pixel-space runs (no autoencoder: the rel_ and ae_ metrics are empty). */
  ae_run: string | null;
  compression_rate: number;
  dataset: string;
  split: string;
  fields: string[];
  protocol: EvalProtocol;
  /** The dataset indices of the trajectories evaluated, in order. */
  indices: number[];
  lead_times: number[];
  horizons: Array<[number, number]>;
  metrics: string[];
  per_lead: Record<string, ByField>;
  by_horizon: Record<string, ByField>;
  spectra: Record<string, { k: number[]; lead_times: number[]; truth: number[][]; emulated: number[][]; autoencoder: number[][] | null }>;
  speed: { seconds_per_state: number; encode_seconds: number; rollout_seconds: number; decode_seconds: number; states: number; samples: number; device: string; threads: number };
  solver: SolverSpeed | null;
  /** The baselines scored (their metrics are the per_lead / by_horizon keys `<baseline>_<metric>`). */
  baselines: { models: string[]; climatology: { path: string; split: string; trajectories: number } | null };
  wall_seconds: number;
  /** Guided evaluations: the observations and the unguided evaluation's mean VRMSE by horizon, for comparison. */
  guidance?: { operator: string; obs_noise: number; unguided_dir: string; unguided_vrmse: Array<number | null> };
}

/** One finished trajectory (items/<index>.json). */
interface ItemResult {
  index: number;
  /** rows[f][l] = CSV metric columns for field f at lead l. */
  rows: number[][][];
  /** spectra[f][s] at the spectral lead times: truth, emulated, autoencoder. */
  spectra: Array<Array<{ k: number[]; truth: number[]; emulated: number[]; autoencoder: number[] | null }>>;
  encode_seconds: number;
  rollout_seconds: number;
  decode_seconds: number;
  states: number;
  /** Baseline rows, as `rows` (absent in items written before baselines existed: recomputed on resume). */
  baselines?: BaselineRows;
}

/**
 * An item file read back (a resumed evaluation, or rank 0 reading the other ranks' items). JSON writes a
 * non-finite metric (a mass error of a field whose true mass is 0, a spread/skill of 0/0) as null; inside the
 * number arrays it becomes NaN again, so that the means over trajectories are what they were when computed
 * (null would count as 0).
 */
function readItem(path: string): ItemResult {
  return JSON.parse(readFileSync(path, 'utf8'), (_key, v: unknown) => (Array.isArray(v) ? v.map((x) => (x === null ? Number.NaN : x)) : v)) as ItemResult;
}

/** The reference's horizons per physics, clipped to the lead times there are; thirds otherwise. */
export function defaultHorizons(physics: string, maxLead: number): Array<[number, number]> {
  const known: Array<[RegExp, Array<[number, number]>]> = [
    [/euler/, [[1, 20], [21, 60], [61, 100]]],
    [/rayleigh_benard/, [[1, 20], [21, 60], [61, 180]]],
    [/gravity_cooling/, [[1, 10], [11, 30], [31, 50]]],
  ];
  const match = known.find(([re]) => re.test(physics))?.[1];
  if (match && maxLead >= match[match.length - 1]![0]) return match.map(([a, b]) => [a, Math.min(b, maxLead)]);
  if (maxLead < 3) return [[1, maxLead]];
  const a = Math.round(maxLead / 3);
  const b = Math.round((2 * maxLead) / 3);
  return [[1, a], [a + 1, b], [b + 1, maxLead]];
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

export async function evaluateRun(runDir: string, o: EvaluateOptions = {}): Promise<{ dir: string; summary: EvalSummary }> {
  const log = o.log ?? (() => {});
  const started = performance.now();
  const run = await openEmulationRun(runDir, o);
  const diffusion = run.config.kind === 'diffusion';
  const split = o.split ?? 'test';
  const context = o.context ?? 1;
  const start = o.start ?? 0;
  const stride = run.stride;
  const protocol: EvalProtocol = {
    split,
    trajectories: o.trajectories ?? 64,
    samples: diffusion ? (o.samples ?? 16) : 1,
    sampler: diffusion ? (o.sampler ?? SAMPLER_DEFAULTS.sampler) : null,
    steps: diffusion ? (o.steps ?? SAMPLER_DEFAULTS.steps) : null,
    context,
    overlap: context,
    stride,
    start,
    seed: o.seed ?? 0,
    weights: o.weights ?? 'state',
  };
  for (const [k, v] of [['trajectories', protocol.trajectories], ['samples', protocol.samples], ['context', context]] as const)
    if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a positive integer, got ${v}`);
  if (!Number.isInteger(start) || start < 0) throw new Error(`start must be a non-negative integer, got ${start}`);
  if (context >= run.config.trajectory.length) throw new Error(`context ${context} must be shorter than the run's window of ${run.config.trajectory.length} states (run ${run.dir})`);
  if (protocol.steps !== null && (!Number.isInteger(protocol.steps) || protocol.steps < 1)) throw new Error(`steps must be a positive integer, got ${protocol.steps}`);
  const op = o.operator !== undefined ? parseObservationOperator(o.operator) : undefined;
  const obsNoise = o.obsNoise ?? 0.1;
  if (op) {
    if (!diffusion) throw new Error(`--operator: MMPS guidance needs a diffusion run; ${run.dir} is a ${run.config.kind} (the neural solver cannot be guided)`);
    if (!run.ae) throw new Error(`--operator: guidance observes decoded states, and run ${run.dir} has no autoencoder`);
    if (!(obsNoise > 0) || !Number.isFinite(obsNoise)) throw new Error(`--obs-noise must be a positive number (the observation noise σ), got ${obsNoise}`);
  }

  // Trajectory windows: x = traj[s0 :: Δ], s0 = max(0, start − (c − 1)Δ), as long as the trajectory allows.
  const s0 = Math.max(0, start - (context - 1) * stride);
  const probe = await openTrajectories(run, split, 1, 1);
  const nSteps = new Set<number>();
  for (const p of probe.paths) {
    const f = await WellFile.open(p);
    nSteps.add(f.info.nSteps);
    f.close();
  }
  const trajectoriesInSplit = probe.trajectories;
  probe.close();
  if (nSteps.size !== 1) throw new Error(`the ${split} files of ${run.dataRoot} have different numbers of time steps (${[...nSteps].join(', ')})`);
  const T = [...nSteps][0]!;
  const L = s0 < T ? Math.floor((T - 1 - s0) / stride) + 1 : 0;
  if (L <= context)
    throw new Error(`trajectories of ${T} steps give ${L} states at stride ${stride} from step ${s0}: not longer than the context of ${context} (run ${run.dir})`);
  const dataset = await openTrajectories(run, split, L, stride);
  const windowsPerTrajectory = dataset.length / trajectoriesInSplit;
  const fields = dataset.channels;
  const post = dataset.postprocess;
  const leadTimes = Array.from({ length: L - context }, (_, i) => (i + 1) * stride);
  const horizons = o.horizons ?? defaultHorizons(run.datasetConfig.physics.join(','), leadTimes.at(-1)!);
  const spectralLeads = [...new Set([0, Math.floor((leadTimes.length - 1) / 2), leadTimes.length - 1])];
  const indices = chooseTrajectories(trajectoriesInSplit, protocol.trajectories, protocol.seed);

  if (op) observedShape(op, dataset.spatialShape);
  const guidedSuffix = op ? `_mmps-${op.kind}${op.factor}-s${obsNoise}` : '';
  const unguided = op ? await evaluateRun(runDir, { ...o, operator: undefined, out: o.out ? `${o.out}-unguided` : undefined }) : undefined;
  const dir = resolve(o.out ?? join(run.dir, 'eval', (diffusion ? `${split}_${protocol.sampler}${protocol.steps}_c${context}` : `${split}_c${context}`) + guidedSuffix));
  if (op) Object.assign(protocol, { guidance: `${formatOperator(op)},sigma=${obsNoise}` });
  const itemsDir = join(dir, 'items');
  mkdirSync(itemsDir, { recursive: true });
  const protocolPath = join(dir, 'protocol.json');
  const protocolText = `${JSON.stringify({ run: run.dir, weights_sha256: run.weights.manifest.sha256, ...protocol, trajectories: indices.length }, null, 2)}\n`;
  if (existsSync(protocolPath) && readFileSync(protocolPath, 'utf8') !== protocolText)
    throw new Error(`${dir} holds results of another evaluation (protocol.json differs: other run, weights, split, samples, sampler or context); give another --out or remove it`);
  writeFileAtomic(protocolPath, protocolText);
  log(`evaluating ${run.name} (${run.config.kind}) on ${indices.length} ${split} trajectories × ${L} states (stride ${stride}), K = ${protocol.samples}${diffusion ? `, ${protocol.sampler} ${protocol.steps} steps` : ''} → ${dir}`);

  // The climatology at the evaluated steps, computed (or read from its cache) once, when first needed. Without a
  // usable train split (absent, trajectories too short) it is skipped with a warning; persistence still runs.
  const withBaselines = o.baselines !== false;
  let clim: Climatology | null | undefined;
  const climatologyStates = async (): Promise<Tensor | null> => {
    if (clim !== undefined) return clim?.states ?? null;
    try {
      clim = await loadClimatology({
        root: run.dataRoot,
        dataset: run.datasetConfig,
        split: 'train',
        start: s0,
        stride,
        length: L,
        cacheDir: join(run.aeDir ?? run.dir, 'climatology'),
      });
      log(`climatology baseline: mean of ${clim.trajectories} train trajectories${clim.cached ? ' (cached)' : ''} → ${clim.path}`);
    } catch (err) {
      o.warn?.(`climatology baseline skipped: ${(err as Error).message}`);
      clim = null;
    }
    return clim?.states ?? null;
  };
  const baselinesOf = async (state: Tensor) => baselineMetrics(post.invert({ data: Float32Array.from(state.data), shape: state.shape }, 1), await climatologyStates(), context);

  const items: ItemResult[] = [];
  const firstFile = dataset.paths[0]!;
  const group = await joinProcessGroup();  // launched as several ranks: each evaluates its share, rank 0 sums up
  try {
    for (const [n, index] of indices.entries()) {
      if (o.signal?.aborted) throw new Error(`evaluation interrupted after ${n} of ${indices.length} trajectories; finished ones are kept in ${itemsDir} (run again to resume)`);
      const path = join(itemsDir, `${index}.json`);
      if (!ownsItem(group, n)) continue;  // another rank's; read back after the barrier
      if (existsSync(path)) {
        const kept = readItem(path);
        if (withBaselines && !kept.baselines) {
          kept.baselines = await baselinesOf(dataset.item(index * windowsPerTrajectory + s0).state);
          writeFileAtomic(path, JSON.stringify(kept));
        }
        items.push(kept);
        continue;
      }
      const t0 = performance.now();
      const item = dataset.item(index * windowsPerTrajectory + s0);
      const result = await evaluateTrajectory(run, item, {
        index,
        context,
        protocol,
        fields,
        post,
        spectralLeads,
        decodeBatch: o.decodeBatch ?? 16,
        sampler: o,
        seed: itemSeed(protocol.seed, index, start),
        animation: n === 0 ? join(dir, 'animation.json') : undefined,
        ...(op ? { guidance: { operator: op, obsNoise } } : {}),
      });
      if (withBaselines) result.baselines = await baselinesOf(item.state);
      writeFileAtomic(path, JSON.stringify(result));
      items.push(result);
      o.onProgress?.({ done: n + 1, total: indices.length, index, seconds: (performance.now() - t0) / 1000 });
    }
  } finally {
    dataset.close();
  }
  if (group.worldSize > 1) {
    await group.barrier();
    if (!group.isMain) {
      await group.barrier();  // rank 0 writes the summary
      return { dir, summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as EvalSummary };
    }
    items.length = 0;
    for (const index of indices) items.push(readItem(join(itemsDir, `${index}.json`)));
  }

  let solver: SolverSpeed | undefined;
  if (o.solverSpeed !== false) {
    const file = await WellFile.open(firstFile);
    try {
      solver = await measureSolverSpeed(file, stride);
    } finally {
      file.close();
    }
  }

  // CSV rows, then means over trajectories per lead time and per horizon.
  const header = CSV_COLUMNS.join(',');
  const lines = [header];
  for (const item of items)
    item.rows.forEach((perLead, f) => perLead.forEach((row, l) => lines.push([item.index, fields[f], leadTimes[l], ...row.map(csvNumber)].join(','))));
  writeFileAtomic(join(dir, 'metrics.csv'), `${lines.join('\n')}\n`);
  const baselineNames = withBaselines ? BASELINES.filter((b) => items.every((it) => it.baselines?.[b])) : [];
  if (withBaselines) {
    const baselineLines = [BASELINE_CSV_COLUMNS.join(',')];
    for (const b of baselineNames)
      for (const item of items)
        item.baselines![b]!.forEach((perLead, f) => perLead.forEach((row, l) => baselineLines.push([b, item.index, fields[f], leadTimes[l], ...row.map(csvNumber)].join(','))));
    writeFileAtomic(join(dir, 'baselines.csv'), `${baselineLines.join('\n')}\n`);
    if (baselineNames.includes('climatology')) await climatologyStates(); // for the summary's note of where it is
  }

  // Means over trajectories per lead time and horizon of every column: the emulator's, then `<baseline>_<metric>`.
  const columns: Array<[string, (it: ItemResult, f: number, l: number) => number]> = CSV_COLUMNS.slice(3).map((column, m) => [column, (it, f, l) => it.rows[f]![l]![m]!]);
  for (const b of baselineNames) ENSEMBLE_METRICS.forEach((metric, m) => columns.push([`${b}_${metric}`, (it, f, l) => it.baselines![b]![f]![l]![m]!]));
  const perLead: Record<string, ByField> = {};
  const byHorizon: Record<string, ByField> = {};
  columns.forEach(([column, value]) => {
    const field: Record<string, number[]> = {};
    fields.forEach((name, f) => (field[name] = leadTimes.map((_, l) => mean(items.map((it) => value(it, f, l))))));
    field.mean = leadTimes.map((_, l) => mean(fields.map((name) => field[name]![l]!)));
    perLead[column] = Object.fromEntries(Object.entries(field).map(([k, v]) => [k, v.map(finiteOrNull)]));
    byHorizon[column] = Object.fromEntries(
      Object.entries(field).map(([k, v]) => [k, horizons.map(([a, b]) => finiteOrNull(mean(v.filter((_, l) => leadTimes[l]! >= a && leadTimes[l]! <= b))))]),
    );
  });
  const spectra: EvalSummary['spectra'] = {};
  fields.forEach((name, f) => {
    const avg = (pick: (s: ItemResult['spectra'][number][number]) => number[], s: number) => {
      const arrays = items.map((it) => pick(it.spectra[f]![s]!));
      return arrays[0]!.map((_, i) => mean(arrays.map((a) => a[i]!)));
    };
    spectra[name] = {
      k: items[0]!.spectra[f]![0]!.k,
      lead_times: spectralLeads.map((l) => leadTimes[l]!),
      truth: spectralLeads.map((_, s) => avg((x) => x.truth, s)),
      emulated: spectralLeads.map((_, s) => avg((x) => x.emulated, s)),
      autoencoder: run.ae ? spectralLeads.map((_, s) => avg((x) => x.autoencoder!, s)) : null,
    };
  });
  const sum = (pick: (it: ItemResult) => number) => items.reduce((a, it) => a + pick(it), 0);
  const states = sum((it) => it.states);
  const summary: EvalSummary = {
    format: EVAL_FORMAT,
    run: run.dir,
    name: run.name,
    kind: run.config.kind,
    ae_run: run.aeDir,
    compression_rate: run.cache.compression_rate,
    dataset: run.datasetConfig.name,
    split,
    fields,
    protocol: { ...protocol, trajectories: indices.length },
    indices,
    lead_times: leadTimes,
    horizons,
    metrics: [...ENSEMBLE_METRICS],
    per_lead: perLead,
    by_horizon: byHorizon,
    spectra,
    speed: {
      seconds_per_state: (sum((it) => it.rollout_seconds) + sum((it) => it.decode_seconds)) / states,
      encode_seconds: sum((it) => it.encode_seconds),
      rollout_seconds: sum((it) => it.rollout_seconds),
      decode_seconds: sum((it) => it.decode_seconds),
      states,
      samples: protocol.samples,
      device: run.emulator.device,
      threads: getNumThreads() || availableParallelism(),
    },
    solver: solver ?? null,
    baselines: { models: [...baselineNames], climatology: clim && baselineNames.includes('climatology') ? { path: clim.path, split: clim.split, trajectories: clim.trajectories } : null },
    wall_seconds: (performance.now() - started) / 1000,
    ...(op && unguided ? { guidance: { operator: formatOperator(op), obs_noise: obsNoise, unguided_dir: unguided.dir, unguided_vrmse: unguided.summary.by_horizon.vrmse?.mean ?? [] } } : {}),
  };
  writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
  if (group.worldSize > 1) await group.barrier();
  return { dir, summary };
}

function csvNumber(x: number): string {
  return Number.isFinite(x) ? String(Math.fround(x)) : '';
}

interface TrajectoryContext {
  index: number;
  context: number;
  protocol: EvalProtocol;
  fields: string[];
  post: { invert(t: Tensor, channelAxis?: number): Tensor };
  spectralLeads: number[];
  decodeBatch: number;
  sampler: SamplerOptions;
  seed: number;
  animation?: string;
  guidance?: { operator: ObservationOperator; obsNoise: number };
}

/** One trajectory: encode, roll out, decode lead by lead, score. */
async function evaluateTrajectory(run: EmulationRun, item: { state: Tensor; label: Tensor }, c: TrajectoryContext): Promise<ItemResult> {
  const x = item.state; // (L, C, *space), pre-processed
  const [L, C, ...space] = x.shape as [number, number, ...number[]];
  const stateSize = C * numel(space);
  let t = performance.now();
  const z = await encodeStates(run.ae, x, c.decodeBatch);
  const encodeSeconds = (performance.now() - t) / 1000;
  const latentSize = z.data.length / L;
  // Guided: observations of this trajectory (the truth through A, plus σ noise, seeded per trajectory).
  const guidance = c.guidance && run.ae
    ? guidanceOptions(run.ae, { operator: c.guidance.operator, obsNoise: c.guidance.obsNoise, observations: observationsFrom(x, c.guidance.operator, space, c.guidance.obsNoise, c.seed) })
    : undefined;
  const roll = await rolloutLatents(run, z, item.label, {
    ...c.sampler,
    guidance,
    sampler: c.protocol.sampler as SamplerOptions['sampler'],
    steps: c.protocol.steps ?? undefined,
    length: L,
    context: c.context,
    members: c.protocol.samples,
    seed: c.seed,
  });
  const K = roll.states.shape[0]!;
  const toPhysical = (u: Tensor) => c.post.invert({ data: Float32Array.from(u.data), shape: u.shape }, 1);
  const truthAll = toPhysical({ data: Float32Array.from(x.data), shape: x.shape });
  const rows: number[][][] = c.fields.map(() => []);
  const spectra: ItemResult['spectra'] = c.fields.map(() => []);
  let decodeSeconds = 0;
  const frames = c.animation ? new AnimationFrames(c.fields, space, Math.min(3, K)) : undefined;

  for (let s = 0; s < L; s++) {
    // The K members' latents at state s, decoded together; and the reconstruction D(E(x_s)).
    const zs = new Float32Array(K * latentSize);
    for (let k = 0; k < K; k++) zs.set(roll.states.data.subarray((k * L + s) * latentSize, (k * L + s + 1) * latentSize), k * latentSize);
    t = performance.now();
    const decoded = await decodeStates(run.ae, { data: zs, shape: [K, ...z.shape.slice(1)] }, c.decodeBatch);
    if (s >= c.context) decodeSeconds += (performance.now() - t) / 1000;
    const members = toPhysical(decoded);
    const truth = { data: truthAll.data.subarray(s * stateSize, (s + 1) * stateSize), shape: [C, ...space] };
    // The autoencoder's reconstruction D(E(x_s)); none for pixel-space runs.
    const reconPhysical = run.ae
      ? toPhysical(await decodeStates(run.ae, { data: z.data.subarray(s * latentSize, (s + 1) * latentSize), shape: [1, ...z.shape.slice(1)] }, 1))
      : undefined;
    frames?.add(truth.data, members.data, reconPhysical?.data);
    if (s < c.context) continue;
    const l = s - c.context;
    const none = Array.from({ length: C }, () => Object.fromEntries(ENSEMBLE_METRICS.map((m) => [m, NaN])) as EnsembleMetrics);
    const vsTruth = ensembleMetrics(truth, members);
    const vsRecon = reconPhysical ? ensembleMetrics({ data: reconPhysical.data, shape: [C, ...space] }, members) : none;
    const aeVsTruth = reconPhysical ? ensembleMetrics(truth, reconPhysical) : none;
    for (let f = 0; f < C; f++) {
      const row: number[] = [];
      for (const group of [vsTruth, vsRecon, aeVsTruth]) {
        const m: EnsembleMetrics = { ...group[f]! };
        // The spec sets a deterministic model's spread/skill to 0.
        if (run.config.kind === 'surrogate' && group !== aeVsTruth && group !== none) m.spread_skill = 0;
        row.push(...ENSEMBLE_METRICS.map((name) => m[name]));
      }
      rows[f]!.push(row);
    }
    if (c.spectralLeads.includes(l)) {
      const em = ensembleSpectra(truth, members);
      const ae = reconPhysical ? ensembleSpectra(truth, reconPhysical) : undefined;
      for (let f = 0; f < C; f++) spectra[f]!.push({ k: em[f]!.k, truth: em[f]!.truth, emulated: em[f]!.emulated, autoencoder: ae?.[f]!.emulated ?? null });
    }
  }
  if (frames && c.animation) writeFileAtomic(c.animation, JSON.stringify(frames.toJson(c.index, c.protocol.stride, c.context)));
  return {
    index: c.index,
    rows,
    spectra,
    encode_seconds: encodeSeconds,
    rollout_seconds: roll.seconds,
    decode_seconds: decodeSeconds,
    states: K * (L - c.context),
  };
}

/** Frames for the report's animation: 2-D fields (3-D: the middle slice), at most 128 pixels a side. */
class AnimationFrames {
  private readonly truth: Float32Array[][] = [];
  private readonly members: Float32Array[][][] = [];
  private readonly recon: Float32Array[][] = [];
  private readonly shape: number[];
  private readonly step: number[];

  constructor(
    private readonly fields: string[],
    private readonly space: number[],
    private readonly memberCount: number,
  ) {
    const [H, W = 1] = space;
    this.step = [Math.ceil(H! / 128), Math.ceil(W / 128)];
    this.shape = [Math.ceil(H! / this.step[0]!), Math.ceil(W / this.step[1]!)];
    fields.forEach(() => {
      this.truth.push([]);
      this.recon.push([]);
      this.members.push(Array.from({ length: memberCount }, () => []));
    });
  }

  /** A 2-D image of channel f of state data (…, C, *space) at offset `state`. */
  private image(data: Float32Array, stateIndex: number, f: number): Float32Array {
    const C = this.fields.length;
    const [H, W = 1, D = 1] = this.space;
    const base = (stateIndex * C + f) * H! * W * D;
    const mid = Math.floor(D / 2);
    const [h, w] = this.shape as [number, number];
    const out = new Float32Array(h * w);
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out[i * w + j] = data[base + ((i * this.step[0]! * W + j * this.step[1]!) * D + mid)]!;
    return out;
  }

  add(truth: Float32Array, members: Float32Array, recon: Float32Array | undefined): void {
    this.fields.forEach((_, f) => {
      this.truth[f]!.push(this.image(truth, 0, f));
      if (recon) this.recon[f]!.push(this.image(recon, 0, f));
      for (let k = 0; k < this.memberCount; k++) this.members[f]![k]!.push(this.image(members, k, f));
    });
  }

  toJson(trajectory: number, stride: number, context: number): unknown {
    const range: Record<string, [number, number]> = {};
    const encode = (frames: Float32Array[], [lo, hi]: [number, number]) => {
      const bytes = new Uint8Array(frames.length * frames[0]!.length);
      frames.forEach((fr, t) => fr.forEach((v, i) => (bytes[t * fr.length + i] = Math.max(0, Math.min(255, Math.round((255 * (v - lo)) / (hi - lo || 1)))))));
      return Buffer.from(bytes).toString('base64');
    };
    const truth: Record<string, string> = {};
    const members: Record<string, string[]> = {};
    const autoencoder: Record<string, string> = {};
    this.fields.forEach((name, f) => {
      let lo = Infinity;
      let hi = -Infinity;
      for (const fr of this.truth[f]!) for (const v of fr) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      range[name] = [lo, hi];
      truth[name] = encode(this.truth[f]!, range[name]);
      members[name] = this.members[f]!.map((m) => encode(m, range[name]!));
      if (this.recon[f]!.length) autoencoder[name] = encode(this.recon[f]!, range[name]);
    });
    // Frame s shows state s at lead time (s − c + 1)·Δ: ≤ 0 for the context.
    const leads = Array.from({ length: this.truth[0]!.length }, (_, s) => (s - context + 1) * stride);
    return { trajectory, fields: this.fields, lead_times: leads, shape: this.shape, range, truth, members, autoencoder: Object.keys(autoencoder).length ? autoencoder : null };
  }
}
