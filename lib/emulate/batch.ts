// `latent-emulator emulate RUN --input … --out DIR`: batch emulation. Every trajectory of the input Well files
// gives its first `context` states (at the run's stride) as the initial condition; K ensemble members are rolled
// out in latent space, decoded in chunks, post-processed to physical units and written as Well-format files,
// one per input trajectory with the members as its trajectories:
//   <out>/<dataset name>/data/<split>/<input stem>_<trajectory>.hdf5
// so the output directory is itself a dataset (WellDataset.open({ root: out, split })). Each file is written
// under a temporary name and renamed when complete; finished files are skipped when the command is rerun.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { makeDirectory } from '../util/fs-errors.js';
import { freemem } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';

import { BOUNDARY_TYPES, type BoundaryType } from '../data/boundary.js';
import { logScalars, makeLabel } from '../data/labels.js';
import { Preprocess } from '../data/transforms.js';
import { numel, type Tensor } from '../data/types.js';
import { WellFile } from '../data/well-file.js';
import { WellWriter, verifyWellOutput, type WellFieldSpec } from '../data/well-writer.js';
import { decodeStates, encodeStates } from '../models/chunked-codec.js';
import { itemSeed, openEmulationRun, rolloutLatents, type OpenEmulationOptions } from './pipeline.js';
import type { SamplerOptions } from './rollout.js';
import { joinProcessGroup } from '../launch/process-group.js';
import { ownsItem } from '../launch/run-group.js';
import { checkUntrustedName, pathInside } from '../util/safe-name.js';
import { commitHdf5, removeOrphanTemporaries, temporaryName, writingTemporary } from '../util/atomic-output.js';
import { guardDisk, guardMemory, type SizeLimitOptions } from '../util/size-guard.js';
import { checkGuidance, guidanceOptions, observationsFrom, parseObservationOperator } from './guidance.js';

export interface EmulateBatchOptions extends SamplerOptions, OpenEmulationOptions, SizeLimitOptions {
  /** A Well file or a directory of them. */
  input: string;
  out: string;
  /** Ensemble members K per initial state (default 1; a surrogate's members are identical, so 1). */
  samples?: number;
  /** Known initial states (default 1). */
  context?: number;
  /** States per emulated trajectory, context included (default: as many as the input has at the stride). */
  length?: number;
  /** Split folder of the output dataset (default 'test'). */
  split?: string;
  seed?: number;
  /** States per decoder call (default: chosen from free memory). */
  decodeBatch?: number;
  /** MMPS guidance (lib/emulate/guidance.ts): a Well file, or a directory of files named as the inputs, to observe. */
  observe?: string;
  /** `subsample:N` | `downscale:N` (with observe). */
  operator?: string;
  /** Observation noise σ (with observe; default 0.1). */
  obsNoise?: number;
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number; states: number; seconds: number; file: string }) => void;
}

export interface EmulateBatchResult {
  files: string[];
  /** Items (input trajectories) already finished by an earlier run and skipped. */
  skipped: number;
  states: number;
  seconds: number;
  root: string;
}

function inputFiles(input: string): string[] {
  const path = resolve(input);
  if (!existsSync(path)) throw new Error(`--input ${path} does not exist`);
  if (statSync(path).isFile()) return [path];
  const files = readdirSync(path).filter((f) => /\.(h5|hdf5)$/.test(f)).sort().map((f) => join(path, f));
  if (!files.length) throw new Error(`--input ${path} holds no .h5/.hdf5 files`);
  return files;
}

/** Decoder states per call: a quarter of free memory over a rough per-state activation size, 1…64. */
export function chooseDecodeBatch(stateShape: number[], widestChannels: number): number {
  const pixels = numel(stateShape.slice(1));
  const bytesPerState = 4 * pixels * widestChannels * 6;
  return Math.max(1, Math.min(64, Math.floor((freemem() * 0.25) / bytesPerState)));
}

