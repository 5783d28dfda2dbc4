import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderStore } from '../../activities/storage/folder-store.ts';
import { PublicIds } from '../../activities/storage/public-ids.ts';
import { IsicId, LesionId } from '../../schemas/release.ts';

let dir: string;
let file: string;
let store: FolderStore;
const KEY = Buffer.from('a test id key of at least thirty-two characters');
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'milk-ids-'));
  file = path.join(dir, 'private', 'public-ids.json');
  store = new FolderStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('PublicIds', () => {
  it('issues ids in the ISIC formats', async () => {
    const ids = await PublicIds.open(store, 'private/public-ids.json', KEY);
    for (let i = 0; i < 50; i++) {
      expect(ids.lesion(`vienna/L-${i}`)).toMatch(/^IL_\d{7}$/);
      expect(ids.image(`vienna/${i.toString(16).padStart(64, '0')}`)).toMatch(/^ISIC_\d{7}$/);
    }
    expect(LesionId.safeParse(ids.lesion('vienna/L-0')).success).toBe(true);
    expect(IsicId.safeParse(ids.image('vienna/x')).success).toBe(true);
  });

  it('gives the same source key the same id, within a run and after save + reopen', async () => {
    const first = await PublicIds.open(store, 'private/public-ids.json', KEY);
    const lesion = first.lesion('vienna/L-17');
    const image = first.image('vienna/abc');
    expect(first.lesion('vienna/L-17')).toBe(lesion);
    expect(first.image('vienna/abc')).toBe(image);
    await first.save();

    const reopened = await PublicIds.open(store, 'private/public-ids.json', KEY);
    expect(reopened.lesion('vienna/L-17')).toBe(lesion);
    expect(reopened.image('vienna/abc')).toBe(image);
  });

  it('gives different source keys different ids, also across reopen', async () => {
    const first = await PublicIds.open(store, 'private/public-ids.json', KEY);
    const lesions = Array.from({ length: 200 }, (_, i) => first.lesion(`vienna/L-${i}`));
    await first.save();
    const reopened = await PublicIds.open(store, 'private/public-ids.json', KEY);
    const more = Array.from({ length: 200 }, (_, i) => reopened.lesion(`barcelona/L-${i}`));
    expect(new Set([...lesions, ...more]).size).toBe(400);
    // the same local lesion id at two centres is two lesions
    expect(reopened.lesion('vienna/L-1')).not.toBe(reopened.lesion('barcelona/L-1'));
  });

  it('derives ids from the source key only through the secret key: another key issues other ids, the same key the same', async () => {
    const keys = ['vienna/L-1', 'vienna/L-2', 'vienna/L-3', 'vienna/L-4'];
    const a = await PublicIds.open(store, 'a.json', KEY);
    const b = await PublicIds.open(store, 'b.json', Buffer.from('another secret of thirty-two characters'));
    const c = await PublicIds.open(store, 'c.json', KEY);
    expect(keys.map((k) => a.lesion(k))).not.toEqual(keys.map((k) => b.lesion(k)));
    // a fresh storage root with the same key: the same ids, in any order of issue
    expect([...keys].reverse().map((k) => c.lesion(k)).reverse()).toEqual(keys.map((k) => a.lesion(k)));
  });

  it('refuses to issue an id without a key, but reads the map without one', async () => {
    const ids = await PublicIds.open(store, 'private/public-ids.json', KEY);
    const id = ids.lesion('vienna/L-1');
    await ids.save();
    const reader = await PublicIds.open(store, 'private/public-ids.json');
    expect(reader.lesionKeys().get(id)).toBe('vienna/L-1');
    expect(() => reader.lesion('vienna/L-2')).toThrow(/no id key/);
  });

  it('keeps source keys out of the ids but persists the private map to its own file', async () => {
    const ids = await PublicIds.open(store, 'private/public-ids.json', KEY);
    const id = ids.lesion('vienna/Müller-L17');
    expect(id).not.toContain('Müller');
    await ids.save();
    expect(readFileSync(file, 'utf8')).toContain('vienna/Müller-L17');
  });

  it('refuses a corrupt id map instead of silently issuing new ids', async () => {
    const ids = await PublicIds.open(store, 'private/public-ids.json', KEY);
    ids.lesion('vienna/L-1');
    await ids.save();
    writeFileSync(file, '{"lesions": {"vienna/L-1": ');
    await expect(PublicIds.open(store, 'private/public-ids.json', KEY)).rejects.toThrow(/public id map/);
  });
});
