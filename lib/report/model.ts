// What the report is drawn from: the evaluations in input order, each with a unique label and colour,
// and the distinct autoencoders behind them (runs sharing one autoencoder, dataset and split share its
// ae_ curves, drawn once), and the distinct baselines (persistence, climatology) scored beside them: the
// evaluations of one dataset, split and protocol share identical baseline numbers, drawn and tabled once.
import { basename } from 'node:path';
import { AE_DASHES, runColor } from './colors.js';
import { readAnimation, readSummary, type EvalAnimation, type EvalSummary } from './summary.js';

export interface ReportRun {
  index: number;
  /** Evaluation directory (absolute). */
  dir: string;
  /** Unique display label (the run name, with the evaluation folder appended when names repeat). */
  label: string;
  color: string;
  summary: EvalSummary;
  animation: EvalAnimation | null;
  /** Why animation.json could not be used, when it exists but breaks the contract. */
  animationError: string | null;
  /** The autoencoder this evaluation's ae_ metrics describe, if any. */
  autoencoder: AutoencoderRef | null;
}

export interface AutoencoderRef {
  label: string;
  color: string;
  dash: string;
  /** The first evaluation holding this autoencoder's ae_ metrics and spectra; they are read from it. */
  source: ReportRun;
  runs: ReportRun[];
}

/** One baseline forecast (persistence or climatology) of one group of like-for-like evaluations. */
export interface BaselineRef {
  /** Metric-key prefix in the summaries: `persistence_`, `climatology_`. */
  prefix: string;
  name: string;
  label: string;
  color: string;
  dash: string;
  /** The first evaluation holding these baseline metrics; they are read from it. */
  source: ReportRun;
  runs: ReportRun[];
}

/** Baselines in drawing order, with their line styles (grey: they are references, not models). */
export const BASELINE_STYLES = [
  { name: 'persistence', color: '#6e7781', dash: '1 3' },
  { name: 'climatology', color: '#6e7781', dash: '6 2 1 2' },
] as const;

export interface ReportModel {
  runs: ReportRun[];
  autoencoders: AutoencoderRef[];
  baselines: BaselineRef[];
  /** Union of the evaluated fields, in order of first appearance. */
  fields: string[];
}

function hasAeMetrics(s: EvalSummary): boolean {
  return Object.keys(s.per_lead).some((k) => k.startsWith('ae_')) || Object.keys(s.by_horizon).some((k) => k.startsWith('ae_'));
}

function rateLabel(rate: number | null | undefined): string {
  return typeof rate === 'number' ? ` ÷${String(Number(rate.toPrecision(4)))}` : '';
}

/** Reads every evaluation directory and builds the model. */
export function loadModel(dirs: readonly string[]): ReportModel {
  const runs: ReportRun[] = dirs.map((dir, index) => {
    const summary = readSummary(dir);
    let animation: EvalAnimation | null = null;
    let animationError: string | null = null;
    try {
      animation = readAnimation(dir);
    } catch (err) {
      animationError = (err as Error).message;
    }
    return { index, dir, label: summary.name, color: runColor(index), summary, animation, animationError, autoencoder: null };
  });
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  const used = new Set<string>();
  for (const r of runs) {
    let label = counts.get(r.label)! > 1 ? `${r.label} (${basename(r.dir)})` : r.label;
    for (let k = 2; used.has(label); k++) label = `${r.label} (${k})`;
    used.add(label);
    r.label = label;
  }

  const groups = new Map<string, AutoencoderRef>();
  for (const r of runs) {
    if (!hasAeMetrics(r.summary)) continue;
    const s = r.summary;
    const key = JSON.stringify([s.ae_run ?? r.dir, s.dataset, s.split]);
    let ae = groups.get(key);
    if (!ae) {
      const i = groups.size;
      ae = { label: `autoencoder${rateLabel(s.compression_rate)}`, color: r.color, dash: AE_DASHES[i % AE_DASHES.length]!, source: r, runs: [] };
      groups.set(key, ae);
    }
    ae.runs.push(r);
    r.autoencoder = ae;
  }
  const autoencoders = [...groups.values()];
  const aeLabels = new Map<string, number>();
  for (const a of autoencoders) aeLabels.set(a.label, (aeLabels.get(a.label) ?? 0) + 1);
  for (const a of autoencoders) {
    if (aeLabels.get(a.label)! > 1) {
      const ae = a.source.summary.ae_run;
      a.label = `${a.label} (${ae ? basename(ae) : a.source.label})`;
    }
  }

  // Baselines: grouped by their own numbers (identical for evaluations of the same trajectories and protocol).
  const baselines: BaselineRef[] = [];
  for (const style of BASELINE_STYLES) {
    const prefix = `${style.name}_`;
    const mine: BaselineRef[] = [];
    const keys = new Map<string, BaselineRef>();
    for (const r of runs) {
      const s = r.summary;
      if (s.per_lead[`${prefix}vrmse`] === undefined) continue;
      const key = JSON.stringify([s.dataset, s.split, s.lead_times, s.per_lead[`${prefix}vrmse`]]);
      let b = keys.get(key);
      if (!b) {
        b = { prefix, name: style.name, label: style.name, color: style.color, dash: style.dash, source: r, runs: [] };
        keys.set(key, b);
        mine.push(b);
      }
      b.runs.push(r);
    }
    if (mine.length > 1) for (const b of mine) b.label = `${style.name} (${b.runs.map((r) => r.label).join(', ')})`;
    baselines.push(...mine);
  }

  const fields: string[] = [];
  for (const r of runs) for (const f of r.summary.fields) if (!fields.includes(f)) fields.push(f);
  return { runs, autoencoders, baselines, fields };
}