export async function emulateBatch(runDir: string, o: EmulateBatchOptions): Promise<EmulateBatchResult> {
  const run = await openEmulationRun(runDir, o);
  const files = inputFiles(o.input);
  const context = o.context ?? 1;
  const members = run.config.kind === 'surrogate' ? 1 : (o.samples ?? 1);
  if (!Number.isInteger(members) || members < 1) throw new Error(`samples must be a positive integer, got ${o.samples}`);
  if (!Number.isInteger(context) || context < 1 || context >= run.config.trajectory.length)
    throw new Error(`context must be an integer in [1, ${run.config.trajectory.length - 1}] (the run's window is ${run.config.trajectory.length}), got ${context}`);
  const stride = run.stride;
  const channels = run.datasetConfig.fields.map((f) => f.name);
  const pre = new Preprocess(run.datasetConfig.fields);
  const split = o.split ?? 'test';

  // Check every input before any compute: channels, grid, length (and the observations, when guided).
  const op = o.observe !== undefined ? parseObservationOperator(o.operator ?? '') : undefined;
  if (op && run.config.kind !== 'diffusion') throw new Error(`--observe: MMPS guidance needs a diffusion run; ${run.dir} is a ${run.config.kind} (the neural solver cannot be guided)`);
  if (op && !run.ae) throw new Error(`--observe: guidance observes decoded states, and run ${run.dir} has no autoencoder`);
  const observeFile = (path: string) => (statSync(resolve(o.observe!)).isDirectory() ? join(resolve(o.observe!), basename(path)) : resolve(o.observe!));
  const plans: Array<{ path: string; trajectories: number; length: number; dataset: string; pixels: number }> = [];
  for (const path of files) {
    const f = await WellFile.open(path);
    try {
      f.resolveChannels(channels);
      const latent = run.cache.latent_shape.slice(1);
      const expectGrid = run.ae ? run.ae.latentShape([1, channels.length, ...f.info.spatialShape]).slice(2) : f.info.spatialShape;
      if (expectGrid.join() !== latent.join())
        throw new Error(`${path}: grid ${f.info.spatialShape.join('×')} encodes to latents ${expectGrid.join('×')}, but run ${run.dir} was trained on ${latent.join('×')}`);
      const available = Math.floor((f.info.nSteps - 1) / stride) + 1;
      const length = o.length ?? available;
      if (!Number.isInteger(length) || length <= context) throw new Error(`length ${length} must be an integer larger than the context ${context}`);
      if (available < context) throw new Error(`${path}: ${f.info.nSteps} time steps hold fewer than ${context} context states at stride ${stride}`);
      if (op) {
        if (!existsSync(observeFile(path))) throw new Error(`--observe: no observation file ${observeFile(path)} for input ${path}`);
        const of = await WellFile.open(observeFile(path));
        try {
          of.resolveChannels(channels);
          if (of.info.nTrajectories !== f.info.nTrajectories) throw new Error(`--observe ${of.path}: ${of.info.nTrajectories} trajectories, the input ${path} has ${f.info.nTrajectories}`);
          const y = observationsFrom({ data: new Float32Array(numel([channels.length, ...of.info.spatialShape])), shape: [1, channels.length, ...of.info.spatialShape] }, op, f.info.spatialShape, o.obsNoise ?? 0.1, 0, `--observe ${of.path}`);
          checkGuidance({ operator: op, observations: y, obsNoise: o.obsNoise ?? 0.1 }, { kind: 'denoiser', channels: channels.length, spatialShape: f.info.spatialShape, batch: 1, length });
        } finally {
          of.close();
        }
      }
      // The output folder is named after the file's dataset_name attribute: untrusted, like any name from a file.
      const dataset = checkUntrustedName(f.info.datasetName, `${path}: attribute dataset_name`);
      plans.push({ path, trajectories: f.info.nTrajectories, length, dataset, pixels: numel(f.info.spatialShape) });
    } finally {
      f.close();
    }
  }

  const root = resolve(o.out);
  const group = await joinProcessGroup();  // launched as several ranks: each emulates its share of the trajectories
  const total = plans.reduce((n, p) => n + p.trajectories, 0);
  // Before any compute: all outputs on the disk (float32, K members × length states × C channels per
  // input trajectory), and one item's latent rollout (three float32 copies: native, view, kept) in memory.
  const outputBytes = plans.reduce((n, p) => n + 4 * p.trajectories * members * p.length * channels.length * p.pixels, 0);
  guardDisk(`emulate: ${total} trajectories × ${members} members`, root, outputBytes, o);
  const longest = Math.max(...plans.map((p) => p.length));
  guardMemory(`emulate: ${members} members × ${longest} states`, 3 * 4 * members * longest * numel(run.cache.latent_shape), o);
  const written: string[] = [];
  let skipped = 0;
  let done = 0;
  let states = 0;
  const started = performance.now();
  for (const plan of plans) {
    const outDir = pathInside(root, [plan.dataset, 'data', split], `emulate output for ${plan.path}`);
    makeDirectory(outDir);
    removeOrphanTemporaries(outDir);
    const input = await WellFile.open(plan.path);
    try {
      const refs = input.resolveChannels(channels);
      const space = input.info.spatialShape;
      const decodeBatch = o.decodeBatch ?? chooseDecodeBatch([channels.length, ...space], run.aeConfig ? Math.max(...run.aeConfig.ae.hid_channels) : channels.length);
      const time = input.readTime(0);
      for (let sample = 0; sample < plan.trajectories; sample++) {
        if (o.signal?.aborted) throw new Error(`emulation interrupted after ${done} of ${total} trajectories; finished files are kept in ${outDir} (run again to resume)`);
        const target = join(outDir, `${basename(plan.path, extname(plan.path))}_${String(sample).padStart(4, '0')}.hdf5`);
        done++;
        if (!ownsItem(group, done - 1)) continue;  // data parallel: another rank emulates this trajectory
        const spec = outputSpec(input, sample, channels, members, emulatedTimes(time, stride, plan.length));
        if (existsSync(target)) {
          // Finished by an earlier run: kept only if it re-reads as what this run would write.
          try {
            await verifyWellOutput(target, spec, false);
            skipped++;
            continue;
          } catch (err) {
            throw new Error(`${target} exists but is not a finished output of this emulation (${(err as Error).message}); remove it to redo it`);
          }
        }
        const x = pre.apply(input.readWindow(sample, 0, context, stride, refs));
        let scalars = input.constantScalars(sample);
        if (run.datasetConfig.augment.includes('log_scalars')) scalars = logScalars(scalars);
        const label = makeLabel(scalars, input.info.boundaryConditions);
        const z = await encodeStates(run.ae, x, decodeBatch);
        let guidance;
        if (op) {
          const of = await WellFile.open(observeFile(plan.path));
          try {
            const T = Math.min(plan.length, Math.floor((of.info.nSteps - 1) / stride) + 1);
            const y = observationsFrom(pre.apply(of.readWindow(sample, 0, T, stride, of.resolveChannels(channels))), op, space, o.obsNoise ?? 0.1, itemSeed(o.seed ?? 0, done - 1, 1), `--observe ${of.path}`);
            checkGuidance({ operator: op, observations: y, obsNoise: o.obsNoise ?? 0.1 }, { kind: 'denoiser', channels: channels.length, spatialShape: space, batch: 1, length: plan.length });
            guidance = guidanceOptions(run.ae!, { operator: op, observations: y, obsNoise: o.obsNoise ?? 0.1 });
          } finally {
            of.close();
          }
        }
        const roll = await rolloutLatents(run, z, { data: label, shape: [label.length] }, { ...o, length: plan.length, context, members, seed: itemSeed(o.seed ?? 0, done - 1, 0), guidance });
        const tmp = temporaryName(target);
        await writingTemporary(tmp, target, async () => {
          const writer = await WellWriter.create(tmp, spec);
          try {
            const order = writer.channels.map((c) => channels.indexOf(c));
            const latentSize = numel(roll.states.shape.slice(2));
            for (let k = 0; k < members; k++) {
              for (let t0 = 0; t0 < plan.length; t0 += decodeBatch) {
                const n = Math.min(decodeBatch, plan.length - t0);
                const zk = roll.states.data.subarray((k * plan.length + t0) * latentSize, (k * plan.length + t0 + n) * latentSize);
                const decoded = pre.invert(await decodeStates(run.ae, { data: zk, shape: [n, ...roll.states.shape.slice(2)] }, decodeBatch), 1);
                writer.writeWindow(k, t0, reorderChannels(decoded, order));
              }
            }
          } catch (err) {
            try {
              writer.close();
            } catch {
              // the first error is the one to report
            }
            throw err;
          }
          writer.close(); // flushes: a full disk shows up here at the latest
        });
        await commitHdf5(tmp, target, (path) => verifyWellOutput(path, spec, false));
        written.push(target);
        states += members * (plan.length - context);
        o.onProgress?.({ done, total, states, seconds: (performance.now() - started) / 1000, file: target });
      }
    } finally {
      input.close();
    }
  }
  await group.barrier();
  return { files: written, skipped, states, seconds: (performance.now() - started) / 1000, root };
}

