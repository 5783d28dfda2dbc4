import type { Exclusion } from '../../schemas/records.ts';
import type { Lake } from '../storage/lake.ts';
import { BUILD_PARTITION, tables } from '../storage/tables.ts';

/**
 * Why the latest build left a centre's object out, from the private exclusions table: what an audit
 * of a source key answers for objects no step took further (an unsafe key, a stray file, a malformed
 * row's image), which have no provenance beyond their exclusion.
 */
export async function sourceExclusion(lake: Lake, centre: string, key: string): Promise<Exclusion | undefined> {
  const exclusions = await lake.readPartitions(tables.exclusions, [centre, BUILD_PARTITION]);
  return exclusions.find((e) => e.centre === centre && e.key === key);
}

/** An exclusion as the audit prints it. */
export function formatSourceExclusion(exclusion: Exclusion): string {
  const where = exclusion.row === undefined ? '' : `, row ${exclusion.row}`;
  return [`${exclusion.centre} ${exclusion.key}${where}`, `  excluded at ${exclusion.stage}: ${exclusion.reason}`, `  ${exclusion.detail}`].join('\n');
}
