// A plain HTML table builder: column headers with scope, the first cell of each row as its row header,
// and a horizontal scroll container so wide tables never break the page layout. Cells are HTML: callers
// escape user-controlled text with esc().

export interface Cell {
  html: string;
  className?: string;
}

export interface TableSpec {
  /** Caption (HTML). */
  caption: string;
  /** Column headers (HTML). */
  head: readonly string[];
  rows: readonly (readonly (string | Cell)[])[];
  className?: string;
}

function cell(c: string | Cell, tag: 'td' | 'th', extra = ''): string {
  const { html, className } = typeof c === 'string' ? { html: c, className: undefined } : c;
  return `<${tag}${extra}${className ? ` class="${className}"` : ''}>${html}</${tag}>`;
}

export function table(t: TableSpec): string {
  const head = `<thead><tr>${t.head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>`;
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? cell(c, 'th', ' scope="row"') : cell(c, 'td'))).join('')}</tr>`).join('');
  return `<div class="scroll"><table${t.className ? ` class="${t.className}"` : ''}><caption>${t.caption}</caption>${head}<tbody>${body}</tbody></table></div>`;
}
