// `latent-emulator demo`: the main job on a built-in default, start to finish on a fresh machine.
// Generates a small Euler multi-quadrants dataset with the built-in solver (The Well's layout), trains a
// CPU-sized DCAE on it, and measures the compression and the reconstruction error in physical units on
// the test split — the autoencoder stage of the paper. Later stages (latent cache, diffusion emulator,
// neural solver, report) join the same pipeline as they land.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

import { BatchLoader } from '../data/loader.js';
import { WellDataset } from '../data/dataset.js';
import type { Tensor as Batch } from '../data/types.js';
import { fieldMetrics } from '../eval/metrics.js';
import { Autoencoder } from '../models/autoencoder.js';
import { manualSeed } from '../runtime.js';
import { generateEuler } from '../solvers/generate.js';

export interface DemoOptions {
  /** Output folder (data, weights, summary). */
  out: string;
  /** Cells per side of the generated Euler runs. */
  resolution?: number;
  /** Stored states per trajectory. */
  steps?: number;
  /** Trajectories per heat-capacity ratio (split 0.8 / 0.1 / 0.1). */
  trajectories?: number;
  gamma?: number[];
  /** Autoencoder training steps and batch size. */
  trainSteps?: number;
  batchSize?: number;
  preset?: string;
  precision?: 'float32' | 'bfloat16';
  seed?: number;
  log?: (line: string) => void;
}

export interface DemoSummary {
  dataset: string;
  resolution: number;
  trajectories: { train: number; valid: number; test: number };
  autoencoder: { preset: string; parameters: number; compression: number; latentShape: number[] };
  training: { steps: number; seconds: number; samplesPerSecond: number; firstLoss: number; lastLoss: number };
  /** Reconstruction VRMSE per field on the test split, physical units. */
  reconstruction: Record<string, number>;
  /** VRMSE of predicting each state's spatial mean (the baseline a useful model must beat). */
  meanBaseline: Record<string, number>;
  seconds: number;
  files: { data: string; weights: string; summary: string };
}

