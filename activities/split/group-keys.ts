import type { PublicImage } from '../../schemas/release.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { PublicIds } from '../storage/public-ids.ts';

/**
 * Public lesion id -> the key of its patient. The id map's lesion keys are `centre/patientId/lesionId`,
 * so the patient key is the lesion key without its last part. These keys hold local ids: they must
 * never leave the split activity (not in its result, its errors or any file outside `private/`).
 */
export async function patientKeys(store: BlobStore, idMapKey: string): Promise<Map<string, string>> {
  const lesionKeys = (await PublicIds.open(store, idMapKey)).lesionKeys();
  return new Map([...lesionKeys].map(([lesionId, lesionKey]) => [lesionId, `patient\u0000${lesionKey.slice(0, lesionKey.lastIndexOf('/'))}`]));
}

/** Public lesion id -> a key per duplicate group that has images of more than one lesion (same-lesion groups do not link lesions). */
export function duplicateKeys(images: readonly Pick<PublicImage, 'lesion_id' | 'duplicate_group'>[]): Map<string, string[]> {
  const lesionsOf = new Map<number, Set<string>>();
  for (const { lesion_id, duplicate_group } of images) {
    if (duplicate_group !== null) lesionsOf.set(duplicate_group, (lesionsOf.get(duplicate_group) ?? new Set()).add(lesion_id));
  }
  const keys = new Map<string, string[]>();
  for (const [group, lesions] of lesionsOf) {
    if (lesions.size < 2) continue;
    for (const lesion of lesions) keys.set(lesion, [...(keys.get(lesion) ?? []), `duplicate\u0000${group}`]);
  }
  return keys;
}
