import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Debian's Chromium, which .ci/run installs; tests that render pages need it. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => spawnSync(p, ['--version']).status === 0);

/** Flags that keep Chromium off the network (this machine has none) and out of $HOME; puppeteer launches take them too. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function runChromium(file: string, action: string[]): string {
  if (!CHROMIUM) throw new Error('Chromium is needed for this test (Debian package chromium; .ci/run installs it)');
  const profile = mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
  try {
    const result = spawnSync(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--virtual-time-budget=10000', ...action, `file://${file}`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
    if (result.status !== 0) throw new Error(`chromium exited with ${result.status}: ${result.stderr.slice(-500)}`);
    return result.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Loads a page in headless Chromium, lets its scripts run, and returns the DOM as serialised after the load event. */
export function renderedDom(file: string): string {
  return runChromium(file, ['--dump-dom']);
}

/** Loads a page in headless Chromium and writes a PNG of its first `height` pixels (at `width`) to `png`. */
export function screenshot(file: string, png: string, width = 1400, height = 3000): void {
  runChromium(file, ['--hide-scrollbars', `--window-size=${width},${height}`, `--screenshot=${png}`]);
}
