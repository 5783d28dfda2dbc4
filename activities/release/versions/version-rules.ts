import semver from 'semver';
import type { Bump, DiffEntry, RecordedRelease, Snapshot } from '../../../schemas/catalog.ts';
import { contentHash } from './content-hash.ts';

export const FIRST_VERSION = '1.0.0';

interface VersionRule {
  bump: Exclude<Bump, 'initial'>;
  /** what users are told, in CHANGES.md */
  rule: string;
  applies(entries: readonly DiffEntry[], formatChanged: boolean): boolean;
}

/**
 * How a release's version follows from its diff to the previous version. The first release is
 * 1.0.0; a build with the previous version's content hash is that version again (no new version);
 * otherwise the first rule that applies sets the bump:
 * - major: a lesion or image was removed, a released lesion's diagnosis or class changed, a lesion
 *   changed split (which the frozen benchmark should never allow), or the release format changed;
 * - minor: lesions or images were added (and nothing was removed);
 * - patch: only metadata corrections, replaced images or changed concept scores.
 */
export const VERSION_RULES: readonly VersionRule[] = [
  { bump: 'major', rule: 'a lesion or image was removed', applies: (entries) => entries.some((e) => e.change === 'removed') },
  { bump: 'major', rule: "a released lesion's diagnosis or class changed", applies: (entries) => entries.some((e) => e.reason === 'diagnosis-corrected') },
  { bump: 'major', rule: 'a lesion changed split', applies: (entries) => entries.some((e) => e.reason === 'split-conflict') },
  { bump: 'major', rule: 'the release format version changed', applies: (_entries, formatChanged) => formatChanged },
  { bump: 'minor', rule: 'lesions or images were added and nothing was removed', applies: (entries) => entries.some((e) => e.change === 'added') },
  { bump: 'patch', rule: 'only metadata corrections, replaced images or changed concept scores', applies: () => true },
];

export const FIRST_RELEASE_RULE = 'the first release is 1.0.0';
export const UNCHANGED_RULE = 'a build with the same content hash as the latest version is that version again';

export type VersionDecision =
  | { kind: 'unchanged'; version: string; contentHash: string }
  | { kind: 'new'; version: string; previousVersion: string | null; bump: Bump; rule: string; contentHash: string };
export type NewVersion = Extract<VersionDecision, { kind: 'new' }>;

/** The version `current` gets after `previous` (the latest recorded release, if any), given their diff. */
export function decideVersion(previous: RecordedRelease | undefined, current: Snapshot, entries: readonly DiffEntry[]): VersionDecision {
  const hash = contentHash(current);
  if (!previous) return { kind: 'new', version: FIRST_VERSION, previousVersion: null, bump: 'initial', rule: FIRST_RELEASE_RULE, contentHash: hash };
  if (previous.entry.contentHash === hash) return { kind: 'unchanged', version: previous.entry.version, contentHash: hash };
  const formatChanged = previous.snapshot.formatVersion !== current.formatVersion;
  const { bump, rule } = VERSION_RULES.find((r) => r.applies(entries, formatChanged))!;
  const version = semver.inc(previous.entry.version, bump);
  if (!version) throw new Error(`release version ${previous.entry.version} of the catalog is not a semantic version`);
  return { kind: 'new', version, previousVersion: previous.entry.version, bump, rule, contentHash: hash };
}
