import { describe, expect, it } from 'vitest';
import { changesFile } from '../../activities/release/versions/changes-file.ts';
import { diffReleases } from '../../activities/release/versions/release-diff.ts';
import { decideVersion, type NewVersion } from '../../activities/release/versions/version-rules.ts';
import type { Snapshot } from '../../schemas/catalog.ts';
import { contentHash } from '../../activities/release/versions/content-hash.ts';
import { baseSnapshot, withLesion, withLesionFields, withoutLesion } from '../helpers/snapshot-fixture.ts';

function secondVersion(current: Snapshot): NewVersion {
  const previous = baseSnapshot();
  const entry = { version: '1.0.0', previousVersion: null, bump: 'initial' as const, contentHash: contentHash(previous), manifestSha256: '0'.repeat(64), lesions: 3, images: 6, benchmarkLesions: 1, workflowId: 'w', runId: 'r', createdAt: '2025-01-01T00:00:00.000Z' };
  const decision = decideVersion({ entry, snapshot: previous }, current, diffReleases(previous, current, new Map()));
  if (decision.kind !== 'new') throw new Error('expected a new version');
  return decision;
}

describe('changesFile', () => {
  const current = withLesionFields(withLesion(withoutLesion(baseSnapshot(), 'IL_0000100'), 'IL_0000400', 7), 'IL_0000300', { sex: 'male' });
  const reasons = new Map([['IL_0000100', { reason: 'excluded-by-qc' as const, detail: 'QC check blurry' }]]);

  it('states the version, the previous version, the hash, the rule that applied and the counts per reason', () => {
    const version = secondVersion(current);
    const text = changesFile('MILK10k', version, diffReleases(baseSnapshot(), current, reasons));
    expect(text.startsWith('# MILK10k 2.0.0\n')).toBe(true);
    expect(text).toContain('- Previous version: 1.0.0');
    expect(text).toContain(`- Content hash (sha256): ${contentHash(current)}`);
    expect(text).toContain('- Version bump: major, because a lesion or image was removed');
    expect(text).toContain('4. major: the release format version changed');
    expect(text).toContain('| lesion | removed | excluded-by-qc | 1 |');
    expect(text).toContain('| image | added | added | 2 |');
    expect(text).toContain('## Lesions removed: excluded-by-qc (1)\n\n- IL_0000100: QC check blurry; BCC, train, 2 image(s)\n');
    expect(text).toContain('- IL_0000300: corrected sex: (none) -> male [sex]');
  });

  it('is the same text for the same changes listed in any order', () => {
    const version = secondVersion(current);
    const entries = diffReleases(baseSnapshot(), current, reasons);
    const text = changesFile('MILK10k', version, entries);
    expect(changesFile('MILK10k', version, [...entries].reverse())).toBe(text);
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });

  it('lists at most the given number of entries per reason and counts the rest', () => {
    const version = secondVersion(current);
    const text = changesFile('MILK10k', version, diffReleases(baseSnapshot(), current, reasons), 1);
    expect(text).toContain('## Images added: added (2)\n\n- ISIC_0000007: dermoscopic of IL_0000400\n- ... and 1 more\n');
  });
});
