// The animation section: per evaluation with an animation.json, one canvas per field showing the ground
// truth beside up to three ensemble members (and the autoencoder reconstruction when present), with
// play/pause, single-frame steps and a frame slider. The uint8 frames travel as the evaluation wrote them
// (base64) inside a JSON block; player-script.ts decodes and colours them in the browser.
import { viridisGradient } from './colors.js';
import { esc, fmt, jsonForScript, MISSING } from './html.js';
import type { ReportModel, ReportRun } from './model.js';

export const MAX_MEMBERS = 3;
/** Panels are magnified by an integer factor to about this many CSS pixels. */
const PANEL_TARGET = 160;
const GAP = 4;
const STRIP = 16;

export interface CanvasGeometry {
  scale: number;
  gap: number;
  strip: number;
  width: number;
  height: number;
}

export function canvasGeometry(h: number, w: number, panels: number): CanvasGeometry {
  const scale = Math.max(1, Math.floor(PANEL_TARGET / Math.max(h, w)));
  return { scale, gap: GAP, strip: STRIP, width: panels * w * scale + (panels - 1) * GAP, height: STRIP + h * scale };
}

interface Panel {
  label: string;
  data: string;
}

function panelsOf(r: ReportRun, field: string): Panel[] {
  const a = r.animation!;
  const members = (a.members[field] ?? []).slice(0, MAX_MEMBERS);
  const memberLabel = (i: number): string => (members.length === 1 ? (r.summary.kind === 'surrogate' ? 'neural solver' : 'emulation') : `member ${i + 1}`);
  const panels: Panel[] = [{ label: 'truth', data: a.truth[field]! }, ...members.map((data, i) => ({ label: memberLabel(i), data }))];
  const ae = a.autoencoder?.[field];
  if (ae !== undefined) panels.push({ label: 'autoencoder', data: ae });
  return panels;
}

function runAnimation(r: ReportRun): string {
  const a = r.animation!;
  const [h, w] = a.shape;
  const id = `anim-data-${r.index}`;
  const fields = a.fields.map((name) => ({ name, panels: panelsOf(r, name) }));
  const n = Math.max(...fields.map((f) => f.panels.length));
  const g = canvasGeometry(h, w, n);
  const frames = a.lead_times.length;
  const figures = fields.map((f) => {
    const range = a.range[f.name];
    const labels = f.panels.map((p) => p.label).join(', ');
    const width = f.panels.length * w * g.scale + (f.panels.length - 1) * g.gap;
    const bar = `<span class="cbar"><span>${esc(fmt(range?.[0]))}</span><span class="ramp" style="background:${viridisGradient()}" aria-hidden="true"></span><span>${esc(fmt(range?.[1]))}</span></span>`;
    return `<figure class="anim-field"><figcaption><code>${esc(f.name)}</code> ${bar}</figcaption><canvas data-field="${esc(f.name)}" width="${width}" height="${g.height}" role="img" aria-label="${esc(`${f.name}: ${labels}`)}">${esc(`${f.name}: ${labels}`)}</canvas></figure>`;
  });
  const data = { shape: [h, w], lead_times: a.lead_times, scale: g.scale, gap: g.gap, strip: g.strip, fields };
  const traj = typeof a.trajectory === 'number' ? `trajectory ${esc(a.trajectory)}, ` : '';
  const first = `lead time ${a.lead_times[0] ?? MISSING} (context)`;
  return `<article class="anim" data-anim="${id}" data-frame="0" aria-labelledby="${id}-h">
<h3 id="${id}-h">${esc(r.label)}</h3>
<p class="sub">${traj}${frames} frames of ${h}×${w}; panels: ${esc(fields[0]?.panels.map((p) => p.label).join(', ') ?? '')}. Colour scale per field, fixed over time.</p>
<div class="controls" role="group" aria-label="${esc(`Animation controls, ${r.label}`)}">
<button type="button" data-act="play">Play</button>
<button type="button" data-act="prev" aria-label="Previous frame">◀</button>
<button type="button" data-act="next" aria-label="Next frame">▶</button>
<label>Frame <input type="range" min="0" max="${Math.max(0, frames - 1)}" step="1" value="0" aria-valuetext="${esc(first)}"></label>
<output>frame 1 of ${frames} · ${esc(first)}</output>
</div>
<div class="anim-fields">${figures.join('')}</div>
<script type="application/json" id="${id}">${jsonForScript(data)}</script>
</article>`;
}

/** The section, or '' when no evaluation has an animation. */
export function animationSection(model: ReportModel): string {
  const runs = model.runs.filter((r) => r.animation !== null && r.animation.fields.length > 0 && r.animation.lead_times.length > 0);
  if (runs.length === 0) return '';
  return `<section id="animations" aria-labelledby="animations-h"><h2 id="animations-h">Animations</h2>
<noscript><p class="warn">The animations need JavaScript.</p></noscript>
${runs.map(runAnimation).join('\n')}</section>`;
}
