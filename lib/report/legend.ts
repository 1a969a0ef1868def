// Line legends shared by the plot sections: a short sample of each line (colour and dash) and its label.
import { esc } from './html.js';

export interface LegendEntry {
  label: string;
  color: string;
  dash?: string;
}

export function swatch(color: string, dash?: string): string {
  const d = dash ? ` stroke-dasharray="${esc(dash)}"` : '';
  return `<svg class="sw" viewBox="0 0 26 8" aria-hidden="true"><path d="M1 4h24" stroke="${esc(color)}" stroke-width="2.2"${d}/></svg>`;
}

export function legend(entries: readonly LegendEntry[], label = 'Legend'): string {
  if (entries.length === 0) return '';
  const items = entries.map((e) => `<li>${swatch(e.color, e.dash)}${esc(e.label)}</li>`).join('');
  return `<ul class="legend" aria-label="${esc(label)}">${items}</ul>`;
}
