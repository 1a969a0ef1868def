// A small generated dataset for the training tests: smooth 16×16 fields (density and a velocity vector)
// of a few random Fourier modes per trajectory, drifting in time, written as Well files in
// <root>/datasets/waves/data/{train,valid,test}/waves.hdf5.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { WellWriter } from '../../lib/data/well-writer.js';
import { readSafetensors } from '../../lib/io/safetensors.js';
import { Rng } from '../../lib/data/rng.js';
import type { DatasetConfig } from '../../lib/data/config.js';

export const WAVES: DatasetConfig = {
  name: 'waves',
  physics: ['waves'],
  fields: [
    { name: 'density', mean: 1, std: 0.5 },
    { name: 'velocity_x', mean: 0, std: 0.5 },
    { name: 'velocity_y', mean: 0, std: 0.5 },
  ],
  augment: ['random_axis_flip', 'random_axis_permute', 'random_axis_roll'],
  stride: 1,
  include_filters: [],
  exclude_filters: [],
};

export function tempDir(prefix = 'le-train-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `identical`: every trajectory of every split the same; `frozen`: no drift in time (every state the same). */
export async function writeWaves(root: string, o: { N?: number; T?: number; trajectories?: Record<string, number>; seed?: number; identical?: boolean; frozen?: boolean } = {}): Promise<void> {
  const N = o.N ?? 16;
  const T = o.T ?? 8;
  const counts = o.trajectories ?? { train: 8, valid: 2, test: 2 };
  for (const [split, B] of Object.entries(counts)) {
    const dir = join(root, 'datasets', 'waves', 'data', split);
    mkdirSync(dir, { recursive: true });
    const coords = Array.from({ length: N }, (_, i) => i / N);
    const w = await WellWriter.create(join(dir, 'waves.hdf5'), {
      datasetName: 'waves',
      nTrajectories: B,
      spatialDims: ['x', 'y'],
      coordinates: { x: coords, y: coords },
      time: Array.from({ length: T }, (_, t) => 0.1 * t),
      parameters: { gamma: 1.4 },
      fields: [{ name: 'density' }, { name: 'velocity', order: 1 }],
      boundaryConditions: { x: 'PERIODIC', y: 'PERIODIC' },
    });
    let rng = new Rng(`${o.seed ?? 0}:${split}`);
    for (let b = 0; b < B; b++) {
      if (o.identical) rng = new Rng(`${o.seed ?? 0}`);
      const modes = Array.from({ length: 3 }, () => ({ kx: 1 + rng.int(2), ky: 1 + rng.int(2), a: 0.3 + 0.5 * rng.random(), p: rng.random(), q: rng.random(), v: o.frozen ? 0 : rng.random() - 0.5 }));
      const data = new Float32Array(T * 3 * N * N);
      for (let t = 0; t < T; t++)
        for (let i = 0; i < N; i++)
          for (let j = 0; j < N; j++) {
            let s = 0;
            let c = 0;
            for (const m of modes) {
              const phase = 2 * Math.PI * (m.kx * coords[i]! + m.ky * coords[j]! + m.p + m.v * t * 0.1);
              s += m.a * Math.sin(phase);
              c += m.a * Math.cos(phase + m.q);
            }
            const at = (ch: number) => ((t * 3 + ch) * N + i) * N + j;
            data[at(0)] = 1 + 0.3 * s;
            data[at(1)] = 0.5 * c;
            data[at(2)] = 0.4 * s * c;
          }
      w.writeTrajectory(b, { data, shape: [T, 3, N, N] });
    }
    w.close();
  }
}

/** A tiny autoencoder (r = 2) for fast tests. */
export const TINY_AE = {
  name: 'tiny',
  lat_channels: 8,
  hid_channels: [16, 32],
  hid_blocks: [1, 1],
  dropout: 0.05,
};

/** A run configuration (raw, for composeConfig) over the waves dataset. */
export function wavesRun(root: string, runsDir: string): Record<string, unknown> {
  return {
    name: 'test',
    runs_dir: runsDir,
    dataset: { ...WAVES, fields: Object.fromEntries(WAVES.fields.map(({ name, ...f }) => [name, f])), root },
    ae: TINY_AE,
    optim: { learning_rate: 1e-3, scheduler: 'cosine', warmup: 2, grad_clip: 1, ema_decay: 0 },
    train: { epochs: 2, epoch_size: 3, batch_size: 4, seed: 7, threads: 1 },
    valid: { epoch_size: 8, batch_size: 4 },
  };
}

/** Every tensor of a safetensors file (weights, optimizer moments, EMA, counters, RNG) as its raw bytes, to compare files exactly. */
export function checkpointTensors(path: string): Map<string, Buffer> {
  const file = readSafetensors(path);
  return new Map(Object.keys(file.entries).map((name) => [name, Buffer.from(file.bytes(name))]));
}
