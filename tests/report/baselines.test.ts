// The baselines in the report: one row per distinct baseline in the horizon tables (evaluations of the same
// trajectories share theirs), grey curves in the VRMSE plots, and emulator cells no better than persistence flagged.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fmt } from '../../lib/report/html.js';
import { writeReport } from '../../lib/report/index.js';
import { DIFFUSION, FIELDS, LEADS, SURROGATE, writeEvalDir } from './fixture.js';
import { section, tableRows } from './html-table.js';

const PERSISTENCE = [0.1, 0.21, 0.5];
const CLIMATOLOGY = [0.9, 0.95, 0.97];

/** Adds the baselines' keys to an evaluation directory's summary (the same numbers for every run). */
function addBaselines(dir: string, persistence = PERSISTENCE): void {
  const path = join(dir, 'summary.json');
  const s = JSON.parse(readFileSync(path, 'utf8'));
  for (const [name, values] of [['persistence', persistence], ['climatology', CLIMATOLOGY]] as const) {
    s.by_horizon[`${name}_vrmse`] = { ...Object.fromEntries(FIELDS.map((f) => [f, values])), mean: values };
    s.per_lead[`${name}_vrmse`] = { ...Object.fromEntries(FIELDS.map((f) => [f, LEADS.map((l) => values[0]! * l)])), mean: LEADS.map((l) => values[0]! * l) };
  }
  s.baselines = { models: ['persistence', 'climatology'], climatology: null };
  writeFileSync(path, JSON.stringify(s));
}

let root: string;
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('baseline rows once, grey curves, emulator cells no better than persistence flagged', async () => {
  root = mkdtempSync(join(tmpdir(), 'report-baselines-'));
  // DIFFUSION.vrmse = 0.0753, 0.199, 0.395: better than persistence everywhere; SURROGATE = 0.077, 0.232, –: worse at 4:6.
  const dirs = [join(root, 'diffusion'), join(root, 'surrogate')];
  writeEvalDir(dirs[0]!, DIFFUSION);
  writeEvalDir(dirs[1]!, SURROGATE);
  for (const d of dirs) addBaselines(d);
  const out = join(root, 'report.html');
  await writeReport(dirs, out);
  const html = readFileSync(out, 'utf8');

  const rows = tableRows(html, 'VRMSE by lead-time horizon');
  const byLabel = Object.fromEntries(rows.slice(1).map((r) => [r[0], r.slice(1)]));
  expect(byLabel.persistence).toEqual(PERSISTENCE.map(fmt));
  expect(byLabel.climatology).toEqual(CLIMATOLOGY.map(fmt));
  expect(rows.filter((r) => r[0] === 'persistence')).toHaveLength(1);
  expect(byLabel.diffusion_f20).toEqual(DIFFUSION.vrmse.map(fmt));
  expect(byLabel.surrogate_f20).toEqual(['0.077', '0.232 ⚠', '–']);
  expect(rows[0]!.length).toBe(4);
  expect(html).toMatch(/VRMSE by lead-time horizon[^<]*persistence repeats the last context state[^<]*⚠ no better than persistence/);
  expect(html).toContain('title="no better than persistence (0.21)"');
  // The per-field table flags the same way (its fixture values are 0.9× / 1.1× the mean).
  const perField = tableRows(html, 'VRMSE by horizon and field');
  expect(perField.find((r) => r[0] === 'pressure' && r[1] === 'surrogate_f20')!.slice(2)).toEqual([fmt(0.077 * 1.1), `${fmt(0.232 * 1.1)} ⚠`, '–']);
  expect(perField.find((r) => r[0] === 'density' && r[1] === 'surrogate_f20')!.slice(2)).toEqual([fmt(0.077 * 0.9), fmt(0.232 * 0.9), '–']);

  // VRMSE curves: the runs, the autoencoder and the two baselines in the legend, the baselines' lines dotted grey.
  const vrmse = section(html, 'vrmse');
  expect(vrmse).toMatch(/<ul class="legend"[^>]*>.*persistence.*climatology.*<\/ul>/s);
  expect(vrmse.match(/stroke="#6e7781"/g)!.length).toBeGreaterThanOrEqual(2 * 3);
  // Spread/skill has no baseline curves.
  expect(section(html, 'spread-skill')).not.toContain('persistence');

  // Evaluations of other trajectories have their own baselines: two persistence rows, told apart by run.
  addBaselines(dirs[1]!, [0.3, 0.4, 0.5]);
  await writeReport(dirs, out);
  const again = tableRows(readFileSync(out, 'utf8'), 'VRMSE by lead-time horizon');
  expect(again.map((r) => r[0]).filter((l) => l.startsWith('persistence'))).toEqual(['persistence (diffusion_f20)', 'persistence (surrogate_f20)']);
  expect(again.map((r) => r[0]).filter((l) => l.startsWith('climatology'))).toEqual(['climatology']);
  expect(again.find((r) => r[0] === 'surrogate_f20')!.slice(1)).toEqual(['0.077', '0.232', '–']);
});
