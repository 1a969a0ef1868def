// The report's first section: which evaluations are compared (run, kind, dataset, autoencoder and the
// rollout protocol) and a warning when they were not evaluated the same way.
import { basename } from 'node:path';
import { esc, fmtSeconds, MISSING } from './html.js';
import { swatch } from './legend.js';
import type { ReportModel, ReportRun } from './model.js';
import { table } from './table.js';

/** Protocol keys shown in the protocol columns; any other key is listed under "other". */
const PROTOCOL_SHOWN = ['trajectories', 'samples', 'sampler', 'steps', 'context', 'overlap', 'stride', 'start', 'seed'] as const;
/** Protocol keys that must agree for the curves to be comparable. */
const COMPARABLE = ['trajectories', 'context', 'overlap', 'stride', 'start', 'seed'] as const;

function value(v: unknown): string {
  if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) return MISSING;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

export function runLabelHtml(r: ReportRun): string {
  return `${swatch(r.color)}${esc(r.label)}`;
}

function kindLabel(kind: string): string {
  return kind === 'surrogate' ? 'neural solver' : kind;
}

function mismatches(model: ReportModel): string[] {
  const out: string[] = [];
  const differs = (get: (r: ReportRun) => unknown): boolean => new Set(model.runs.map((r) => value(get(r)))).size > 1;
  if (differs((r) => r.summary.dataset)) out.push('dataset');
  if (differs((r) => r.summary.split)) out.push('split');
  for (const k of COMPARABLE) if (differs((r) => r.summary.protocol[k])) out.push(k);
  if (differs((r) => JSON.stringify(r.summary.horizons))) out.push('horizons');
  return out;
}

export function overviewSection(model: ReportModel): string {
  const head = ['Evaluation', 'Kind', 'Dataset', 'Autoencoder', 'Trajectories', 'Members', 'Sampler', 'Context / overlap / stride', 'Start', 'Seed', 'Other', 'Wall time'];
  const rows = model.runs.map((r) => {
    const s = r.summary;
    const p = (k: string): string => esc(value(s.protocol[k]));
    const ae = s.ae_run ? `<code title="${esc(s.ae_run)}">${esc(basename(s.ae_run))}</code>${typeof s.compression_rate === 'number' ? ` ÷${esc(s.compression_rate)}` : ''}` : 'none (pixel space)';
    const other = Object.entries(s.protocol)
      .filter(([k]) => !(PROTOCOL_SHOWN as readonly string[]).includes(k))
      .map(([k, v]) => `${esc(k)}=${esc(value(v))}`)
      .join(', ');
    const sampler = s.protocol.sampler === undefined && s.protocol.steps === undefined ? MISSING : `${p('sampler')}, ${p('steps')} steps`;
    return [
      runLabelHtml(r),
      esc(kindLabel(s.kind)),
      `${esc(s.dataset ?? MISSING)}${s.split ? ` (${esc(s.split)})` : ''}`,
      ae,
      p('trajectories'),
      p('samples'),
      s.kind === 'surrogate' ? MISSING : sampler,
      `${p('context')} / ${p('overlap')} / ${p('stride')}`,
      p('start'),
      p('seed'),
      other || MISSING,
      esc(fmtSeconds(s.wall_seconds)),
    ];
  });
  // The "Other" column only when some evaluation has protocol keys beyond the known ones.
  if (rows.every((r) => r[10] === MISSING)) {
    head.splice(10, 1);
    for (const r of rows) r.splice(10, 1);
  }
  const dirs = model.runs
    .map((r) => `<li>${esc(r.label)}: <code class="path">${esc(r.dir)}</code>${r.summary.ae_run ? `, autoencoder <code class="path">${esc(r.summary.ae_run)}</code>` : ''}</li>`)
    .join('');
  const fields = model.fields.map((f) => `<code>${esc(f)}</code>`).join(', ');
  const leads = model.runs[0]!.summary.lead_times;
  const bad = mismatches(model);
  const warn = bad.length
    ? `<p class="warn" role="note"><strong>Not like-for-like:</strong> the evaluations differ in ${bad.map((b) => esc(b)).join(', ')}; compare the curves with care.</p>`
    : '';
  const notes = model.runs
    .filter((r) => r.animationError)
    .map((r) => `<p class="warn" role="note">Animation of ${esc(r.label)} skipped: ${esc(r.animationError)}</p>`)
    .join('');
  return `<section id="runs" aria-labelledby="runs-h"><h2 id="runs-h">Evaluations</h2>
<p>Fields: ${fields}. Lead times ${esc(leads[0] ?? MISSING)} to ${esc(leads[leads.length - 1] ?? MISSING)} (raw simulation steps). Metrics are computed in physical units per field and lead time, averaged over trajectories; “vs truth” compares the emulation with the simulation, “vs autoencoder” with its autoencoder reconstruction D(E(x)).</p>
${warn}${notes}${table({ caption: 'Evaluations compared and their rollout protocol', head, rows, className: 'wrap-head' })}
<details><summary>Directories</summary><ul>${dirs}</ul></details></section>`;
}
