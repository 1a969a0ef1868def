// Isotropic power spectra (log–log) per field at the stored lead times: the ground truth, each
// evaluation's emulation and each autoencoder's reconstruction. Lead times follow the first evaluation
// holding the field's spectra; other evaluations are matched on equal lead times.
import { esc, fmt } from './html.js';
import { TRUTH_COLOR } from './colors.js';
import { legend, type LegendEntry } from './legend.js';
import type { ReportModel } from './model.js';
import type { Spectrum } from './summary.js';
import { linePlot, type Series } from './svg-plot.js';

function row(s: Spectrum | undefined, which: 'truth' | 'emulated' | 'autoencoder', lead: number): (number | null)[] | undefined {
  if (!s) return undefined;
  const i = s.lead_times.indexOf(lead);
  return i < 0 ? undefined : (s[which] ?? undefined)?.[i];
}

function ks(s: Spectrum): number[] {
  return s.k.map((k) => (k === null ? Number.NaN : k));
}

export function spectraSection(model: ReportModel): string {
  const spectrumOf = (runIndex: number, field: string): Spectrum | undefined => model.runs[runIndex]!.summary.spectra?.[field];
  const blocks: string[] = [];
  let anyAe = false;
  for (const field of model.fields) {
    const first = model.runs.find((r) => r.summary.spectra?.[field] !== undefined);
    if (!first) continue;
    const ref = first.summary.spectra![field]!;
    const panels = ref.lead_times.map((lead) => {
      const series: Series[] = [];
      const truth = row(ref, 'truth', lead);
      if (truth) series.push({ label: 'ground truth', x: ks(ref), y: truth, color: TRUTH_COLOR, width: 1.8 });
      for (const r of model.runs) {
        const s = spectrumOf(r.index, field);
        const y = row(s, 'emulated', lead);
        if (s && y) series.push({ label: r.label, x: ks(s), y, color: r.color });
      }
      for (const a of model.autoencoders) {
        const s = a.source.summary.spectra?.[field];
        const y = row(s, 'autoencoder', lead);
        if (s && y) {
          anyAe = true;
          series.push({ label: a.label, x: ks(s), y, color: a.color, dash: a.dash, width: 1.3 });
        }
      }
      const plot = linePlot({ title: `lead time ${fmt(lead)}`, xLabel: 'wavenumber k (cycles/pixel)', yLabel: 'power', series, xLog: true, yLog: true });
      return `<figure class="panel">${plot}</figure>`;
    });
    blocks.push(`<figure class="field-block"><figcaption><code>${esc(field)}</code></figcaption><div class="grid">${panels.join('')}</div></figure>`);
  }
  if (blocks.length === 0) return '';
  const entries: LegendEntry[] = [{ label: 'ground truth', color: TRUTH_COLOR }, ...model.runs.map((r) => ({ label: r.label, color: r.color }))];
  if (anyAe) for (const a of model.autoencoders) entries.push({ label: a.label, color: a.color, dash: a.dash });
  return `<section id="spectra" aria-labelledby="spectra-h"><h2 id="spectra-h">Power spectra</h2>
<p>Isotropic power spectra at a few lead times, binned by wavenumber magnitude |k| (log–log). Missing high-frequency power in the emulation is bounded by what the autoencoder reconstructs.</p>${legend(entries, 'Power spectra legend')}${blocks.join('')}</section>`;
}
