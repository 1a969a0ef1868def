// Tiny trained emulator runs for the tests that evaluate or emulate: a 16×16 autoencoder run on the waves data
// (tests/train/fixtures.ts), its latent cache, and a diffusion and a neural-solver (surrogate) run on it.
import { join } from 'node:path';

import { cacheLatents } from '../../lib/train/cache-latents.js';
import { composeConfig, resolveAeConfig, resolveEmulatorConfig, type EmulatorRunKind } from '../../lib/train/config.js';
import { trainAutoencoder } from '../../lib/train/train-ae.js';
import { trainEmulator } from '../../lib/train/train-emulator.js';
import { wavesRun, writeWaves } from './fixtures.js';

/** A tiny ViT, as the denoiser of a diffusion run or as a surrogate. */
export const TINY_VIT = { name: 'tiny', hid_channels: 32, hid_blocks: 2, attention_heads: 2, ffn_factor: 2, emb_features: 16, dropout: 0 };

const quiet = { progress: 'none' as const, log: () => {} };

/** The common training section of the tiny emulator runs (one epoch of two steps). */
export const TINY_EMULATOR_TRAINING = {
  optim: { learning_rate: 2e-3, scheduler: 'constant', grad_clip: 1 },
  train: { epochs: 1, epoch_size: 2, batch_size: 4, seed: 5, threads: 1 },
  valid: { epoch_size: 4, batch_size: 4 },
  trajectory: { length: 5, stride: 1 },
};

/** Writes the waves data under <root>/data (`trajectories` per split, or writeWaves' default), trains the tiny autoencoder (<root>/runs/ae) and caches its train and valid latents; returns the autoencoder run. */
export async function trainTinyAutoencoder(root: string, trajectories?: Record<'train' | 'valid' | 'test', number>): Promise<string> {
  await writeWaves(join(root, 'data'), trajectories ? { trajectories } : {});
  const ae = resolveAeConfig(composeConfig(wavesRun(join(root, 'data'), join(root, 'runs')), ['train.epochs=1', 'train.epoch_size=2']));
  const aeRun = (await trainAutoencoder(ae, { ...quiet, runDir: join(root, 'runs', 'ae') })).dir;
  await cacheLatents(aeRun, { split: 'train', repeat: 1 });
  await cacheLatents(aeRun, { split: 'valid' });
  return aeRun;
}

/** Trains a tiny emulator run of `kind` on `aeRun` into `runDir` (runs_dir <root>/runs/<kind>); `model` and `optim` replace TINY_VIT and the optimizer section. */
export async function trainTinyEmulator(
  kind: EmulatorRunKind,
  aeRun: string,
  root: string,
  runDir: string,
  overrides: { model?: Record<string, unknown>; optim?: Record<string, unknown> } = {},
): Promise<string> {
  const raw = {
    name: kind,
    runs_dir: join(root, 'runs', kind),
    ae_run: aeRun,
    [kind === 'diffusion' ? 'denoiser' : 'surrogate']: overrides.model ?? TINY_VIT,
    ...TINY_EMULATOR_TRAINING,
    ...(overrides.optim ? { optim: overrides.optim } : {}),
  };
  return (await trainEmulator(resolveEmulatorConfig(composeConfig(raw, [], kind), kind), { ...quiet, runDir })).dir;
}

/** trainTinyAutoencoder, then both emulator kinds (<root>/runs/<kind>/run). */
export async function trainTinyEmulators(root: string, trajectories: Record<'train' | 'valid' | 'test', number>): Promise<{ aeRun: string; runs: Record<EmulatorRunKind, string> }> {
  const aeRun = await trainTinyAutoencoder(root, trajectories);
  const runs: Record<EmulatorRunKind, string> = { diffusion: '', surrogate: '' };
  for (const kind of ['diffusion', 'surrogate'] as const) runs[kind] = await trainTinyEmulator(kind, aeRun, root, join(root, 'runs', kind, 'run'));
  return { aeRun, runs };
}
