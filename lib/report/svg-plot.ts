// A small, dependency-free SVG line plot (linear or logarithmic axes) for the report's small multiples.
// Missing values (null, non-finite, or non-positive on a log axis) break a line instead of joining across.
import { esc } from './html.js';

export interface Series {
  label: string;
  x: readonly number[];
  y: readonly (number | null)[];
  color: string;
  /** SVG stroke-dasharray; solid when absent. */
  dash?: string;
  width?: number;
}

export interface LinePlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  xLog?: boolean;
  yLog?: boolean;
  /** Include 0 in the y range (linear axis only). */
  zero?: boolean;
  /** Horizontal reference lines (e.g. spread/skill = 1), drawn dashed grey. */
  refY?: readonly number[];
  width?: number;
  height?: number;
}

interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  ticks: number[];
}

const MARGIN = { left: 46, right: 10, top: 22, bottom: 34 };

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

function clean(v: number): number {
  return Number(v.toPrecision(12));
}

function linearAxis(lo: number, hi: number, zero: boolean): Axis {
  if (zero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const step = niceStep((hi - lo) / 4);
  const nlo = clean(Math.floor(lo / step + 1e-9) * step);
  const nhi = clean(Math.ceil(hi / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let v = nlo; v <= nhi + step * 1e-6; v += step) ticks.push(clean(v));
  return { lo: nlo, hi: nhi, log: false, ticks };
}

/** The 1-2-5 sequence value nearest `v` at or below it (`up` false) or at or above it (`up` true). */
function snap125(v: number, up: boolean): number {
  const e = Math.floor(Math.log10(v) + 1e-9);
  const steps = [1, 2, 5, 10].map((m) => clean(m * 10 ** e));
  if (up) return steps.find((s) => s >= v * (1 - 1e-9))!;
  return [...steps].reverse().find((s) => s <= v * (1 + 1e-9))!;
}

function logAxis(lo: number, hi: number): Axis {
  let a = snap125(lo, false);
  let b = snap125(hi, true);
  if (b <= a) b = snap125(a * 1.01, true);
  const span = Math.log10(b / a);
  const ticks: number[] = [];
  const every = Math.max(1, Math.ceil(span / 6));
  for (let e = Math.floor(Math.log10(a) + 1e-9); e <= Math.ceil(Math.log10(b) - 1e-9); e++) {
    for (const m of span <= 1.3 ? [1, 2, 5] : e % every === 0 ? [1] : []) {
      const v = clean(m * 10 ** e);
      if (v >= a * (1 - 1e-9) && v <= b * (1 + 1e-9)) ticks.push(v);
    }
  }
  if (ticks.length < 2) {
    // less than two decade marks inside (e.g. 2 to 50): label the ends too
    if (!ticks.includes(a)) ticks.unshift(a);
    if (!ticks.includes(b)) ticks.push(b);
  }
  a = Math.min(a, ticks[0]!);
  b = Math.max(b, ticks[ticks.length - 1]!);
  return { lo: a, hi: b, log: true, ticks };
}

function tickLabel(v: number, log: boolean): string {
  if (log) {
    const e = Math.floor(Math.log10(v) + 1e-9);
    const m = Math.round(v / 10 ** e);
    if (e >= -3 && e <= 4) return String(clean(v));
    return m === 1 ? `1e${e}` : `${m}e${e}`;
  }
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(0);
  return String(clean(v));
}

function usable(v: number | null | undefined, log: boolean): v is number {
  return typeof v === 'number' && Number.isFinite(v) && (!log || v > 0);
}

function n1(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** Renders one plot as an inline `<svg>` element (no xmlns needed inside HTML). */
export function linePlot(o: LinePlotOptions): string {
  const width = o.width ?? 320;
  const height = o.height ?? 210;
  const xLog = o.xLog ?? false;
  const yLog = o.yLog ?? false;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of o.series) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      const x = s.x[i];
      const y = s.y[i];
      if (usable(x, xLog) && usable(y, yLog)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  const label = `${o.title}: ${o.yLabel} against ${o.xLabel}`;
  const head = `<svg class="plot" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title>`;
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const titleEl = `<text class="pt" x="${MARGIN.left + pw / 2}" y="14" text-anchor="middle">${esc(o.title)}</text>`;
  const frame = `<rect class="pf" x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}"/>`;
  if (xs.length === 0) {
    return `${head}${titleEl}${frame}<text class="nd" x="${MARGIN.left + pw / 2}" y="${MARGIN.top + ph / 2}" text-anchor="middle">no data</text></svg>`;
  }
  const refs = (o.refY ?? []).filter((r) => usable(r, yLog));
  const yAll = ys.concat(refs);
  const min = (a: number[]): number => a.reduce((m, v) => Math.min(m, v), Infinity);
  const max = (a: number[]): number => a.reduce((m, v) => Math.max(m, v), -Infinity);
  const ax = xLog ? logAxis(min(xs), max(xs)) : linearAxis(min(xs), max(xs), false);
  const ay = yLog ? logAxis(min(yAll), max(yAll)) : linearAxis(min(yAll), max(yAll), o.zero ?? false);
  const t = (a: Axis, v: number): number => {
    const f = a.log ? (Math.log10(v) - Math.log10(a.lo)) / (Math.log10(a.hi) - Math.log10(a.lo)) : (v - a.lo) / (a.hi - a.lo);
    return f;
  };
  const px = (v: number): number => MARGIN.left + t(ax, v) * pw;
  const py = (v: number): number => MARGIN.top + (1 - t(ay, v)) * ph;

  const parts: string[] = [head, titleEl];
  const grid: string[] = [];
  const labels: string[] = [];
  for (const v of ay.ticks) {
    const y = n1(py(v));
    grid.push(`M${MARGIN.left} ${y}h${pw}`);
    labels.push(`<text x="${MARGIN.left - 4}" y="${y}" dy="3" text-anchor="end">${esc(tickLabel(v, ay.log))}</text>`);
  }
  for (const v of ax.ticks) {
    const x = n1(px(v));
    grid.push(`M${x} ${MARGIN.top}v${ph}`);
    labels.push(`<text x="${x}" y="${MARGIN.top + ph + 12}" text-anchor="middle">${esc(tickLabel(v, ax.log))}</text>`);
  }
  parts.push(`<path class="pg" d="${grid.join('')}"/>`, frame, `<g class="tl">${labels.join('')}</g>`);
  for (const r of refs) {
    const y = n1(py(r));
    parts.push(`<path class="ref" d="M${MARGIN.left} ${y}h${pw}"><title>reference ${esc(tickLabel(r, false))}</title></path>`);
  }
  for (const s of o.series) {
    const segs: string[] = [];
    const dots: string[] = [];
    let run: string[] = [];
    const flush = (): void => {
      if (run.length === 1) {
        const [x, y] = run[0]!.slice(1).split(' ');
        dots.push(`<circle cx="${x}" cy="${y}" r="1.8" fill="${esc(s.color)}"/>`);
      } else if (run.length > 1) segs.push(run.join(''));
      run = [];
    };
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      const x = s.x[i];
      const y = s.y[i];
      if (usable(x, xLog) && usable(y, yLog)) run.push(`${run.length === 0 ? 'M' : 'L'}${n1(px(x))} ${n1(py(y))}`);
      else flush();
    }
    flush();
    if (segs.length === 0 && dots.length === 0) continue;
    const dash = s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : '';
    const line = segs.length > 0 ? `<path d="${segs.join('')}" stroke="${esc(s.color)}" stroke-width="${s.width ?? 1.6}"${dash}/>` : '';
    parts.push(`<g class="s"><title>${esc(s.label)}</title>${line}${dots.join('')}</g>`);
  }
  parts.push(
    `<text class="al" x="${MARGIN.left + pw / 2}" y="${height - 4}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text class="al" transform="translate(11 ${MARGIN.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
    '</svg>',
  );
  return parts.join('');
}