function reshapeStates(batch: Batch): Batch {
  // Windows of one state: (B, 1, C, *space) → (B, C, *space).
  const [b, t, ...rest] = batch.shape;
  if (t !== 1) throw new Error(`expected single-state windows, got ${t} states`);
  return { data: batch.data, shape: [b!, ...rest] };
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  const out = resolve(options.out);
  const dataRoot = join(out, 'data');
  const resolution = options.resolution ?? 64;
  const seed = options.seed ?? 0;
  const started = Date.now();
  mkdirSync(out, { recursive: true });
  manualSeed(seed);

  log(`[1/3] generating Euler multi-quadrants data (open boundaries, ${resolution}², solver on ${availableParallelism()} cores)`);
  const generated = await generateEuler({
    root: dataRoot,
    boundary: 'open',
    resolution,
    steps: options.steps ?? 21,
    trajectories: options.trajectories ?? 10,
    gamma: options.gamma ?? [1.4, 1.76],
    seed,
  });
  log(`      ${generated.written.length} file(s) written, ${generated.kept.length} kept, in ${generated.directory}`);

  const config = 'euler_open';
  const open = (split: string) => WellDataset.open({ root: dataRoot, split, config });
  const [train, valid, test] = await Promise.all([open('train'), open('valid'), open('test')]);
  const channels = train.channels;
  const preset = options.preset ?? 'dcae_f8c16_cpu';
  const ae = Autoencoder.create(preset, { pix_channels: channels.length, precision: options.precision ?? 'bfloat16' });
  const stateShape = [1, channels.length, ...train.stateShape.slice(2)];
  log(`[2/3] training ${preset} (${(ae.parameterCount() / 1e6).toFixed(2)} M parameters, compression ×${ae.compressionRate(stateShape)}) on ${train.length} states`);

  const trainSteps = options.trainSteps ?? 600;
  const batchSize = Math.min(options.batchSize ?? 16, train.length);
  const loader = await BatchLoader.open({ kind: 'well', options: { root: dataRoot, split: 'train', config, augment: true, seed } }, { batchSize, infinite: true, seed, workers: 1 });
  const peak = 1e-3;
  const warmup = Math.max(1, Math.floor(trainSteps / 20));
  const losses: number[] = [];
  const trainStart = Date.now();
  let step = 0;
  for await (const batch of loader) {
    // Linear warm-up then cosine decay, per step.
    const lr = step < warmup ? (peak * (step + 1)) / warmup : (peak * (1 + Math.cos((Math.PI * (step - warmup)) / (trainSteps - warmup)))) / 2;
    const result = await ae.trainStep(reshapeStates(batch.state), lr);
    if (!result.skipped) losses.push(result.loss);
    step++;
    if (step % Math.max(1, Math.floor(trainSteps / 10)) === 0 || step === trainSteps) {
      const recent = losses.slice(-20);
      log(`      step ${String(step).padStart(5)}/${trainSteps}  loss ${(recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(4)}  lr ${lr.toExponential(2)}`);
    }
    if (step >= trainSteps) break;
  }
  await loader.close();
  const trainSeconds = (Date.now() - trainStart) / 1000;
  const weights = join(out, 'autoencoder.safetensors');
  await ae.saveWeights(weights, { dataset: config, preset });

  log(`[3/3] reconstruction error on ${test.length} test states, physical units`);
  ae.eval();
  const post = test.postprocess;
  const sums = new Map<string, { ae: number; mean: number; n: number }>(channels.map((c) => [c, { ae: 0, mean: 0, n: 0 }]));
  for (let i = 0; i < test.length; i++) {
    const x = test.item(i).state; // (T = 1, C, *space) reads as a batch of one state
    const y = await (await ae.decode(await ae.encode(x))).data() as Float32Array;
    const truth = post.invert({ data: Float32Array.from(x.data), shape: x.shape });
    const recon = post.invert({ data: Float32Array.from(y), shape: x.shape });
    const n = x.data.length / channels.length;
    const meanField = Float32Array.from(truth.data);
    for (let c = 0; c < channels.length; c++) {
      let m = 0;
      for (let j = 0; j < n; j++) m += truth.data[c * n + j]!;
      meanField.fill(m / n, c * n, (c + 1) * n);
    }
    const metrics = fieldMetrics(truth, recon).vrmse[0]!;
    const baseline = fieldMetrics(truth, { data: meanField, shape: x.shape }).vrmse[0]!;
    channels.forEach((c, k) => {
      const s = sums.get(c)!;
      s.ae += metrics[k]!;
      s.mean += baseline[k]!;
      s.n++;
    });
  }
  const reconstruction = Object.fromEntries([...sums].map(([c, s]) => [c, s.ae / s.n]));
  const meanBaseline = Object.fromEntries([...sums].map(([c, s]) => [c, s.mean / s.n]));
  const summaryFile = join(out, 'summary.json');
  const summary: DemoSummary = {
    dataset: 'euler_multi_quadrants_openBC (built-in solver)',
    resolution,
    trajectories: { train: train.length, valid: valid.length, test: test.length },
    autoencoder: { preset, parameters: ae.parameterCount(), compression: ae.compressionRate(stateShape), latentShape: ae.latentShape(stateShape).slice(1) },
    training: {
      steps: trainSteps,
      seconds: trainSeconds,
      samplesPerSecond: (trainSteps * batchSize) / trainSeconds,
      firstLoss: losses[0] ?? NaN,
      lastLoss: losses.at(-1) ?? NaN,
    },
    reconstruction,
    meanBaseline,
    seconds: (Date.now() - started) / 1000,
    files: { data: dataRoot, weights, summary: summaryFile },
  };
  for (const d of [train, valid, test]) d.close();
  writeFileSync(summaryFile + '.tmp', JSON.stringify(summary, null, 2));
  renameSync(summaryFile + '.tmp', summaryFile);
  return summary;
}

/** The table the CLI prints. */
export function formatSummary(s: DemoSummary): string {
  const rows = Object.keys(s.reconstruction).map((c) => `  ${c.padEnd(12)} ${s.reconstruction[c]!.toFixed(4).padStart(8)}   ${s.meanBaseline[c]!.toFixed(4).padStart(8)}`);
  return [
    `dataset       ${s.dataset}, ${s.resolution}², states train/valid/test ${s.trajectories.train}/${s.trajectories.valid}/${s.trajectories.test}`,
    `autoencoder   ${s.autoencoder.preset}, ${(s.autoencoder.parameters / 1e6).toFixed(2)} M parameters, latent ${s.autoencoder.latentShape.join('×')}, compression ×${s.autoencoder.compression}`,
    `training      ${s.training.steps} steps in ${s.training.seconds.toFixed(0)} s (${s.training.samplesPerSecond.toFixed(1)} samples/s), loss ${s.training.firstLoss.toFixed(3)} → ${s.training.lastLoss.toFixed(3)}`,
    `test VRMSE    field          AE recon.  mean-field baseline`,
    ...rows,
    `total         ${s.seconds.toFixed(0)} s; summary: ${s.files.summary}`,
  ].join('\n');
}
