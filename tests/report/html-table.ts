// Reads the report's tables back as text, for checking numbers against the fixture.
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

export function text(html: string): string {
  return html
    .replace(/<svg[\s\S]*?<\/svg>/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]!)
    .trim();
}

/** The rows (cells as text) of the table whose caption contains `caption`; header row first. */
export function tableRows(html: string, caption: string): string[][] {
  const tables = html.match(/<table[\s\S]*?<\/table>/g) ?? [];
  const t = tables.find((x) => text(/<caption>([\s\S]*?)<\/caption>/.exec(x)?.[1] ?? '').includes(caption));
  if (!t) throw new Error(`no table captioned ${caption}`);
  return (t.match(/<tr>[\s\S]*?<\/tr>/g) ?? []).map((r) => (r.match(/<t[hd][^>]*>[\s\S]*?<\/t[hd]>/g) ?? []).map(text));
}

/** The HTML of the section with this id. */
export function section(html: string, id: string): string {
  const m = new RegExp(`<section id="${id}"[\\s\\S]*?</section>`).exec(html);
  if (!m) throw new Error(`no section ${id}`);
  return m[0];
}
