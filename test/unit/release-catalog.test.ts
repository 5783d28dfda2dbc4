import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReleaseCatalog } from '../../activities/release/versions/release-catalog.ts';
import { CatalogIndex } from '../../schemas/catalog.ts';
import { folderStorage } from '../helpers/folder-storage.ts';
import { recordBuild } from '../helpers/release-versions.ts';
import { baseSnapshot, withLesion, withLesionFields, withoutLesion } from '../helpers/snapshot-fixture.ts';

let root: string;
let catalog: ReleaseCatalog;
let catalogDir: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'milk-catalog-'));
  catalog = new ReleaseCatalog(folderStorage(root));
  catalogDir = path.join(root, 'private', 'releases');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('ReleaseCatalog', () => {
  it('keeps its versions under private/releases/', () => {
    expect(catalog.where).toBe(path.join(root, 'private', 'releases'));
  });

  it('records versions in order and reads each back by number, latest and previous', async () => {
    const first = baseSnapshot();
    const second = withLesion(first, 'IL_0000400', 7);
    expect(await recordBuild(catalog, first)).toMatchObject({ kind: 'new', version: '1.0.0' });
    expect(await recordBuild(catalog, second)).toMatchObject({ kind: 'new', version: '1.1.0' });

    expect((await catalog.versions()).map((v) => [v.version, v.previousVersion, v.bump, v.lesions, v.images, v.benchmarkLesions])).toEqual([
      ['1.0.0', null, 'initial', 3, 6, 1],
      ['1.1.0', '1.0.0', 'minor', 4, 8, 1],
    ]);
    expect((await catalog.read('latest')).snapshot).toEqual(second);
    expect((await catalog.read('previous')).snapshot).toEqual(first);
    expect((await catalog.read('v1.0.0')).entry.version).toBe('1.0.0');
    expect(await catalog.changes('1.1.0')).toContain('# MILK10k 1.1.0');
    expect(readFileSync(path.join(catalogDir, '1.1.0', 'MANIFEST.sha256'), 'utf8')).toMatch(/^[0-9a-f]{64} {2}MILK10k_Training_Metadata.csv\n$/);
    CatalogIndex.parse(JSON.parse(readFileSync(path.join(catalogDir, 'index.json'), 'utf8')));
  });

  it('makes no new version for a rebuild with the same content', async () => {
    await recordBuild(catalog, baseSnapshot());
    const index = readFileSync(path.join(catalogDir, 'index.json'), 'utf8');
    expect(await recordBuild(catalog, { ...baseSnapshot(), lesions: baseSnapshot().lesions.reverse() })).toMatchObject({ kind: 'unchanged', version: '1.0.0' });
    expect(readFileSync(path.join(catalogDir, 'index.json'), 'utf8')).toBe(index);
  });

  it('orders versions by semantic version, not as text', async () => {
    const first = baseSnapshot();
    await recordBuild(catalog, first);
    const [recorded] = await catalog.versions();
    // 1.9.0 -> 1.10.0 sorts wrong as text
    const nine = { ...recorded!, version: '1.9.0', previousVersion: '1.0.0' };
    const files = { snapshot: withLesion(first, 'IL_0000400', 7), changes: '', manifest: '', reasons: {} };
    await catalog.record({ ...nine, contentHash: 'a'.repeat(64) }, files);
    await catalog.record({ ...nine, version: '1.10.0', previousVersion: '1.9.0', contentHash: 'b'.repeat(64) }, files);
    expect((await catalog.versions()).map((v) => v.version)).toEqual(['1.0.0', '1.9.0', '1.10.0']);
    expect((await catalog.resolve('latest')).version).toBe('1.10.0');
  });

  it('refuses a version that does not follow the latest, and a second content under a recorded version', async () => {
    await recordBuild(catalog, baseSnapshot());
    const [recorded] = await catalog.versions();
    const files = { snapshot: baseSnapshot(), changes: '', manifest: '', reasons: {} };
    await expect(catalog.record({ ...recorded!, contentHash: 'c'.repeat(64) }, files)).rejects.toThrow(/1\.0\.0 is already recorded with content hash/);
    await expect(catalog.record({ ...recorded!, version: '2.0.0', previousVersion: '0.9.0' }, files)).rejects.toThrow(/2\.0\.0 \(after 0\.9\.0\) does not follow the latest recorded version 1\.0\.0/);
    await catalog.record(recorded!, files); // a retried activity: the same version and content again
    expect(await catalog.versions()).toEqual([recorded]);
  });

  it('names the version asked for and the versions there are', async () => {
    await expect(catalog.resolve('latest')).rejects.toThrow(/release version latest not found: no release version is recorded yet/);
    await recordBuild(catalog, baseSnapshot());
    await expect(catalog.resolve('previous')).rejects.toThrow('release version previous not found: the catalog holds only 1.0.0');
    await recordBuild(catalog, withLesion(baseSnapshot(), 'IL_0000400', 7));
    await expect(catalog.read('3.1.4')).rejects.toThrow('release version 3.1.4 not found: the catalog holds 1.0.0, 1.1.0 (or use latest, previous)');
  });

  it('names a damaged index file and what is wrong in it', async () => {
    await recordBuild(catalog, baseSnapshot());
    const file = path.join(catalogDir, 'index.json');
    writeFileSync(file, JSON.stringify({ versions: [{ version: 'one' }] }));
    await expect(catalog.versions()).rejects.toThrow(new RegExp(`${file}' is not valid: versions\\.0\\.version: a semantic version`));
    writeFileSync(file, '{');
    await expect(catalog.versions()).rejects.toThrow(`release catalog file '${file}' is not valid JSON`);
  });

  it('gives the latest recorded reason of each id added or removed within a range of versions', async () => {
    await recordBuild(catalog, baseSnapshot());
    await recordBuild(catalog, withoutLesion(baseSnapshot(), 'IL_0000100'), { IL_0000100: { reason: 'excluded-by-qc', detail: 'QC check blurry' } });
    expect(await recordBuild(catalog, withLesionFields(baseSnapshot(), 'IL_0000300', { sex: 'male' }), { IL_0000100: { reason: 'returned' } })).toMatchObject({ version: '2.1.0' });
    expect([...(await catalog.reasonsBetween('1.0.0', '2.0.0'))]).toEqual([['IL_0000100', { reason: 'excluded-by-qc', detail: 'QC check blurry' }]]);
    expect([...(await catalog.reasonsBetween('1.0.0', '2.1.0'))]).toEqual([['IL_0000100', { reason: 'returned' }]]);
    expect(await catalog.reasonsBetween('2.1.0', '1.0.0')).toEqual(new Map());
  });
});
