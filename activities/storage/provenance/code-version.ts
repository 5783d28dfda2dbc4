import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const PROJECT = path.resolve(import.meta.dirname, '..', '..', '..');

let cached: string | undefined;

/**
 * The code a worker runs, for provenance: package version plus git commit, asked once per process
 * (the code does not change under a running worker). A copy without git history says so instead of
 * guessing.
 */
export function codeVersion(): string {
  cached ??= `${packageVersion()} ${gitCommit()}`;
  return cached;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT, 'package.json'), 'utf8')) as { name: string; version: string };
  return `${pkg.name}@${pkg.version}`;
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `git ${commit}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