/** The times of `length` emulated states every `stride` stored steps, extrapolated past the input's last one. */
function emulatedTimes(time: Float32Array, stride: number, length: number): number[] {
  const dt = time.length > 1 ? time[1]! - time[0]! : 1;
  return Array.from({ length }, (_, t) => (t * stride < time.length ? time[t * stride]! : time[0]! + t * stride * dt));
}

/** (T, C, *space) with channels picked in `order` (indices into the input's channels). */
function reorderChannels(t: Tensor, order: number[]): Tensor {
  const [T, C, ...space] = t.shape as [number, number, ...number[]];
  const n = numel(space);
  const out = new Float32Array(T * order.length * n);
  for (let s = 0; s < T; s++) order.forEach((c, j) => out.set(t.data.subarray((s * C + c) * n, (s * C + c + 1) * n), (s * order.length + j) * n));
  return { data: out, shape: [T, order.length, ...space] };
}

/** The output file mirrors the input's grid, parameters and boundaries, with the emulated fields. */
function outputSpec(input: WellFile, sample: number, channels: string[], members: number, time: number[]) {
  const info = input.info;
  // Fields whose every channel is emulated, in the input's order.
  const fields: WellFieldSpec[] = info.fields
    .filter((f) => f.timeVarying && f.channels.every((c) => channels.includes(c)))
    .map((f) => ({ name: f.name, order: f.order }));
  const missing = channels.filter((c) => !info.fields.some((f) => f.channels.includes(c) && f.channels.every((d) => channels.includes(d))));
  if (missing.length) throw new Error(`${info.path}: channels ${missing.join(', ')} are parts of fields not emulated whole; cannot write them as Well fields`);
  const boundaryConditions: Record<string, [BoundaryType, BoundaryType]> = {};
  info.spatialDims.forEach((d, i) => {
    const [lo, hi] = info.boundaryConditions[i]!;
    boundaryConditions[d] = [BOUNDARY_TYPES[lo!]!, BOUNDARY_TYPES[hi!]!];
  });
  return {
    datasetName: info.datasetName,
    gridType: info.gridType,
    nTrajectories: members,
    spatialDims: info.spatialDims,
    coordinates: Object.fromEntries(info.spatialDims.map((d) => [d, input.readCoordinates(d, sample)])),
    time,
    parameters: input.constantScalars(sample),
    fields,
    boundaryConditions,
    attributes: { emulated_from: `${info.path}#${sample}` },
  };
}
