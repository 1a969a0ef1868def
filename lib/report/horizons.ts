// Tables by lead-time horizon: VRMSE (mean over fields) per horizon, as in the paper's Table 6, with a
// per-field breakdown, and the power-spectrum (and cross-correlation) RMSE per band at the first horizon,
// as in Tables 8–10. Rows: each evaluation, each evaluation against its autoencoder reconstruction (when
// rel_ metrics exist), each distinct autoencoder, and each distinct baseline (persistence, climatology). An
// emulator cell no better than its persistence baseline at that horizon is flagged (⚠, and in the caption).
import { esc, fmt, horizonLabel } from './html.js';
import { swatch } from './legend.js';
import type { ReportModel, ReportRun } from './model.js';
import { runLabelHtml } from './overview.js';
import type { Num } from './summary.js';
import { table, type Cell } from './table.js';

type Horizon = readonly [number, number];

interface Row {
  /** Row header (HTML). */
  label: string;
  source: ReportRun;
  /** '' (the emulator), 'rel_', 'ae_', or a baseline's 'persistence_' / 'climatology_'. */
  prefix: string;
}

const PSD_KEYS = [
  ['psd_low', 'power, low'],
  ['psd_mid', 'power, mid'],
  ['psd_high', 'power, high'],
  ['xcorr_low', 'cross-corr., low'],
  ['xcorr_mid', 'cross-corr., mid'],
  ['xcorr_high', 'cross-corr., high'],
] as const;

function rowsFor(model: ReportModel, keys: readonly string[]): Row[] {
  const has = (r: ReportRun, prefix: string): boolean => keys.some((k) => r.summary.by_horizon[prefix + k] !== undefined);
  const rows: Row[] = model.runs.map((r) => ({ label: runLabelHtml(r), source: r, prefix: '' }));
  for (const r of model.runs) if (has(r, 'rel_')) rows.push({ label: `${runLabelHtml(r)} <span class="vs">vs autoencoder</span>`, source: r, prefix: 'rel_' });
  for (const a of model.autoencoders) if (has(a.source, 'ae_')) rows.push({ label: `${swatch(a.color, a.dash)}${esc(a.label)}`, source: a.source, prefix: 'ae_' });
  for (const b of model.baselines) if (has(b.source, b.prefix)) rows.push({ label: `${swatch(b.color, b.dash)}${esc(b.label)}`, source: b.source, prefix: b.prefix });
  return rows;
}

function at(row: Row, key: string, field: string, h: Horizon | undefined): Num {
  if (!h) return null;
  const s = row.source.summary;
  const i = s.horizons.findIndex((x) => x[0] === h[0] && x[1] === h[1]);
  return i < 0 ? null : (s.by_horizon[row.prefix + key]?.[field]?.[i] ?? null);
}

/** The persistence value an emulator row is compared with at horizon h (same key and field), if any. */
function persistenceOf(model: ReportModel, row: Row, key: string, field: string, h: Horizon | undefined): Num {
  if (row.prefix !== '') return null;
  const b = model.baselines.find((x) => x.prefix === 'persistence_' && x.runs.includes(row.source));
  return b ? at({ label: '', source: b.source, prefix: b.prefix }, key, field, h) : null;
}

/**
 * Cells for one column of values; the lowest emulator value is marked when two or more compete, and an
 * emulator value no better than (≥) persistence's is flagged when `persistence` values are given.
 */
function column(rows: readonly Row[], values: readonly Num[], persistence?: readonly Num[]): Cell[] {
  const emulator = values.filter((v, i) => rows[i]!.prefix === '' && v !== null) as number[];
  const best = emulator.length > 1 ? Math.min(...emulator) : null;
  return values.map((v, i) => {
    const p = persistence?.[i] ?? null;
    const flagged = v !== null && p !== null && v >= p;
    const classes = [best !== null && rows[i]!.prefix === '' && v === best ? 'best' : '', flagged ? 'flag' : ''].filter(Boolean).join(' ');
    const html = flagged ? `${esc(fmt(v))}<span class="flag" title="no better than persistence (${esc(fmt(p))})" aria-label="no better than persistence"> ⚠</span>` : esc(fmt(v));
    return { html, className: classes || undefined };
  });
}

function transpose(cols: readonly Cell[][], n: number): Cell[][] {
  return Array.from({ length: n }, (_, i) => cols.map((c) => c[i]!));
}

function horizonColumns(model: ReportModel): Horizon[] {
  const out: Horizon[] = [];
  for (const r of model.runs) for (const h of r.summary.horizons) if (!out.some((x) => x[0] === h[0] && x[1] === h[1])) out.push(h);
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

export function horizonSection(model: ReportModel): string {
  const horizons = horizonColumns(model);
  const rows = rowsFor(model, ['vrmse']);
  const cols = horizons.map((h) => column(rows, rows.map((r) => at(r, 'vrmse', 'mean', h)), rows.map((r) => persistenceOf(model, r, 'vrmse', 'mean', h))));
  const body = transpose(cols, rows.length).map((cells, i) => [rows[i]!.label, ...cells]);
  const flagged = cols.some((c) => c.some((cell) => cell.className?.includes('flag')));
  const main = table({
    caption: `VRMSE by lead-time horizon, mean over fields (lower is better; bold: best emulator${
      model.baselines.length ? '; persistence repeats the last context state, climatology is the train split’s mean state at the same step' : ''
    }${flagged ? '; ⚠ no better than persistence' : ''})`,
    head: ['Evaluation', ...horizons.map((h) => esc(horizonLabel(h)))],
    rows: body,
    className: 'num',
  });

  const perField: (string | Cell)[][] = [];
  for (const f of model.fields) {
    const vals = horizons.map((h) => column(rows, rows.map((r) => at(r, 'vrmse', f, h)), rows.map((r) => persistenceOf(model, r, 'vrmse', f, h))));
    transpose(vals, rows.length).forEach((cells, i) => perField.push([`<code>${esc(f)}</code>`, rows[i]!.label, ...cells]));
  }
  const details = table({
    caption: 'VRMSE by horizon and field',
    head: ['Field', 'Evaluation', ...horizons.map((h) => esc(horizonLabel(h)))],
    rows: perField,
    className: 'num',
  });

  const psdRows = rowsFor(model, PSD_KEYS.map((k) => k[0]));
  const first = (r: Row): Horizon | undefined => r.source.summary.horizons[0];
  const psdCols = PSD_KEYS.map(([k]) => psdRows.map((r) => at(r, k, 'mean', first(r))));
  const keep = PSD_KEYS.map((_, j) => psdCols[j]!.some((v) => v !== null));
  const shown = PSD_KEYS.filter((_, j) => keep[j]);
  const psdCells = transpose(
    psdCols.filter((_, j) => keep[j]).map((c) => column(psdRows, c)),
    psdRows.length,
  );
  const psd = table({
    caption: 'Spectral RMSE per frequency band at the first horizon, mean over fields: power is √mean(1 − p_v/p_u)², cross-correlation √mean(1 − c_uv/√(p_u p_v))² (lower is better)',
    head: ['Evaluation', 'Horizon', ...shown.map(([, label]) => esc(label))],
    rows: psdCells.map((cells, i) => {
      const h = first(psdRows[i]!);
      return [psdRows[i]!.label, h ? esc(horizonLabel(h)) : '–', ...cells];
    }),
    className: 'num',
  });

  return `<section id="horizons" aria-labelledby="horizons-h"><h2 id="horizons-h">Accuracy by horizon</h2>
${main}
<details><summary>Per field</summary>${details}</details>
${psd}</section>`;
}
