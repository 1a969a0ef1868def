// The study's comparison table in the paper's layout: rows model × compression (each autoencoder's own
// reconstruction first, then its emulators), then the baselines; columns the lead-time horizons; cells the
// VRMSE (mean over fields, physical units, mean over the horizon's lead times) and, for ensembles, the
// spread/skill. Written as comparison.md (for reading) and comparison.csv (one row per cell, for analysis).
import { relative } from 'node:path';

import type { EvalSummary } from '../eval/evaluate.js';

export interface ComparisonEval {
  summary: EvalSummary;
  dir: string;
  aeVariant: string;
  /** e.g. "diffusion", "surrogate-w64". */
  model: string;
  sampler: { sampler: string; steps: number } | null;
  context: number;
}

export interface ComparisonRow {
  model: string;
  kind: 'autoencoder' | 'diffusion' | 'surrogate' | 'baseline';
  autoencoder: string | null;
  compression_rate: number | null;
  sampler: string | null;
  steps: number | null;
  context: number | null;
  /** One value per horizon (null: not computed). */
  vrmse: Array<number | null>;
  spread_skill: Array<number | null> | null;
  eval_dir: string | null;
}

export interface Comparison {
  horizons: Array<[number, number]>;
  rows: ComparisonRow[];
}

export const COMPARISON_CSV_COLUMNS = ['model', 'kind', 'autoencoder', 'compression_rate', 'sampler', 'steps', 'context', 'horizon', 'vrmse', 'spread_skill', 'eval_dir'];

/** The rows; evaluations must share their horizons (the study evaluates them alike). */
export function buildComparison(evals: readonly ComparisonEval[]): Comparison {
  if (evals.length === 0) throw new Error('comparison: no evaluation to compare');
  const horizons = evals[0]!.summary.horizons;
  for (const e of evals)
    if (JSON.stringify(e.summary.horizons) !== JSON.stringify(horizons))
      throw new Error(`comparison: ${e.dir} has horizons ${JSON.stringify(e.summary.horizons)}, not ${JSON.stringify(horizons)} as ${evals[0]!.dir}`);
  const mean = (s: EvalSummary, key: string) => (s.by_horizon[key]?.mean ?? horizons.map(() => null)).map((v) => (v === undefined ? null : v));
  const contexts = new Set(evals.map((e) => e.context));
  const samplers = new Set(evals.map((e) => (e.sampler ? `${e.sampler.sampler}${e.sampler.steps}` : '')).filter(Boolean));
  const rows: ComparisonRow[] = [];
  // Autoencoders in increasing compression, each followed by its emulators in the order evaluated.
  const aes = [...new Set(evals.map((e) => e.aeVariant))].sort(
    (a, b) => (evals.find((e) => e.aeVariant === a)!.summary.compression_rate ?? 0) - (evals.find((e) => e.aeVariant === b)!.summary.compression_rate ?? 0),
  );
  for (const ae of aes) {
    const mine = evals.filter((e) => e.aeVariant === ae);
    const first = mine[0]!.summary;
    const rate = first.ae_run ? first.compression_rate : null;
    if (first.by_horizon.ae_vrmse)
      rows.push({ model: `autoencoder ${ae}`, kind: 'autoencoder', autoencoder: ae, compression_rate: rate, sampler: null, steps: null, context: null, vrmse: mean(first, 'ae_vrmse'), spread_skill: null, eval_dir: mine[0]!.dir });
    for (const e of mine) {
      const s = e.summary;
      const tags = [e.sampler && samplers.size > 1 ? `${e.sampler.sampler} ${e.sampler.steps}` : '', contexts.size > 1 ? `c=${e.context}` : ''].filter(Boolean);
      rows.push({
        model: `${e.model}${tags.length ? ` (${tags.join(', ')})` : ''}`,
        kind: s.kind,
        autoencoder: ae,
        compression_rate: rate,
        sampler: e.sampler?.sampler ?? null,
        steps: e.sampler?.steps ?? null,
        context: e.context,
        vrmse: mean(s, 'vrmse'),
        spread_skill: s.kind === 'diffusion' ? mean(s, 'spread_skill') : null,
        eval_dir: e.dir,
      });
    }
  }
  // Baselines depend only on the data and the protocol: one row per context length.
  for (const name of ['persistence', 'climatology'])
    for (const c of [...contexts].sort((a, b) => a - b)) {
      const e = evals.find((x) => x.context === c && x.summary.by_horizon[`${name}_vrmse`]);
      if (e)
        rows.push({ model: contexts.size > 1 ? `${name} (c=${c})` : name, kind: 'baseline', autoencoder: null, compression_rate: null, sampler: null, steps: null, context: c, vrmse: mean(e.summary, `${name}_vrmse`), spread_skill: null, eval_dir: e.dir });
    }
  return { horizons, rows };
}

const num = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/** The Markdown table: `VRMSE (spread/skill)` per horizon. */
export function comparisonMarkdown(c: Comparison, title?: string): string {
  const head = ['model', 'compression', ...c.horizons.map(([a, b]) => `${a}:${b}`)];
  const lines = [
    ...(title ? [`### ${title}`, ''] : []),
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...c.rows.map((r) => {
      const cells = r.vrmse.map((v, h) => (r.spread_skill ? `${num(v)} (${num(r.spread_skill[h], 2)})` : num(v)));
      return `| ${r.model} | ${r.compression_rate === null ? '–' : `÷${Number(r.compression_rate.toPrecision(4))}`} | ${cells.join(' | ')} |`;
    }),
    '',
    'Cells: VRMSE, mean over fields and over the horizon’s lead times (lead times in simulation steps), physical units; (spread/skill) for diffusion ensembles, 1 = calibrated. ' +
      'persistence repeats the last context state; climatology is the train split’s mean state at the same time step.',
  ];
  return `${lines.join('\n')}\n`;
}

/** One CSV row per (row, horizon); evaluation directories relative to `root`. */
export function comparisonCsv(c: Comparison, root: string): string {
  const csvNumber = (v: number | null) => (v === null || !Number.isFinite(v) ? '' : String(v));
  const quoteCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [COMPARISON_CSV_COLUMNS.join(',')];
  for (const r of c.rows)
    c.horizons.forEach(([a, b], h) =>
      lines.push(
        [r.model, r.kind, r.autoencoder ?? '', r.compression_rate ?? '', r.sampler ?? '', r.steps ?? '', r.context ?? '', `${a}:${b}`, csvNumber(r.vrmse[h] ?? null), csvNumber(r.spread_skill?.[h] ?? null), r.eval_dir ? relative(root, r.eval_dir) : '']
          .map((x) => quoteCell(String(x)))
          .join(','),
      ),
    );
  return `${lines.join('\n')}\n`;
}
