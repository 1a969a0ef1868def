// Small multiples of a metric against lead time: one panel for the mean over fields and one per field,
// one line per evaluation, plus each autoencoder's ae_ curve dashed and each baseline's curve (grey, dotted)
// when asked for.
import { esc } from './html.js';
import { legend, type LegendEntry } from './legend.js';
import type { ReportModel, ReportRun } from './model.js';
import { linePlot, type Series } from './svg-plot.js';

export interface CurveSectionSpec {
  id: string;
  heading: string;
  /** Introductory paragraph (HTML). */
  intro: string;
  /** per_lead key of the evaluations' curves ("vrmse", "rel_vrmse", "spread_skill"). */
  metric: string;
  yLabel: string;
  /** Also draw each autoencoder's `ae_<metric>` curve, dashed. */
  autoencoder?: boolean;
  /** Also draw each baseline's `<baseline>_<metric>` curve (persistence, climatology). */
  baselines?: boolean;
  /** Which evaluations to draw (default: all). */
  include?: (r: ReportRun) => boolean;
  refY?: number[];
}

export function panelTitle(field: string): string {
  return field === 'mean' ? 'mean over fields' : field;
}

/** The section, or '' when no evaluation holds the metric. */
export function curveSection(model: ReportModel, spec: CurveSectionSpec): string {
  const runs = model.runs.filter((r) => (spec.include ? spec.include(r) : true) && r.summary.per_lead[spec.metric] !== undefined);
  const aes = spec.autoencoder ? model.autoencoders.filter((a) => a.source.summary.per_lead[`ae_${spec.metric}`] !== undefined) : [];
  const baselines = spec.baselines ? model.baselines.filter((b) => b.source.summary.per_lead[`${b.prefix}${spec.metric}`] !== undefined) : [];
  if (runs.length === 0) return '';
  const panels = ['mean', ...model.fields];
  const figures = panels.map((field) => {
    const series: Series[] = runs.map((r) => ({ label: r.label, x: r.summary.lead_times, y: r.summary.per_lead[spec.metric]![field] ?? [], color: r.color }));
    for (const a of aes) {
      series.push({ label: a.label, x: a.source.summary.lead_times, y: a.source.summary.per_lead[`ae_${spec.metric}`]![field] ?? [], color: a.color, dash: a.dash, width: 1.3 });
    }
    for (const b of baselines) {
      series.push({ label: b.label, x: b.source.summary.lead_times, y: b.source.summary.per_lead[`${b.prefix}${spec.metric}`]![field] ?? [], color: b.color, dash: b.dash, width: 1.3 });
    }
    const plot = linePlot({ title: panelTitle(field), xLabel: 'lead time', yLabel: spec.yLabel, series, zero: true, refY: spec.refY });
    return `<figure class="panel">${plot}</figure>`;
  });
  const entries: LegendEntry[] = [
    ...runs.map((r) => ({ label: r.label, color: r.color })),
    ...aes.map((a) => ({ label: a.label, color: a.color, dash: a.dash })),
    ...baselines.map((b) => ({ label: b.label, color: b.color, dash: b.dash })),
  ];
  if (spec.refY?.length) entries.push({ label: `reference ${spec.refY.join(', ')}`, color: '#888888', dash: '3 3' });
  return `<section id="${esc(spec.id)}" aria-labelledby="${esc(spec.id)}-h"><h2 id="${esc(spec.id)}-h">${esc(spec.heading)}</h2>
<p>${spec.intro}</p>${legend(entries, `${spec.heading} legend`)}<div class="grid">${figures.join('')}</div></section>`;
}
