import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const PROBES = path.resolve(import.meta.dirname, '..', 'fixtures', 'probe-workflows.ts');
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };

let bundle: Promise<string> | undefined;
/** test/fixtures/probe-workflows.ts bundled into a file once per test file, for `workflowBundle: { codePath }`. */
export function probeBundle(): Promise<string> {
  bundle ??= bundleWorkflowCode({ workflowsPath: PROBES, logger: silent }).then(({ code }) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'milk-probes-')), 'probe-workflows.js');
    writeFileSync(file, code);
    return file;
  });
  return bundle;
}
