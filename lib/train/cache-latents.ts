// Latent caching (spec §1.6): every trajectory of a split encoded once by a trained autoencoder into
// `<run>/cache/<physics>/<split>/<same file name>` (the data layer's latent cache format, tagged with
// the weights' hash, the compression rate and the dataset configuration). The train split gets `repeat`
// distinct random augmentations per trajectory (the reference: 4), re-drawn until they differ.
// Trajectories are encoded in chunks of `batch` states to bound memory; each file is written under a
// temporary name and renamed when complete.
import { existsSync } from 'node:fs';
import { makeDirectory } from '../util/fs-errors.js';
import { basename, join, resolve } from 'node:path';

import { WellDataset } from '../data/dataset.js';
import { configHash, LatentCacheWriter, verifyLatentCacheFile } from '../data/latent-cache.js';
import { Rng } from '../data/rng.js';
import { WellFile } from '../data/well-file.js';
import { Autoencoder } from '../models/autoencoder.js';
import { encodeStates } from '../models/chunked-codec.js';
import { getNumThreads, setNumThreads } from '../runtime.js';
import { checkpointName, findCheckpoint } from './checkpoint.js';
import { readRunConfig } from './config.js';
import { joinProcessGroup } from '../launch/process-group.js';
import { ownsItem } from '../launch/run-group.js';
import { commitHdf5, removeOrphanTemporaries, temporaryName, writingTemporary } from '../util/atomic-output.js';
import { guardDisk, type SizeLimitOptions } from '../util/size-guard.js';
import type { Weights } from '../util/parse-choice.js';

export interface CacheLatentsOptions extends SizeLimitOptions {
  split: 'train' | 'valid' | 'test';
  /** Augmented copies per trajectory (default 4 for train, 1 otherwise; > 1 only with augmentations). */
  repeat?: number;
  /** States encoded per call (memory bound); default 16. */
  batch?: number;
  /** Which weights: the last checkpoint (default, as the reference) or the best. */
  weights?: Weights;
  /** Data directory (default: the run's dataset.root). */
  root?: string;
  /** Cache directory (default <run>/cache). */
  out?: string;
  seed?: number;
  device?: string;
  onProgress?: (p: { file: string; done: number; total: number }) => void;
}

export interface CacheLatentsResult {
  files: string[];
  trajectories: number;
  compressionRate: number;
  latentShape: number[];
}

