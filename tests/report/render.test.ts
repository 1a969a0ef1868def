// Opens the report in headless Chromium (puppeteer-core driving the system browser) and checks that it
// renders without errors and that the animation player works. Skipped with a warning when no Chromium is
// installed, unless CI is set (CI installs it, so there the test must run).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeReport } from '../../lib/report/index.js';
import { chromiumTest, launchChromium, openReport } from './chromium.js';
import { FRAMES, makeFixture } from './fixture.js';

chromiumTest('tests/report/render.test.ts')('the report renders in headless Chromium without errors and its animation plays', async () => {
  const root = mkdtempSync(join(tmpdir(), 'report-render-'));
  const browser = await launchChromium();
  try {
    const f = makeFixture(root);
    const out = join(root, 'report.html');
    await writeReport([f.diffusionRun, f.surrogateEval], out);
    const { page, problems, requests } = await openReport(browser, out);
    const url = pathToFileURL(out).href;

    expect(await page.$$eval('svg.plot', (els) => els.length)).toBeGreaterThanOrEqual(3 + 3 + 3 + 6);
    expect(await page.$$eval('svg.plot path[stroke]', (els) => els.length)).toBeGreaterThan(10);
    expect(await page.$$eval('canvas[data-field]', (els) => els.length)).toBe(4);
    // The plots have a real size on screen.
    const box = await page.$eval('#vrmse svg.plot', (el) => el.getBoundingClientRect().toJSON() as { width: number; height: number });
    expect(box.width).toBeGreaterThan(200);
    expect(box.height).toBeGreaterThan(100);

    const anim = '#animations article.anim';
    // A digest of the first canvas: frames are drawn and differ between frames.
    const digest = (): Promise<{ sum: number; coloured: number }> =>
      page.$eval(`${anim} canvas`, (c) => {
        const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
        let sum = 0;
        let coloured = 0;
        for (let i = 0; i < d.length; i += 4) {
          sum = (sum * 31 + d[i]! + 7 * d[i + 1]! + 13 * d[i + 2]!) % 1000000007;
          if (d[i]! !== d[i + 1]! || d[i + 1]! !== d[i + 2]!) coloured++;
        }
        return { sum, coloured };
      });
    const frame = (): Promise<string | undefined> => page.$eval(anim, (el) => (el as HTMLElement).dataset.frame);
    const first = await digest();
    expect(first.coloured).toBeGreaterThan(1000);
    expect(await frame()).toBe('0');
    expect(await page.$eval(`${anim} output`, (el) => el.textContent)).toBe(`frame 1 of ${FRAMES} · lead time 0 (context)`);

    await page.click(`${anim} [data-act=next]`);
    expect(await frame()).toBe('1');
    expect(await page.$eval(`${anim} output`, (el) => el.textContent)).toBe(`frame 2 of ${FRAMES} · lead time 1`);
    expect((await digest()).sum).not.toBe(first.sum);
    await page.click(`${anim} [data-act=prev]`);
    expect(await frame()).toBe('0');
    expect((await digest()).sum).toBe(first.sum);

    await page.click(`${anim} [data-act=play]`);
    expect(await page.$eval(`${anim} [data-act=play]`, (el) => el.textContent)).toBe('Pause');
    await page.waitForFunction((sel) => Number((document.querySelector(sel) as HTMLElement).dataset.frame) >= 2, { timeout: 5000 }, anim);
    await page.click(`${anim} [data-act=play]`);
    expect(await page.$eval(`${anim} [data-act=play]`, (el) => el.textContent)).toBe('Play');
    const stopped = await frame();
    await new Promise((r) => setTimeout(r, 400));
    expect(await frame()).toBe(stopped);

    await page.$eval(`${anim} input[type=range]`, (el) => {
      (el as HTMLInputElement).value = '5';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(await frame()).toBe('5');
    expect(await page.$eval(`${anim} input[type=range]`, (el) => el.getAttribute('aria-valuetext'))).toBe('lead time 5');

    expect(problems).toEqual([]);
    expect(requests.filter((r) => r !== url && !r.startsWith('data:'))).toEqual([]);
  } finally {
    await browser.close();
    rmSync(root, { recursive: true, force: true });
  }
}, 30000);
