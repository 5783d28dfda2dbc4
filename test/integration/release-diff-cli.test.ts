import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ReleaseCatalog } from '../../activities/release/versions/release-catalog.ts';
import { folderStorage } from '../helpers/folder-storage.ts';
import { DiffEntry } from '../../schemas/catalog.ts';
import { REPO_CONFIG_FILE } from '../helpers/config.ts';
import { recordBuild } from '../helpers/release-versions.ts';
import { baseSnapshot, withLesion, withLesionFields, withoutLesion } from '../helpers/snapshot-fixture.ts';

const MILK = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'milk.mjs');

let root: string;
let config: string;
beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'milk-release-cli-'));
  config = path.join(root, 'temporal.yml');
  writeFileSync(config, stringifyYaml({ ...parseYaml(readFileSync(REPO_CONFIG_FILE, 'utf8')), storage: { root: path.join(root, 'data') } }));
  const catalog = new ReleaseCatalog(folderStorage(path.join(root, 'data')));
  await recordBuild(catalog, baseSnapshot());
  const second = withLesionFields(withLesion(withoutLesion(baseSnapshot(), 'IL_0000100'), 'IL_0000400', 7), 'IL_0000300', { sex: 'male' });
  await recordBuild(catalog, second, { IL_0000100: { reason: 'excluded-by-qc', detail: 'QC check blurry' }, IL_0000400: { reason: 'new-at-centre' } });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs `milk release diff ...` as a user would; resolves with its exit code and output. */
async function milkReleaseDiff(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [MILK, 'release', 'diff', ...args, '-c', config]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

describe('milk release diff', () => {
  it('prints a summary line per reason, then every entry with the reason recorded by the build', async () => {
    const { code, stdout } = await milkReleaseDiff('1.0.0', 'latest');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      '1.0.0 -> 2.0.0: 7 change(s)',
      '  lesion added (new-at-centre): 1',
      '  lesion removed (excluded-by-qc): 1',
      '  lesion changed (metadata-corrected): 1',
      '  image added (new-at-centre): 2',
      '  image removed (excluded-by-qc): 2',
    ]);
    expect(stdout).toContain('lesion removed (excluded-by-qc):\n  IL_0000100: QC check blurry; BCC, train, 2 image(s)\n');
    expect(stdout).toContain('  ISIC_0000008: clinical: close-up of IL_0000400');
    expect(stdout).toContain('  IL_0000300: corrected sex: (none) -> male [sex]');
  });

  it('prints the entries as JSON with --json', async () => {
    const { code, stdout } = await milkReleaseDiff('previous', '2.0.0', '--json');
    expect(code).toBe(0);
    const entries = DiffEntry.array().parse(JSON.parse(stdout));
    expect(entries.map((e) => `${e.id} ${e.change} ${e.reason}`)).toEqual([
      'IL_0000100 removed excluded-by-qc',
      'IL_0000300 changed metadata-corrected',
      'IL_0000400 added new-at-centre',
      'ISIC_0000001 removed excluded-by-qc',
      'ISIC_0000002 removed excluded-by-qc',
      'ISIC_0000007 added new-at-centre',
      'ISIC_0000008 added new-at-centre',
    ]);
    // the corrected field with its old and new value
    expect(entries.find((e) => e.id === 'IL_0000300')?.values).toEqual({ sex: { old: null, new: 'male' } });
  });

  it('exits 1 with a one-line reason for a version that does not exist', async () => {
    const { code, stdout, stderr } = await milkReleaseDiff('1.0.0', '7.0.0');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('milk: release version 7.0.0 not found: the catalog holds 1.0.0, 2.0.0 (or use latest, previous)\n');
  });
});
