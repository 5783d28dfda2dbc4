import type { Snapshot, SnapshotImage, SnapshotLesion } from '../../schemas/catalog.ts';
import { fixture, image, lesion, scores } from './release-fixture.ts';

/** Release snapshots built from the hand-made release fixture (no real data), for the version and diff tests. */

/** The fixture's three lesions (IL_0000200 in the benchmark) and six images, under concept model `model-a`. */
export function baseSnapshot(): Snapshot {
  const { lesions, images, concepts } = fixture();
  return {
    formatVersion: 1,
    conceptModel: 'model-a',
    lesions: lesions.map((l) => ({ ...l, split: l.lesion_id === 'IL_0000200' ? 'benchmark' : 'train' })),
    images: images.map((i) => ({ isic_id: i.isic_id, lesion_id: i.lesion_id, image_type: i.image_type, sha256: i.sha256, concepts: concepts.get(i.isic_id)! })),
  };
}

/** A new training lesion with its two images. */
export function newLesion(lesionId: string, firstIsic: number, diagnosis = 'Nevus'): { lesion: SnapshotLesion; images: SnapshotImage[] } {
  const images = (['dermoscopic', 'clinical: close-up'] as const).map((type, n) => {
    const row = image(`ISIC_${String(firstIsic + n).padStart(7, '0')}`, lesionId, type);
    return { isic_id: row.isic_id, lesion_id: row.lesion_id, image_type: row.image_type, sha256: row.sha256, concepts: scores(firstIsic + n) };
  });
  return { lesion: { ...lesion(lesionId, diagnosis), split: 'train' }, images };
}

/** `snapshot` with a lesion (and its images) added. */
export function withLesion(snapshot: Snapshot, lesionId: string, firstIsic: number): Snapshot {
  const added = newLesion(lesionId, firstIsic);
  return { ...snapshot, lesions: [...snapshot.lesions, added.lesion], images: [...snapshot.images, ...added.images] };
}

/** `snapshot` without a lesion and its images. */
export function withoutLesion(snapshot: Snapshot, lesionId: string): Snapshot {
  return { ...snapshot, lesions: snapshot.lesions.filter((l) => l.lesion_id !== lesionId), images: snapshot.images.filter((i) => i.lesion_id !== lesionId) };
}

/** `snapshot` with one lesion's fields replaced. */
export function withLesionFields(snapshot: Snapshot, lesionId: string, fields: Partial<SnapshotLesion>): Snapshot {
  return { ...snapshot, lesions: snapshot.lesions.map((l) => (l.lesion_id === lesionId ? { ...l, ...fields } : l)) };
}

/** `snapshot` with one image's fields replaced. */
export function withImageFields(snapshot: Snapshot, isicId: string, fields: Partial<SnapshotImage>): Snapshot {
  return { ...snapshot, images: snapshot.images.map((i) => (i.isic_id === isicId ? { ...i, ...fields } : i)) };
}