export async function cacheLatents(runDir: string, o: CacheLatentsOptions): Promise<CacheLatentsResult> {
  const dir = resolve(runDir);
  const config = readRunConfig(join(dir, 'config.yaml'));
  const found = findCheckpoint(dir, checkpointName(o.weights));
  if (!found) throw new Error(`${dir}: no ${checkpointName(o.weights)} checkpoint to encode with (train first)`);
  const repeat = o.repeat ?? (o.split === 'train' ? 4 : 1);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`repeat must be a positive integer, got ${repeat}`);
  const batch = o.batch ?? 16;
  const root = resolve(o.root ?? config.dataset.root);
  if (!existsSync(root)) throw new Error(`data directory ${root} does not exist (give --root)`);
  const { root: _root, ...datasetConfig } = config.dataset;

  // One window per trajectory: all its steps.
  const probe = await WellDataset.open({ root, split: o.split, config: datasetConfig, steps: 1 });
  const paths = probe.paths;
  const channels = probe.channels.length;
  probe.close();
  const steps = new Set<number>();
  for (const p of paths) {
    const f = await WellFile.open(p);
    steps.add(f.info.nSteps);
    f.close();
  }
  if (steps.size !== 1) throw new Error(`the ${o.split} files have different numbers of time steps (${[...steps].join(', ')}); cache them separately`);
  const T = [...steps][0]!;
  const augment = o.split === 'train' && repeat > 1;
  const dataset = await WellDataset.open({ root, split: o.split, config: datasetConfig, steps: T, stride: 1, augment });
  if (augment && !datasetConfig.augment.some((a) => a !== 'log_scalars')) {
    dataset.close();
    throw new Error(`repeat ${repeat} needs random augmentations, but dataset ${datasetConfig.name} has none`);
  }

  const ae = Autoencoder.create({ ...config.ae, pix_channels: channels }, { device: o.device ?? config.train.device, precision: config.train.precision }).eval();
  await ae.loadWeights(found.path, { strict: true, ema: config.optim.ema_decay > 0 });
  const aeHash = found.manifest.sha256;
  const [C, ...space] = dataset.stateShape.slice(1);
  const latentShape = ae.latentShape([1, C!, ...space]).slice(1);
  const compressionRate = ae.compressionRate([1, C!, ...space]);
  const labelDim = dataset.labelDim;
  const outRoot = resolve(o.out ?? join(dir, 'cache'));
  const seed = o.seed ?? config.train.seed;

  // Trajectory indices grouped by file, in dataset order.
  const byFile = new Map<string, { physics: string; indices: number[] }>();
  for (let i = 0; i < dataset.length; i++) {
    const loc = dataset.locate(i);
    let entry = byFile.get(loc.file);
    if (!entry) byFile.set(loc.file, (entry = { physics: loc.physics, indices: [] }));
    entry.indices.push(i);
  }

  const written: string[] = [];
  const total = dataset.length * repeat;
  // Before encoding anything: every trajectory's float32 latents (T states) must fit on the disk.
  try {
    guardDisk(`cache-latents: ${total} trajectories × ${T} states × [${latentShape}] latents`, outRoot, 4 * total * T * latentShape.reduce((a, b) => a * b, 1), o);
  } catch (err) {
    dataset.close();
    throw err;
  }
  const threadsBefore = config.train.threads ? getNumThreads() : 0;
  if (config.train.threads) setNumThreads(config.train.threads);
  let done = 0;
  const group = await joinProcessGroup();  // launched as several ranks: each encodes its share of the files
  let fileNumber = 0;
  try {
    for (const [file, { physics, indices }] of byFile) {
      const outDir = join(outRoot, physics, o.split);
      makeDirectory(outDir);
      const target = join(outDir, basename(file));
      if (!ownsItem(group, fileNumber++)) {
        written.push(target);  // written by another rank; there when the barrier below has passed
        continue;
      }
      const tmp = temporaryName(target);
      removeOrphanTemporaries(outDir);
      const n = indices.length * repeat;
      await writingTemporary(tmp, target, async () => {
        const writer = await LatentCacheWriter.create(tmp, {
          n,
          steps: T,
          latentShape,
          labelDim,
          aeHash,
          compressionRate,
          datasetConfigHash: configHash(datasetConfig),
          datasetConfig,
          source: file,
          repeat,
        });
        try {
          let k = 0;
          for (const index of indices) {
            const drawn: Float32Array[] = [];
            for (let r = 0; r < repeat; r++) {
              let item = dataset.item(index, new Rng(`${seed}:cache:${index}:${r}`));
              // Distinct augmentations: re-draw while this one equals an earlier draw (bounded).
              for (let attempt = 1; augment && attempt < 32 && drawn.some((d) => equal(d, item.state.data)); attempt++) {
                item = dataset.item(index, new Rng(`${seed}:cache:${index}:${r}:${attempt}`));
              }
              if (augment) drawn.push(item.state.data);
              const latent = await encodeStates(ae, item.state, batch);
              writer.write(k++, latent, item.label.data);
              done++;
              o.onProgress?.({ file: target, done, total });
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
      await commitHdf5(tmp, target, (path) => verifyLatentCacheFile(path, [n, T, ...latentShape]));
      written.push(target);
    }
  } finally {
    if (threadsBefore) setNumThreads(threadsBefore);
    dataset.close();
  }
  await group.barrier();
  return { files: written, trajectories: dataset.length, compressionRate, latentShape };
}

function equal(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
