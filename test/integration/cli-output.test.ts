import { describe, expect, it } from 'vitest';
import { milk } from '../helpers/milk-cli.ts';
import { REPO_CONFIG_FILE } from '../helpers/config.ts';

describe('what the CLI prints', () => {
  it('--version names the package version and the git commit, as provenance does', async () => {
    const run = await milk(['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^milk10k-release@\d+\.\d+\.\d+ (git [0-9a-f]{40}|unknown \(not a git checkout\))$/);
  });

  it('--json prints one JSON document on stdout and nothing else, whatever the SDKs warn on stderr', async () => {
    const run = await milk(['release', 'list', '--config', REPO_CONFIG_FILE, '--json']);
    expect(run.status).toBe(0);
    expect(() => JSON.parse(run.stdout)).not.toThrow();
  });
});
