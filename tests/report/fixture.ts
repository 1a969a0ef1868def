// Synthetic evaluation directories matching the eval command's contract (summary.json format
// latent-emulator-eval/1, animation.json), small enough for quick report tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIELDS = ['density', 'pressure'];
export const LEADS = Array.from({ length: 10 }, (_, i) => i + 1);
export const HORIZONS: [number, number][] = [
  [1, 3],
  [4, 6],
  [7, 10],
];
export const SHAPE: [number, number] = [16, 16];
/** Frames in animation.json: the context (lead 0) and every lead time. */
export const FRAMES = LEADS.length + 1;

export interface RunSpec {
  name: string;
  kind: 'diffusion' | 'surrogate';
  /** VRMSE by horizon, mean over fields. */
  vrmse: (number | null)[];
  /** psd_low/mid/high at the first horizon, mean over fields. */
  psd: [number, number, number];
  secondsPerState: number;
  /** Seconds per state of the built-in solver, or null when not timed. */
  solver: number | null;
  animation: boolean;
  /** rel_/ae_ metrics (latent runs) or none (pixel space). */
  latent: boolean;
}

export const AE = { vrmse: [0.011, 0.014, 0.02], psd: [0.001, 0.006, 0.072] as [number, number, number] };

export const DIFFUSION: RunSpec = { name: 'diffusion_f20', kind: 'diffusion', vrmse: [0.0753, 0.199, 0.395], psd: [0.017, 0.054, 0.112], secondsPerState: 0.084, solver: 10, animation: true, latent: true };
export const SURROGATE: RunSpec = { name: 'surrogate_f20', kind: 'surrogate', vrmse: [0.077, 0.232, null], psd: [0.046, 0.227, 0.821], secondsPerState: 0.013, solver: 10, animation: true, latent: true };

/** A per-lead curve that grows with lead time (scaled per run and field), with one NaN for field 1. */
function curve(base: number, f: number, nan = false): (number | null)[] {
  return LEADS.map((l, i) => (nan && i === 4 ? null : base * (1 + 0.5 * f) * (0.2 + l / 5)));
}

function table(perField: (f: number) => (number | null)[]): Record<string, (number | null)[]> {
  const out: Record<string, (number | null)[]> = {};
  FIELDS.forEach((name, f) => (out[name] = perField(f)));
  out.mean = perField(0).map((_, i) => {
    const vs = FIELDS.map((__, f) => perField(f)[i]).filter((v): v is number => v !== null);
    return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
  });
  return out;
}

export function makeSummary(spec: RunSpec, runDir: string): Record<string, unknown> {
  const scale = spec.kind === 'diffusion' ? 0.05 : 0.07;
  const per_lead: Record<string, Record<string, (number | null)[]>> = {
    vrmse: table((f) => curve(scale, f, f === 1)),
    rmse: table((f) => curve(scale * 2, f)),
    spread_skill: table((f) => LEADS.map((l) => (spec.kind === 'surrogate' ? 0 : 0.9 + 0.01 * l + 0.02 * f))),
  };
  const by_horizon: Record<string, Record<string, (number | null)[]>> = {
    vrmse: { density: spec.vrmse.map((v) => (v === null ? null : v * 0.9)), pressure: spec.vrmse.map((v) => (v === null ? null : v * 1.1)), mean: spec.vrmse },
    psd_low: { density: [spec.psd[0], 0, 0], pressure: [spec.psd[0], 0, 0], mean: [spec.psd[0], 0.5, 0.6] },
    psd_mid: { density: [spec.psd[1], 0, 0], pressure: [spec.psd[1], 0, 0], mean: [spec.psd[1], 0.5, 0.6] },
    psd_high: { density: [spec.psd[2], 0, 0], pressure: [spec.psd[2], 0, 0], mean: [spec.psd[2], 0.5, 0.6] },
  };
  if (spec.latent) {
    per_lead.rel_vrmse = table((f) => curve(scale * 0.8, f));
    per_lead.ae_vrmse = table((f) => LEADS.map(() => 0.012 + 0.002 * f));
    by_horizon.rel_vrmse = { mean: spec.vrmse.map((v) => (v === null ? null : v * 0.8)) };
    by_horizon.ae_vrmse = { mean: AE.vrmse };
    by_horizon.ae_psd_low = { mean: [AE.psd[0], 0, 0] };
    by_horizon.ae_psd_mid = { mean: [AE.psd[1], 0, 0] };
    by_horizon.ae_psd_high = { mean: [AE.psd[2], 0, 0] };
  }
  const k = Array.from({ length: 8 }, (_, i) => (i + 1) / 16);
  const spectra: Record<string, unknown> = {};
  FIELDS.forEach((field, f) => {
    const power = (a: number, tail: number): number[][] => [1, 5, 10].map((l) => k.map((x) => a * (1 + f) * x ** -2 * (x > 0.3 ? tail : 1) * (1 + 0.01 * l)));
    spectra[field] = { k, lead_times: [1, 5, 10], truth: power(1, 1), emulated: power(1, spec.kind === 'diffusion' ? 0.8 : 0.4), autoencoder: spec.latent ? power(1, 0.7) : null };
  });
  return {
    format: 'latent-emulator-eval/1',
    run: runDir,
    name: spec.name,
    kind: spec.kind,
    ae_run: spec.latent ? '/abs/runs/ae_f20' : null,
    compression_rate: spec.latent ? 20 : null,
    dataset: 'euler_open',
    split: 'test',
    fields: FIELDS,
    protocol: { trajectories: 8, samples: spec.kind === 'diffusion' ? 4 : 1, sampler: 'ab', steps: 16, context: 1, overlap: 1, stride: 1, start: 0, seed: 0 },
    lead_times: LEADS,
    horizons: HORIZONS,
    metrics: ['rmse', 'vrmse', 'spread_skill', 'psd_low', 'psd_mid', 'psd_high'],
    per_lead,
    by_horizon,
    spectra,
    speed: { seconds_per_state: spec.secondsPerState, encode_seconds: 0.5, rollout_seconds: 10, decode_seconds: 2, states: 80, samples: 4, device: 'cpu', threads: 2 },
    solver: spec.solver === null ? null : { name: 'euler_multi_quadrants (built-in)', seconds_per_state: spec.solver, resolution: 64 },
    wall_seconds: 60,
  };
}

