import type { Snapshot } from '../../../schemas/catalog.ts';
import { sha256 } from '../../storage/files.ts';

/**
 * sha256 over what a release holds: its lesions with their splits, its images with their bytes' hash
 * and concept scores, and the release format version. Rows are sorted by id and keys by name, so the
 * hash does not depend on row order, version numbers or times: an identical rebuild gives the same
 * hash. The concept model's version is left out: a new model that scores the same is no new content.
 */
export function contentHash(snapshot: Snapshot): string {
  const byId = <T>(rows: readonly T[], id: (row: T) => string) => [...rows].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  return sha256(
    canonicalJson({
      formatVersion: snapshot.formatVersion,
      lesions: byId(snapshot.lesions, (l) => l.lesion_id),
      images: byId(snapshot.images, (i) => i.isic_id),
    }),
  );
}

/** JSON with every object's keys sorted, so equal content always gives equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
