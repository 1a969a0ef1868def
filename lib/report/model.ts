// What the report is drawn from: the evaluations in input order, each with a unique label and colour,
// and the distinct autoencoders behind them (runs sharing one autoencoder, dataset and split share its
// ae_ curves, drawn once).
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

export interface ReportModel {
  runs: ReportRun[];
  autoencoders: AutoencoderRef[];
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

  const fields: string[] = [];
  for (const r of runs) for (const f of r.summary.fields) if (!fields.includes(f)) fields.push(f);
  return { runs, autoencoders, fields };
}
