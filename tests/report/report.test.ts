import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../../lib/cli/commands/report.js';
import { fmt } from '../../lib/report/html.js';
import { writeReport } from '../../lib/report/index.js';
import { linePlot } from '../../lib/report/svg-plot.js';
import { AE, DIFFUSION, makeAnimation, makeFixture, makeSummary, SURROGATE, writeEvalDir } from './fixture.js';
import { section, tableRows, text } from './html-table.js';

let root: string;
let fixture: { diffusionRun: string; surrogateEval: string };
let html: string;
let out: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'report-'));
  fixture = makeFixture(root);
  out = join(root, 'out', 'report.html');
  const r = await writeReport([fixture.diffusionRun, fixture.surrogateEval], out, { title: 'Euler: diffusion vs neural solver' });
  expect(r).toEqual({ out, runs: 2 });
  html = readFileSync(out, 'utf8');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

test('the page has every section, the runs and the title', () => {
  expect(html.startsWith('<!doctype html>')).toBe(true);
  expect(html).toContain('<title>Euler: diffusion vs neural solver</title>');
  for (const id of ['runs', 'horizons', 'vrmse', 'vrmse-rel', 'spread-skill', 'spectra', 'speed', 'animations']) {
    expect(html).toContain(`<section id="${id}"`);
    expect(html).toContain(`<a href="#${id}">`);
  }
  const runs = tableRows(html, 'Evaluations compared');
  expect(runs.map((r) => r[0])).toEqual(['Evaluation', 'diffusion_f20', 'surrogate_f20']);
  expect(text(section(html, 'runs'))).toContain(`diffusion_f20: ${join(fixture.diffusionRun, 'eval', 'test')}`);
  expect(runs[2]).toContain('neural solver');
  expect(runs[1]).toContain('ae_f20 ÷20');
  // VRMSE panels: mean + 2 fields; spectra: 2 fields × 3 lead times.
  expect(section(html, 'vrmse').match(/<svg class="plot"/g)).toHaveLength(3);
  expect(section(html, 'spectra').match(/<svg class="plot"/g)).toHaveLength(6);
  expect(html).not.toContain('Not like-for-like');
});

test('the horizon table holds the fixture values, missing ones as –, the best emulator marked', () => {
  const rows = tableRows(html, 'VRMSE by lead-time horizon');
  expect(rows[0]).toEqual(['Evaluation', '1:3', '4:6', '7:10']);
  const byLabel = Object.fromEntries(rows.slice(1).map((r) => [r[0], r.slice(1)]));
  expect(byLabel['diffusion_f20']).toEqual(DIFFUSION.vrmse.map(fmt));
  expect(byLabel['surrogate_f20']).toEqual(['0.077', '0.232', '–']);
  expect(byLabel['diffusion_f20 vs autoencoder']).toEqual(DIFFUSION.vrmse.map((v) => fmt(v! * 0.8)));
  // One autoencoder row: both runs share the autoencoder, dataset and split.
  expect(byLabel['autoencoder ÷20']).toEqual(AE.vrmse.map(fmt));
  expect(rows).toHaveLength(1 + 2 + 2 + 1);
  expect(html).toContain(`<td class="best">${fmt(DIFFUSION.vrmse[0])}</td>`);
  expect(html).toContain(`<td class="best">${fmt(DIFFUSION.vrmse[1])}</td>`);
  expect(html).toContain(`<td>${fmt(SURROGATE.vrmse[0])}</td>`);

  const perField = tableRows(html, 'VRMSE by horizon and field');
  expect(perField.find((r) => r[0] === 'pressure' && r[1] === 'diffusion_f20')!.slice(2)).toEqual(DIFFUSION.vrmse.map((v) => fmt(v! * 1.1)));

  const psd = tableRows(html, 'Spectral RMSE per frequency band');
  expect(psd[0]).toEqual(['Evaluation', 'Horizon', 'power, low', 'power, mid', 'power, high']);
  const psdBy = Object.fromEntries(psd.slice(1).map((r) => [r[0], r.slice(1)]));
  expect(psdBy['diffusion_f20']).toEqual(['1:3', ...DIFFUSION.psd.map(fmt)]);
  expect(psdBy['surrogate_f20']).toEqual(['1:3', ...SURROGATE.psd.map(fmt)]);
  expect(psdBy['autoencoder ÷20']).toEqual(['1:3', ...AE.psd.map(fmt)]);
});

