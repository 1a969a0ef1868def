// The demo end to end at tiny sizes: every stage runs through the real runs and commands, the report and the
// summary table come out, the numbers in the table are the evaluations', and a second call resumes.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { demoConfigs, demoSizes, formatSummary, runDemo } from '../../lib/demo/demo.js';
import { demoSizePresets } from '../../lib/demo/sizes.js';
import { autoencoderConfig, downsampling } from '../../lib/models/autoencoder-config.js';
import { setNumThreads } from '../../lib/runtime.js';
import { chromiumTest, launchChromium, openReport } from '../report/chromium.js';
import { tempDir } from '../train/fixtures.js';

let root: string;
let cleanup: () => void;
let report: string | undefined;
beforeAll(() => {
  setNumThreads(1);
  ({ dir: root, cleanup } = tempDir('le-demo-'));
});
afterAll(() => cleanup());

test('demo (tiny): data → autoencoder → latents → diffusion + neural solver → eval → report', async () => {
  const lines: string[] = [];
  const s = await runDemo({ out: root, size: 'tiny', log: (l) => lines.push(l) });
  for (const stage of ['[1/6]', '[2/6]', '[3/6]', '[4/6]', '[5/6]', '[6/6]']) expect(lines.some((l) => l.includes(stage))).toBe(true);
  expect(existsSync(s.report)).toBe(true);
  report = s.report;
  const html = readFileSync(s.report, 'utf8');
  expect(html).toContain('<html');
  expect(html).toContain('diffusion');
  // The table's numbers are the evaluations' horizon means.
  const evalDir = join(s.runs.diffusion, 'eval');
  expect(existsSync(evalDir)).toBe(true);
  expect(s.rows.map((r) => r.model)).toEqual(['autoencoder (reconstruction)', 'latent diffusion', 'latent neural solver', 'persistence (baseline)', 'climatology (baseline)']);
  expect(formatSummary(s)).toMatch(/persistence \(baseline\) +\d/);
  for (const r of s.rows) for (const v of r.vrmse) expect(v === null || Number.isFinite(v)).toBe(true);
  expect(s.rows[1]!.vrmse.length).toBe(s.horizons.length);
  const table = formatSummary(s);
  expect(table).toContain('latent diffusion');
  expect(table).toContain(s.report);
  expect(s.compression).toBe((5 * 16 * 16) / (4 * 8 * 8));
  expect(s.sizes.resolution).toBe(demoSizes('tiny').resolution);

  // A second call keeps the finished runs and evaluations.
  const aeState = join(s.runs.ae, 'state.safetensors');
  const before = statSync(aeState).mtimeMs;
  const again = await runDemo({ out: root, size: 'tiny', log: () => {} });
  expect(statSync(aeState).mtimeMs).toBe(before);
  expect(again.rows[1]!.vrmse).toEqual(s.rows[1]!.vrmse);
}, 240_000);

chromiumTest('tests/demo/demo.test.ts')('the demo report (real evaluation output) renders in Chromium without errors', async () => {
  if (!report) throw new Error('the demo test did not produce a report');
  const browser = await launchChromium();
  try {
    const { page, problems } = await openReport(browser, report);
    expect(await page.$$eval('svg.plot', (els) => els.length)).toBeGreaterThan(5);
    expect(await page.$$eval('canvas[data-field]', (els) => els.length)).toBeGreaterThan(0);
    await page.click('#animations article.anim [data-act=next]');
    expect(await page.$eval('#animations article.anim', (el) => (el as HTMLElement).dataset.frame)).toBe('1');
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
}, 30_000);

test.each(['cpu', 'long', 'gpu', 'tiny'] as const)('demo sizes %s: the three run configurations resolve and fit the data', (size) => {
  const sizes = demoSizes(size);
  const c = demoConfigs('/tmp/demo', sizes, size === 'gpu' ? 'cuda' : 'cpu', 0);
  expect(c.ae.dataset.name).toBe('euler_open');
  expect(c.ae.train.epochs * c.ae.train.epoch_size).toBeGreaterThanOrEqual(sizes.ae.steps);
  const r = downsampling(autoencoderConfig(c.ae.ae));
  expect(sizes.resolution % r).toBe(0);
  for (const kind of ['diffusion', 'surrogate'] as const) {
    const e = c[kind];
    expect(e.ae_run).toBe('/tmp/demo/runs/ae');
    expect(e.trajectory.stride).toBe(sizes.stride);
    // The trajectories hold at least one window and the patches tile the latent grid.
    expect((e.trajectory.length - 1) * e.trajectory.stride).toBeLessThan(sizes.steps);
    const patch = Array.isArray(e.model.patch_size) ? e.model.patch_size : [e.model.patch_size, e.model.patch_size, e.model.patch_size];
    expect((sizes.resolution / r) % patch[1]!).toBe(0);
    expect(e.train.device).toBe(size === 'gpu' ? 'cuda' : 'cpu');
  }
});

test('demo sizes are data: configs/demo holds the presets, and a bad file names the key', () => {
  expect(demoSizePresets()).toEqual(['cpu', 'gpu', 'long', 'tiny']);
  // The emulator settings reach the run configurations: steps, batch, learning rate, model overrides.
  const cpu = demoSizes('cpu');
  const c = demoConfigs('/tmp/demo', cpu, 'cpu', 0);
  expect(c.diffusion.train.epochs * c.diffusion.train.epoch_size).toBeGreaterThanOrEqual(cpu.emulator.steps);
  expect(c.diffusion.train.batch_size).toBe(cpu.emulator.batch);
  expect(c.diffusion.optim.learning_rate).toBe(cpu.emulator.learning_rate);
  expect([c.diffusion.optim.ema_decay, c.surrogate.optim.ema_decay, c.ae.optim.ema_decay]).toEqual([0, 0, 0]);
  // A size's emulator ema_decay reaches both emulator runs, not the autoencoder's.
  const long = demoSizes('long');
  const averaged = demoConfigs('/tmp/demo', { ...long, emulator: { ...long.emulator, ema_decay: 0.999 } }, 'cpu', 0);
  expect([averaged.diffusion.optim.ema_decay, averaged.surrogate.optim.ema_decay, averaged.ae.optim.ema_decay]).toEqual([0.999, 0.999, 0]);
  for (const o of cpu.emulator.overrides) {
    const [key, value] = o.split('=') as [string, string];
    expect(JSON.stringify((c.diffusion.model as Record<string, unknown>)[key])).toBe(JSON.stringify(JSON.parse(value)));
  }
  const file = join(root, 'bad-demo.yaml');
  writeFileSync(file, 'resolution: 64\ntrajectories: 4\ngamma: [1.4]\nsteps: 41\nstride: 2\nrepeat: 1\nprecision: bfloat16\n' +
    "ae: { preset: dcae_f8c16_cpu, steps: 10, batch: 4 }\nemulator: { preset: vit_tiny_cpu, step: 10, batch: 4 }\neval: { trajectories: 1, samples: 2, steps: 2 }\n");
  expect(() => demoSizes(file)).toThrow(/bad-demo\.yaml: .*emulator.*(step|steps)/);
  expect(() => demoSizes('huge')).toThrow(/demo preset.*huge.*cpu/);
});
