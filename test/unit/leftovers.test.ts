import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderStore } from '../../activities/storage/folder-store.ts';
import { sweepLeftovers } from '../../activities/storage/leftovers.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'milk-leftovers-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const put = (relative: string, text = 'x') => {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), text);
};

describe('leftovers of crashed attempts', () => {
  it('sweeps temporary and partial files, raw objects on their way in and half-built releases, and nothing else', async () => {
    const kept = ['release/RELEASE.json', 'private/lake/records/vienna/records.jsonl', 'private/staging/ab/abcdef', 'work/images/ab/abcdef.jpg'];
    for (const file of kept) put(file);
    put('private/public-ids.json.1a2b3c.tmp');
    put('private/staging/incoming/vienna/0011aa', 'raw PHI bytes');
    put('private/staging/incoming/vienna/0011aa.77ee.part');
    put('release.building-Xy12ab/MILK10k_Training_Metadata.csv');
    put('release.building-Xy12ab/tables/images.parquet');
    put('release.previous-0f0f/RELEASE.json');

    const store = new FolderStore(root);
    const planned = await sweepLeftovers(store, { dryRun: true });
    expect(planned.stored).toEqual([
      'private/public-ids.json.1a2b3c.tmp',
      'private/staging/incoming/vienna/0011aa',
      'private/staging/incoming/vienna/0011aa.77ee.part',
      'release.building-Xy12ab',
      'release.previous-0f0f',
    ]);
    expect(existsSync(path.join(root, 'release.building-Xy12ab'))).toBe(true); // a dry run removes nothing

    await sweepLeftovers(store, { dryRun: false });
    expect((await store.list('')).map((e) => e.key).sort()).toEqual([...kept].sort());
    expect(readdirSync(root).sort()).toEqual(['private', 'release', 'work']);
  });

  it('a new attempt discards its own scope\'s scratch: partial downloads of its centre, half-built copies of the release', async () => {
    const store = new FolderStore(root);
    writeFileSync(await store.scratchFile('vienna'), 'partial raw bytes');
    writeFileSync(await store.scratchFile('graz'), 'another centre, still downloading');
    const building = await store.scratchDir('release');
    writeFileSync(path.join(building, 'half.csv'), 'half');
    await store.discardScratch('vienna');
    await store.discardScratch('release');
    expect(readdirSync(path.join(root, 'private', 'staging', 'incoming'))).toEqual(['graz']);
    expect(existsSync(building)).toBe(false);
  });
});