/** uint8 frames T·H·W of a travelling wave (phase shifted per member), base64. */
function frames(phase: number, noise: number): string {
  const [h, w] = SHAPE;
  const out = new Uint8Array(FRAMES * h * w);
  for (let t = 0; t < FRAMES; t++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const v = 0.5 + 0.45 * Math.sin((2 * Math.PI * (x + 2 * t)) / w + phase) * Math.cos((2 * Math.PI * y) / h) + noise * Math.sin(97 * (x * 13 + y * 7 + t));
        out[(t * h + y) * w + x] = Math.max(0, Math.min(255, Math.round(255 * v)));
      }
  return Buffer.from(out).toString('base64');
}

export function makeAnimation(spec: RunSpec): Record<string, unknown> {
  const members = spec.kind === 'diffusion' ? 4 : 1;
  return {
    trajectory: 3,
    fields: FIELDS,
    lead_times: [0, ...LEADS],
    shape: SHAPE,
    range: Object.fromEntries(FIELDS.map((f, i) => [f, [-1 - i, 2 + i]])),
    truth: Object.fromEntries(FIELDS.map((f, i) => [f, frames(i, 0)])),
    members: Object.fromEntries(FIELDS.map((f, i) => [f, Array.from({ length: members }, (_, m) => frames(i + 0.2 * (m + 1), 0.03))])),
    autoencoder: spec.latent ? Object.fromEntries(FIELDS.map((f, i) => [f, frames(i, 0.01)])) : null,
  };
}

/** Writes an evaluation directory; returns the summary written. */
export function writeEvalDir(dir: string, spec: RunSpec, runDir = dir): Record<string, unknown> {
  mkdirSync(dir, { recursive: true });
  const summary = makeSummary(spec, runDir);
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
  writeFileSync(join(dir, 'metrics.csv'), 'trajectory,field,lead_time,vrmse\n');
  if (spec.animation) writeFileSync(join(dir, 'animation.json'), JSON.stringify(makeAnimation(spec)));
  return summary;
}

/**
 * Two runs from the same autoencoder: a diffusion run directory (evaluation under eval/test/) and a
 * neural-solver evaluation directory given directly.
 */
export function makeFixture(root: string): { diffusionRun: string; surrogateEval: string } {
  const diffusionRun = join(root, 'runs', 'diffusion_f20');
  writeEvalDir(join(diffusionRun, 'eval', 'test'), DIFFUSION, diffusionRun);
  const surrogateEval = join(root, 'evals', 'surrogate_f20');
  writeEvalDir(surrogateEval, SURROGATE, join(root, 'runs', 'surrogate_f20'));
  return { diffusionRun, surrogateEval };
}
