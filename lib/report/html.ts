// Text helpers for the HTML report: escaping of user-controlled strings, JSON that is safe inside a
// <script> element, and the number formats used by every table and label.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML (and SVG) element content and quoted attribute values. */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** JSON for a `<script type="application/json">` block: no `<`, `>`, `&` or line separators survive raw. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The placeholder shown for a missing or non-finite number (NaN is serialised as null by the evaluation). */
export const MISSING = '–';

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A metric value with 3 significant digits: `0.075`, `1.2`, `4.00e-4`; missing values give `–`. */
export function fmt(v: number | null | undefined): string {
  if (!finite(v)) return MISSING;
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

/** A duration: `12.3 µs`, `84.0 ms`, `3.20 s`, `2.5 min`. */
export function fmtSeconds(v: number | null | undefined): string {
  if (!finite(v)) return MISSING;
  const a = Math.abs(v);
  if (a === 0) return '0 s';
  if (a < 1e-3) return `${(v * 1e6).toPrecision(3)} µs`;
  if (a < 1) return `${(v * 1e3).toPrecision(3)} ms`;
  if (a < 600) return `${v.toPrecision(3)} s`;
  return `${(v / 60).toPrecision(3)} min`;
}

/** A ratio such as a speed-up: `×6.25`. */
export function fmtRatio(v: number | null | undefined): string {
  return finite(v) ? `×${fmt(v)}` : MISSING;
}

/** A horizon [a, b] as `a:b`, the paper's notation. */
export function horizonLabel(h: readonly [number, number]): string {
  return `${h[0]}:${h[1]}`;
}
