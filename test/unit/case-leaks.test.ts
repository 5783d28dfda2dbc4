import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { casesLeakingOwnValues, withheldExclusions, type CaseSources } from '../../activities/release/case-leaks.ts';
import { scanForLeaks } from '../../activities/release/leak-scan.ts';
import { withoutLesions, type ReleaseContent, type StagedRelease } from '../../activities/release/write-release.ts';
import { fixture } from '../helpers/release-fixture.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'milk-case-leaks-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const own = (lesionId: string, name: string, key: string): [string, CaseSources] => [
  lesionId,
  { values: [{ kind: 'name', value: name }], images: [{ isicId: 'x', centre: 'vienna', key, sourceSha256: 'a'.repeat(64), row: 3, lesionId: 'L7' }] },
];

describe('which cases a leak belongs to', () => {
  it("withholds a case whose own image or own row holds its own value; another patient's value in a case is the release's", async () => {
    const base = fixture();
    // IL_0000100's image bytes spell its patient's name; IL_0000200's row holds its own patient's name;
    // IL_0000300's row holds IL_0000100's patient's name, which is not its own.
    const content: ReleaseContent = {
      ...base,
      lesions: base.lesions.map((l) => (l.lesion_id === 'IL_0000200' ? { ...l, site: 'Mustermann' } : l.lesion_id === 'IL_0000300' ? { ...l, site: 'Doerflinger' } : l)),
    };
    const imageFile = path.join('MILK10k_Training_Input', 'IL_0000100', 'ISIC_0000001.jpg');
    mkdirSync(path.join(dir, path.dirname(imageFile)), { recursive: true });
    writeFileSync(path.join(dir, imageFile), Buffer.from('\xff\xd8 bytes that spell Doerflinger by chance', 'latin1'));
    writeFileSync(path.join(dir, 'MILK10k_Training_Metadata.csv'), content.lesions.map((l) => `${l.lesion_id},${l.site}`).join('\n'));
    const staged: StagedRelease = { dir, content };
    const phi = [{ kind: 'name' as const, value: 'Doerflinger' }, { kind: 'name' as const, value: 'Mustermann' }];
    const scan = await scanForLeaks(dir, phi);
    const cases = new Map([own('IL_0000100', 'Doerflinger', 'bilder/a.jpg'), own('IL_0000200', 'Mustermann', 'bilder/b.jpg'), own('IL_0000300', 'Hinterhuber', 'bilder/c.jpg')]);

    const leaking = await casesLeakingOwnValues(staged, scan.hits, cases, []);
    expect([...leaking.keys()].sort()).toEqual(['IL_0000100', 'IL_0000200']);
    expect(leaking.get('IL_0000100')!.map((h) => h.file)).toEqual(['ISIC_0000001.jpg']);
    expect(new Set(leaking.get('IL_0000200')!.map((h) => h.file))).toEqual(new Set(['rows.csv'])); // one per image row

    const exclusions = withheldExclusions(leaking, cases);
    expect(exclusions).toEqual([
      expect.objectContaining({ centre: 'vienna', stage: 'release', entity: 'image', reason: 'leak-scan-hit', key: 'bilder/a.jpg', row: 3, lesionId: 'L7' }),
      expect.objectContaining({ reason: 'leak-scan-hit', key: 'bilder/b.jpg', detail: expect.stringContaining("the case's released rows") }),
    ]);
    expect(exclusions.map((e) => e.detail).join(' ')).not.toMatch(/Doerflinger|Mustermann/);
    // Without them, the release still holds IL_0000100's name in IL_0000300's row: that is quarantined, not withheld.
    const rest = withoutLesions(content, new Set(leaking.keys()), exclusions);
    expect(rest.lesions.map((l) => l.lesion_id)).toEqual(['IL_0000300']);
    expect(rest.images.every((i) => i.lesion_id === 'IL_0000300')).toBe(true);
    expect(rest.exclusions.filter((e) => e.reason === 'leak-scan-hit')).toHaveLength(2);
  });
});
