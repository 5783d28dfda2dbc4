import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * exiftool, the outside judge of what a released JPEG carries: the one on PATH, else the one npm
 * installs with the dev dependencies (exiftool-vendored.pl, run by the system's perl), so the tests
 * need no root to install it. Undefined, with the reason, when neither runs.
 */
function findExiftool(): { command: string; prefix: string[] } | { missing: string } {
  if (spawnSync('exiftool', ['-ver']).status === 0) return { command: 'exiftool', prefix: [] };
  const script = path.join(path.dirname(createRequire(import.meta.url).resolve('exiftool-vendored.pl/package.json')), 'bin', 'exiftool');
  if (spawnSync('perl', [script, '-ver']).status === 0) return { command: 'perl', prefix: [script] };
  return { missing: 'exiftool is not on PATH and perl cannot run the npm-installed exiftool-vendored.pl (install perl)' };
}

export const EXIFTOOL = findExiftool();

/** exiftool's JSON for the files: every tag, grouped by family 1 (`-j -a -G1 -s`). */
export function exiftoolTags(files: string[]): Record<string, unknown>[] {
  if ('missing' in EXIFTOOL) throw new Error(EXIFTOOL.missing);
  const result = spawnSync(EXIFTOOL.command, [...EXIFTOOL.prefix, '-j', '-a', '-G1', '-s', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0 && !result.stdout) throw new Error(`exiftool failed: ${result.stderr.slice(-300)}`);
  return JSON.parse(result.stdout) as Record<string, unknown>[];
}
