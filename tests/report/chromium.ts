// Headless Chromium for the report tests: the system browser (Debian `chromium`, installed by .ci/run) driven by
// puppeteer-core. Without one, tests that need it are skipped with a warning, unless CI is set.
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

import type { Browser, Page } from 'puppeteer-core';

export function findChromium(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    const found = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser || command -v google-chrome'], { encoding: 'utf8' }).trim();
    return found || null;
  } catch {
    return null;
  }
}

/** `test`, or `test.skip` with a warning when no Chromium is installed and CI is not set. */
export function chromiumTest(file: string): jest.It {
  const chromium = findChromium();
  if (!chromium && !process.env.CI) console.warn(`${file}: no chromium on PATH, rendering test skipped (set CHROMIUM_PATH or install chromium)`);
  return chromium || process.env.CI ? test : test.skip;
}

export async function launchChromium(): Promise<Browser> {
  const chromium = findChromium();
  if (!chromium) throw new Error('CI is set but no chromium was found on PATH (set CHROMIUM_PATH)');
  const { default: puppeteer } = await import('puppeteer-core');
  return puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Opens `htmlPath` and collects console errors/warnings, page errors and failed or outside requests. */
export async function openReport(browser: Browser, htmlPath: string): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    // (the readback hint comes from tests' own getImageData calls)
    if (m.type() === 'error' || (m.type() === 'warn' && !m.text().includes('willReadFrequently'))) problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
  return { page, problems, requests };
}
