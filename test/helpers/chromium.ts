import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Debian's Chromium, which .ci/run installs; tests that render pages need it. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => spawnSync(p, ['--version']).status === 0);

/**
 * Loads a page in headless Chromium, lets its scripts run, and returns the DOM as serialised after
 * the load event. The flags keep Chromium off the network (this machine has none) and out of $HOME.
 */
export function renderedDom(file: string): string {
  if (!CHROMIUM) throw new Error('Chromium is needed for this test (Debian package chromium; .ci/run installs it)');
  const profile = mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
  try {
    const result = spawnSync(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=10000', '--dump-dom', `file://${file}`],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 },
    );
    if (result.status !== 0) throw new Error(`chromium exited with ${result.status}: ${result.stderr.slice(-500)}`);
    return result.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