test('speed table: time per state and speed-up over the built-in solver', () => {
  const rows = tableRows(html, 'Inference time');
  const col = (name: string): number => rows[0]!.indexOf(name);
  const d = rows.find((r) => r[0] === 'diffusion_f20')!;
  const s = rows.find((r) => r[0] === 'surrogate_f20')!;
  expect(d[col('Time per state')]).toBe('84.0 ms');
  expect(s[col('Time per state')]).toBe('13.0 ms');
  expect(d[col('Speed-up')]).toBe(`×${fmt(10 / 0.084)}`);
  expect(s[col('Speed-up')]).toBe(`×${fmt(10 / 0.013)}`);
  expect(d[col('Solver per state')]).toBe('10.0 s');
  expect(text(section(html, 'speed'))).toContain('Built-in solver timed: euler_multi_quadrants (built-in) at 64×64.');
});

test('curves: autoencoder dashed in VRMSE, surrogate left out of spread/skill with a reference line at 1', () => {
  const vrmse = section(html, 'vrmse');
  expect(vrmse).toContain('<title>autoencoder ÷20</title>');
  expect(vrmse).toMatch(/stroke-dasharray="5 3"/);
  expect((vrmse.match(/<title>diffusion_f20<\/title>/g) ?? []).length).toBe(3);
  // The NaN at lead 5 of pressure breaks the line into two pieces.
  const pressure = vrmse.split('<figure class="panel">')[3]!;
  const diffusionPath = /<title>diffusion_f20<\/title><path d="([^"]+)"/.exec(pressure)![1]!;
  expect(diffusionPath.match(/M/g)).toHaveLength(2);
  const ss = section(html, 'spread-skill');
  expect(ss).toContain('<title>diffusion_f20</title>');
  expect(ss).not.toContain('<title>surrogate_f20</title>');
  expect(text(ss)).toContain('Deterministic neural-solver runs (surrogate_f20)');
  expect(ss.match(/class="ref"/g)).toHaveLength(3);
  const spectra = section(html, 'spectra');
  expect(spectra).toContain('<title>ground truth</title>');
  expect(spectra).toContain('wavenumber k');
});

test('animations: one canvas per field per run, frames embedded as given', () => {
  const anim = section(html, 'animations');
  expect(anim.match(/<canvas /g)).toHaveLength(4);
  // diffusion: truth + 3 of its 4 members + autoencoder = 5 panels of 16·10 px with 4 px gaps
  expect(anim).toContain('width="816" height="176"');
  // surrogate: truth + 1 + autoencoder
  expect(anim).toContain('width="488" height="176"');
  expect(anim).toContain((makeAnimation(DIFFUSION).truth as Record<string, string>).density!);
  expect(anim).toContain('aria-label="density: truth, member 1, member 2, member 3, autoencoder"');
});

test('strings from the inputs are escaped, including inside the embedded animation data', async () => {
  const evilName = '<script>alert("x")</script><img src=x onerror=alert(1)>';
  const evilField = '</script><b>bold</b>';
  const dir = join(root, 'evil');
  mkdirSync(dir, { recursive: true });
  const spec = { ...DIFFUSION, name: evilName };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(makeSummary(spec, dir)).replaceAll('"density"', JSON.stringify(evilField)));
  writeFileSync(join(dir, 'animation.json'), JSON.stringify(makeAnimation(spec)).replaceAll('"density"', JSON.stringify(evilField)));
  const path = join(root, 'evil.html');
  await writeReport([dir], path);
  const page = readFileSync(path, 'utf8');
  expect(page).not.toContain('<script>alert');
  expect(page).not.toContain('<img');
  expect(page).not.toContain('<b>bold');
  expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  // Exactly the player script and one JSON data block open and close.
  expect(page.match(/<script/g)).toHaveLength(2);
  expect(page.match(/<\/script>/g)).toHaveLength(2);
  expect(page).toContain('\\u003c/script\\u003e\\u003cb\\u003ebold');
});

