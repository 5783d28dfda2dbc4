import { describe, expect, it } from 'vitest';
import { contentHash } from '../../activities/release/versions/content-hash.ts';
import { diffReleases } from '../../activities/release/versions/release-diff.ts';
import { decideVersion } from '../../activities/release/versions/version-rules.ts';
import type { RecordedRelease, Snapshot } from '../../schemas/catalog.ts';
import { lesion } from '../helpers/release-fixture.ts';
import { baseSnapshot, withImageFields, withLesion, withLesionFields, withoutLesion } from '../helpers/snapshot-fixture.ts';

/** `snapshot` as the catalog would hold it under `version`. */
function recorded(version: string, snapshot: Snapshot): RecordedRelease {
  return {
    entry: {
      version,
      previousVersion: null,
      bump: 'initial',
      contentHash: contentHash(snapshot),
      manifestSha256: '0'.repeat(64),
      lesions: snapshot.lesions.length,
      images: snapshot.images.length,
      benchmarkLesions: 1,
      workflowId: 'build-milk10k',
      runId: 'run-1',
      createdAt: '2025-01-01T00:00:00.000Z',
    },
    snapshot,
  };
}

const next = (current: Snapshot, previous = baseSnapshot()) => decideVersion(recorded('1.3.2', previous), current, diffReleases(previous, current, new Map()));

describe('contentHash', () => {
  it('depends on content only: not on row order, key order or the concept model name', () => {
    const base = baseSnapshot();
    const reordered: Snapshot = {
      conceptModel: 'model-b',
      images: [...base.images].reverse().map(({ concepts, ...rest }) => ({ concepts, ...rest })),
      lesions: [...base.lesions].reverse(),
      formatVersion: base.formatVersion,
    };
    expect(contentHash(reordered)).toBe(contentHash(base));
  });

  it('changes with a split, a score, an image hash or the format version', () => {
    const base = baseSnapshot();
    const variants = [
      withLesionFields(base, 'IL_0000100', { split: 'benchmark' }),
      withImageFields(base, 'ISIC_0000001', { concepts: { ...base.images.find((i) => i.isic_id === 'ISIC_0000001')!.concepts, MONET_hair: 0.123 } }),
      withImageFields(base, 'ISIC_0000001', { sha256: 'e'.repeat(64) }),
      { ...base, formatVersion: 2 },
    ];
    const hashes = new Set([base, ...variants].map(contentHash));
    expect(hashes.size).toBe(variants.length + 1);
  });
});

describe('decideVersion', () => {
  it('makes the first release 1.0.0', () => {
    expect(decideVersion(undefined, baseSnapshot(), diffReleases(undefined, baseSnapshot(), new Map()))).toMatchObject({ kind: 'new', version: '1.0.0', previousVersion: null, bump: 'initial' });
  });

  it('makes no new version for the same content', () => {
    const base = baseSnapshot();
    const rebuilt = { ...base, lesions: [...base.lesions].reverse() };
    expect(next(rebuilt)).toEqual({ kind: 'unchanged', version: '1.3.2', contentHash: contentHash(base) });
  });

  it.each([
    ['a lesion is removed', () => withoutLesion(baseSnapshot(), 'IL_0000100'), 'a lesion or image was removed'],
    ['a lesion is removed while another is added', () => withLesion(withoutLesion(baseSnapshot(), 'IL_0000100'), 'IL_0000400', 7), 'a lesion or image was removed'],
    ['a diagnosis is corrected', () => withLesionFields(baseSnapshot(), 'IL_0000100', { diagnosis_full: lesion('IL_0000100', 'Melanoma in situ').diagnosis_full }), "a released lesion's diagnosis or class changed"],
    ['a lesion changes split', () => withLesionFields(baseSnapshot(), 'IL_0000200', { split: 'train' }), 'a lesion changed split'],
    ['the release format changes', () => ({ ...baseSnapshot(), formatVersion: 2 }), 'the release format version changed'],
  ])('bumps the major version when %s', (_what, current, rule) => {
    expect(next(current())).toMatchObject({ kind: 'new', version: '2.0.0', previousVersion: '1.3.2', bump: 'major', rule });
  });

  it.each([
    ['a lesion is added', () => withLesion(baseSnapshot(), 'IL_0000400', 7)],
    ['a lesion is added and another corrected', () => withLesionFields(withLesion(baseSnapshot(), 'IL_0000400', 7), 'IL_0000100', { site: 'head_neck_face' })],
  ])('bumps the minor version when %s', (_what, current) => {
    expect(next(current())).toMatchObject({ version: '1.4.0', bump: 'minor' });
  });

  it.each([
    ['metadata is corrected', () => withLesionFields(baseSnapshot(), 'IL_0000100', { age_approx: 30 })],
    ['an image is replaced', () => withImageFields(baseSnapshot(), 'ISIC_0000002', { sha256: 'a'.repeat(64) })],
    ['concept scores change with a new model', () => ({ ...withImageFields(baseSnapshot(), 'ISIC_0000002', { concepts: baseSnapshot().images[0]!.concepts }), conceptModel: 'model-b' })],
  ])('bumps the patch version when only %s', (_what, current) => {
    expect(next(current())).toMatchObject({ version: '1.3.3', bump: 'patch' });
  });
});
