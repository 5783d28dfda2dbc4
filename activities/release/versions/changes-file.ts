import type { DiffEntry } from '../../../schemas/catalog.ts';
import type { ReviewCounts } from '../../../schemas/review.ts';
import { entryLine, groupDiff } from './release-diff.ts';
import { FIRST_RELEASE_RULE, UNCHANGED_RULE, VERSION_RULES, type NewVersion } from './version-rules.ts';

export const CHANGES_FILE = 'CHANGES.md';

/** Entries listed per reason; the rest are counted, so a first release or a new concept model stays readable. */
const ENTRIES_PER_REASON = 1000;

/**
 * The CHANGES.md of a release version: header, the versioning rules, counts per reason, then the
 * entries grouped by reason. No times or paths, so identical inputs give identical bytes.
 */
export function changesFile(name: string, version: NewVersion, entries: readonly DiffEntry[], entriesPerReason = ENTRIES_PER_REASON, review?: ReviewCounts): string {
  const groups = groupDiff(entries);
  const lines = [
    `# ${name} ${version.version}`,
    '',
    `- Previous version: ${version.previousVersion ?? 'none'}`,
    `- Content hash (sha256): ${version.contentHash}`,
    `- Version bump: ${version.bump}, because ${version.rule}`,
    '',
    '## How versions are numbered',
    '',
    `The release content hash covers every lesion (with its split), every image (its JPEG's sha256 and concept scores) and the release format version. ${capitalise(FIRST_RELEASE_RULE)}; ${UNCHANGED_RULE}. Otherwise the first rule that applies sets the bump:`,
    '',
    ...VERSION_RULES.map((r, i) => `${i + 1}. ${r.bump}: ${r.rule}`),
    '',
    '## Summary',
    '',
    ...(groups.length === 0
      ? ['No lesion or image changed.']
      : ['| entity | change | reason | count |', '|---|---|---|---:|', ...groups.map((g) => `| ${g.entity} | ${g.change} | ${g.reason} | ${g.entries.length} |`)]),
  ];
  if (review && review.decisions > 0) lines.push('', ...curatorReview(review));
  for (const group of groups) {
    const listed = group.entries.slice(0, entriesPerReason);
    lines.push('', `## ${capitalise(group.entity)}s ${group.change}: ${group.reason} (${group.entries.length})`, '');
    for (const e of listed) lines.push(`- ${entryLine(e)}`);
    if (group.entries.length > listed.length) lines.push(`- ... and ${group.entries.length - listed.length} more`);
  }
  return `${lines.join('\n')}\n`;
}

/** The curators' decisions this version was built with: counts only (who decided what is private, in `milk audit`). */
function curatorReview(review: ReviewCounts): string[] {
  return [
    '## Curator review',
    '',
    `${review.decisions} curator decision(s) in effect: ${review.excluded} image(s) excluded (curator-excluded), ${review.flagsCleared} QC flag(s) cleared, ${review.pairsSplit} duplicate pair(s) split. Still open: ${review.openFlags} QC flag(s), ${review.openGroups} duplicate group(s) across lesions.`,
  ];
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