test('the page is self-contained: no external URL, no src attribute', () => {
  expect(html).not.toMatch(/https?:/i);
  expect(html).not.toMatch(/\bsrc\s*=/i);
  expect(html).not.toMatch(/@import|url\(/i);
  for (const m of html.matchAll(/\bhref\s*=\s*"([^"]*)"/g)) expect(m[1]).toMatch(/^(#|data:)/);
  expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
  const kib = statSync(out).size / 1024;
  expect(kib).toBeLessThan(400);
});

test('inputs without an evaluation give an error naming them', async () => {
  const empty = join(root, 'empty-run');
  mkdirSync(join(empty, 'eval', 'test'), { recursive: true });
  await expect(writeReport([empty], join(root, 'x.html'))).rejects.toThrow(`${empty}: no evaluation found`);
  await expect(writeReport([fixture.diffusionRun, join(root, 'nope')], join(root, 'x.html'))).rejects.toThrow(`${join(root, 'nope')}: no such file or directory`);
  await expect(writeReport([], join(root, 'x.html'))).rejects.toThrow(/no run or evaluation directory/);
  const bad = join(root, 'bad-format');
  mkdirSync(bad, { recursive: true });
  writeFileSync(join(bad, 'summary.json'), JSON.stringify({ format: 'other/2' }));
  await expect(writeReport([bad], join(root, 'x.html'))).rejects.toThrow(`${join(bad, 'summary.json')}: format is "other/2"`);
  const broken = join(root, 'broken');
  mkdirSync(broken, { recursive: true });
  writeFileSync(join(broken, 'summary.json'), JSON.stringify({ ...makeSummary(DIFFUSION, broken), lead_times: 'x' }));
  await expect(writeReport([broken], join(root, 'x.html'))).rejects.toThrow(/summary\.json: lead_times/);
  expect(existsSync(join(root, 'x.html'))).toBe(false);
});

test('a broken animation.json is reported in the page, not fatal', async () => {
  const dir = join(root, 'bad-anim');
  writeEvalDir(dir, { ...SURROGATE, animation: false });
  writeFileSync(join(dir, 'animation.json'), JSON.stringify({ ...makeAnimation(SURROGATE), shape: [8, 8] }));
  const path = join(root, 'bad-anim.html');
  await writeReport([dir], path);
  const page = readFileSync(path, 'utf8');
  expect(text(page)).toMatch(/Animation of surrogate_f20 skipped: .*animation\.json: truth\.density holds 2816 bytes, expected 704/);
  expect(page).not.toContain('<section id="animations"');
});

test('repeated run names are told apart; a run directory contributes each of its evaluations', async () => {
  const run = join(root, 'two-splits');
  writeEvalDir(join(run, 'eval', 'test'), DIFFUSION, run);
  writeEvalDir(join(run, 'eval', 'valid'), { ...DIFFUSION, animation: false }, run);
  const path = join(root, 'two.html');
  const r = await writeReport([run, join(run, 'eval', 'test')], path);
  expect(r.runs).toBe(2);
  const rows = tableRows(readFileSync(path, 'utf8'), 'Evaluations compared');
  expect(rows.slice(1).map((x) => x[0])).toEqual(['diffusion_f20 (test)', 'diffusion_f20 (valid)']);
});

test('the write is atomic: no temporary file left, an existing report replaced, nothing left on failure', async () => {
  expect(readdirSync(join(root, 'out'))).toEqual(['report.html']);
  const dir = join(root, 'atomic');
  mkdirSync(dir);
  const path = join(dir, 'r.html');
  writeFileSync(path, 'old');
  await writeReport([fixture.surrogateEval], path);
  expect(readFileSync(path, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<\/html>\n$/);
  expect(readdirSync(dir)).toEqual(['r.html']);
  // A directory in the way: the rename fails and the temporary file is removed.
  mkdirSync(join(dir, 'taken.html'));
  await expect(writeReport([fixture.surrogateEval], join(dir, 'taken.html'))).rejects.toThrow();
  expect(readdirSync(dir).sort()).toEqual(['r.html', 'taken.html']);
});

test('report command prints the path', async () => {
  const program = new Command().exitOverride();
  register(program);
  let printed = '';
  const write = process.stdout.write;
  process.stdout.write = ((s: string | Uint8Array) => ((printed += String(s)), true)) as typeof write;
  const path = join(root, 'cli', 'r.html');
  try {
    await program.parseAsync(['node', 'latent-emulator', 'report', fixture.diffusionRun, fixture.surrogateEval, '--out', path, '--title', 'CLI']);
  } finally {
    process.stdout.write = write;
  }
  expect(printed).toBe(`${path}\n`);
  expect(readFileSync(path, 'utf8')).toContain('<title>CLI</title>');
});

test('svg plot: log axes span whole decades and skip non-positive values', () => {
  const svg = linePlot({ title: 't', xLabel: 'k', yLabel: 'p', xLog: true, yLog: true, series: [{ label: 's', x: [0.1, 0.2, 0.4], y: [100, 0, 1], color: '#000' }] });
  expect(svg).toContain('>0.1</text>');
  expect(svg).toContain('>100</text>');
  expect(svg).toMatch(/<circle /); // the isolated points either side of the zero
  expect(linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series: [] })).toContain('no data');
});
