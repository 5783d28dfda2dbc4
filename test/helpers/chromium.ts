import { existsSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const DIR = path.resolve(import.meta.dirname, '..', '..', '.tools', 'chromium');
const EXECUTABLE = path.join(DIR, 'chromium');

/**
 * The headless Chromium that `npm install` unpacks from @sparticuz/chromium into .tools/chromium
 * (scripts/install-tools.mjs), with the NSS libraries and fonts it carries: no root, no system
 * package. Undefined when it is not there; CHROMIUM_MISSING says why, in one line.
 */
export const CHROMIUM = existsSync(EXECUTABLE) ? EXECUTABLE : undefined;
export const CHROMIUM_MISSING = CHROMIUM ? '' : ` (skipped: no ${EXECUTABLE}; npm install unpacks it from the dev dependency @sparticuz/chromium)`;

/** Flags for a browser that stays off the network (this machine has none) and out of $HOME. */
const ARGS = ['--no-sandbox', '--no-zygote', '--disable-gpu', '--use-angle=swiftshader', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--font-render-hinting=none', '--hide-scrollbars'];

/** A fresh headless browser (puppeteer keeps its profile in a temporary folder); the caller closes it. */
export function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(`Chromium is needed for this test${CHROMIUM_MISSING}`);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    env: { ...process.env, LD_LIBRARY_PATH: path.join(DIR, 'al2023', 'lib'), FONTCONFIG_PATH: path.join(DIR, 'fonts') },
    timeout: 60_000,
  });
}

/** Runs `use` with a fresh page of a fresh browser, closed afterwards whatever happens. */
export async function withPage<T>(use: (page: Page) => Promise<T>): Promise<T> {
  const browser = await launchBrowser();
  try {
    return await use(await browser.newPage());
  } finally {
    await browser.close();
  }
}

/** Opens a local file and lets its scripts run until the network is idle. */
const open = (page: Page, file: string) => page.goto(`file://${file}`, { waitUntil: 'networkidle0', timeout: 60_000 });

/** Loads a page and returns the DOM as it is once its scripts ran. */
export function renderedDom(file: string): Promise<string> {
  return withPage(async (page) => {
    await open(page, file);
    return page.content();
  });
}

/** Loads a page and writes a PNG of its first `height` pixels (at `width`) to `png`. */
export function screenshot(file: string, png: string, width = 1400, height = 3000): Promise<void> {
  return withPage(async (page) => {
    await page.setViewport({ width, height });
    await open(page, file);
    await page.screenshot({ path: png as `${string}.png` });
  });
}
