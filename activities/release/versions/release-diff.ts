import { isDeepStrictEqual } from 'node:util';
import { ADDED_REASONS, REMOVED_REASONS, type ChangeReason, type DiffEntry, type Snapshot, type SnapshotImage, type SnapshotLesion } from '../../../schemas/catalog.ts';
import { CONCEPT_COLUMNS } from '../../../schemas/release.ts';

/** Why lesions and images were added or removed, by public id (lesion or image), as the private lake knows it. */
export type DiffReasons = ReadonlyMap<string, ChangeReason>;

/** A change to these is a change of what the lesion is (a major version); any other field is metadata. */
const DIAGNOSIS_FIELDS: ReadonlySet<string> = new Set([
  'diagnosis_full',
  'diagnosis_class',
  'diagnosis_1',
  'diagnosis_2',
  'diagnosis_3',
  'diagnosis_4',
  'diagnosis_5',
] satisfies (keyof SnapshotLesion)[]);
const CONCEPT_FIELDS: ReadonlySet<string> = new Set(CONCEPT_COLUMNS);

const ALLOWED_REASONS = { added: ADDED_REASONS, removed: REMOVED_REASONS } as const;

/**
 * Every lesion and image added, removed or changed from `previous` to `current` (everything is
 * added when there is no previous release), lesions first, each sorted by id. Added and removed
 * entries take their reason from `reasons` when it fits (an image without one takes its lesion's),
 * else plain `added` / `removed`; changed entries get theirs from what changed. Details go into the public
 * CHANGES.md, so they never show a benchmark lesion's diagnosis.
 */
export function diffReleases(previous: Snapshot | undefined, current: Snapshot, reasons: DiffReasons = new Map()): DiffEntry[] {
  const before = previous ?? { ...current, lesions: [], images: [] };
  const lesionsBefore = byId(before.lesions, (l) => l.lesion_id);
  const lesionsNow = byId(current.lesions, (l) => l.lesion_id);
  const imagesBefore = byId(before.images, (i) => i.isic_id);
  const imagesNow = byId(current.images, (i) => i.isic_id);
  const [imageCountBefore, imageCountNow] = [imagesPerLesion(before.images), imagesPerLesion(current.images)];

  const lesionEntries = sortedIds(lesionsBefore, lesionsNow).flatMap((id): DiffEntry[] => {
    const [old, now] = [lesionsBefore.get(id), lesionsNow.get(id)];
    if (old && now) return lesionChange(old, now);
    const lesion = (now ?? old)!;
    const label = lesion.split === 'benchmark' ? 'benchmark' : `${lesion.diagnosis_class}, ${lesion.split}`;
    const summary = `${label}, ${(now ? imageCountNow : imageCountBefore).get(id) ?? 0} image(s)`;
    return [membershipEntry('lesion', id, now ? 'added' : 'removed', reasons.get(id), summary)];
  });
  const lesionsAddedOrRemoved = new Set(lesionEntries.filter((e) => e.change !== 'changed').map((e) => e.id));
  const imageEntries = sortedIds(imagesBefore, imagesNow).flatMap((id): DiffEntry[] => {
    const [old, now] = [imagesBefore.get(id), imagesNow.get(id)];
    if (old && now) return imageChange(old, now, before.conceptModel, current.conceptModel);
    const image = (now ?? old)!;
    const lesionReason = lesionsAddedOrRemoved.has(image.lesion_id) ? reasons.get(image.lesion_id) : undefined;
    return [membershipEntry('image', id, now ? 'added' : 'removed', reasons.get(id) ?? lesionReason, `${image.image_type} of ${image.lesion_id}`)];
  });
  return [...lesionEntries, ...imageEntries];
}

/**
 * Entries grouped by entity, change and reason, in a fixed order whatever order they come in
 * (lesions first; added, removed, changed; reasons alphabetically; ids sorted within a group).
 */
export function groupDiff(entries: readonly DiffEntry[]): { entity: DiffEntry['entity']; change: DiffEntry['change']; reason: DiffEntry['reason']; entries: DiffEntry[] }[] {
  const group = (e: DiffEntry) => `${['lesion', 'image'].indexOf(e.entity)}${['added', 'removed', 'changed'].indexOf(e.change)}${e.reason}`;
  const order = (e: DiffEntry) => `${group(e)}\u0000${e.id}`;
  const groups = new Map<string, DiffEntry[]>();
  for (const entry of [...entries].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))) {
    const key = group(entry);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(entry);
  }
  return [...groups.values()].map((group) => ({ entity: group[0]!.entity, change: group[0]!.change, reason: group[0]!.reason, entries: group }));
}

/** One entry as a line of text: id, detail and the fields that changed. */
export function entryLine(entry: DiffEntry): string {
  return `${entry.id}: ${entry.detail}${entry.fields.length > 0 ? ` [${entry.fields.join(', ')}]` : ''}`;
}

/**
 * A reason that does not fit the change is not used: over several versions an id can come and go,
 * and a reason recorded for its arrival says nothing about its later removal.
 */
function membershipEntry(entity: DiffEntry['entity'], id: string, change: 'added' | 'removed', known: ChangeReason | undefined, summary: string): DiffEntry {
  const given = known && (ALLOWED_REASONS[change] as readonly string[]).includes(known.reason) ? known : undefined;
  return { entity, id, change, reason: given?.reason ?? change, detail: given?.detail ? `${given.detail}; ${summary}` : summary, fields: [] };
}

function lesionChange(old: SnapshotLesion, now: SnapshotLesion): DiffEntry[] {
  const fields = changedFields(old, now);
  if (fields.length === 0) return [];
  const entry = { entity: 'lesion', id: now.lesion_id, change: 'changed', fields } as const;
  if (fields.includes('split')) return [{ ...entry, reason: 'split-conflict', detail: `moved from the ${old.split} split to ${now.split}` }];
  if (fields.some((f) => DIAGNOSIS_FIELDS.has(f))) {
    const detail = now.split === 'benchmark' ? 'benchmark label corrected (withheld)' : `${old.diagnosis_full} (${old.diagnosis_class}) -> ${now.diagnosis_full} (${now.diagnosis_class})`;
    return [{ ...entry, reason: 'diagnosis-corrected', detail }];
  }
  const values = Object.fromEntries(fields.map((f) => [f, { old: old[f as keyof SnapshotLesion], new: now[f as keyof SnapshotLesion] }]));
  const shown = fields.map((f) => `${f}: ${show(values[f]!.old)} -> ${show(values[f]!.new)}`);
  return [{ ...entry, reason: 'metadata-corrected', detail: `corrected ${shown.join(', ')}`, values }];
}

function imageChange(old: SnapshotImage, now: SnapshotImage, oldModel: string, newModel: string): DiffEntry[] {
  const fields = changedFields(flatImage(old), flatImage(now));
  if (fields.length === 0) return [];
  const entry = { entity: 'image', id: now.isic_id, change: 'changed', fields } as const;
  if (fields.includes('sha256')) {
    return [{ ...entry, reason: 'image-replaced', detail: `new JPEG for the ${now.image_type} image of ${now.lesion_id} (sha256 ${old.sha256.slice(0, 12)} -> ${now.sha256.slice(0, 12)})` }];
  }
  const metadata = fields.filter((f) => !CONCEPT_FIELDS.has(f));
  if (metadata.length > 0) return [{ ...entry, reason: 'metadata-corrected', detail: `corrected ${metadata.join(', ')}` }];
  const model = oldModel === newModel ? `under concept model ${newModel}` : `concept model ${oldModel} -> ${newModel}`;
  return [{ ...entry, reason: 'concept-scores-changed', detail: `${fields.length} concept score(s) changed, ${model}` }];
}

/** An image's fields with its concept scores as columns, so each changed score is named. */
function flatImage({ concepts, ...image }: SnapshotImage): Record<string, unknown> {
  return { ...image, ...concepts };
}

const show = (value: unknown) => (value === null || value === undefined ? '(none)' : String(value));

/** Names of the fields whose values differ, in the order the rows list them. */
function changedFields(old: object, now: object): string[] {
  const [a, b] = [old as Record<string, unknown>, now as Record<string, unknown>];
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => !isDeepStrictEqual(a[key], b[key]));
}

function imagesPerLesion(images: readonly SnapshotImage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const image of images) counts.set(image.lesion_id, (counts.get(image.lesion_id) ?? 0) + 1);
  return counts;
}

function byId<T>(rows: readonly T[], id: (row: T) => string): Map<string, T> {
  return new Map(rows.map((row) => [id(row), row]));
}

function sortedIds(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].sort();
}
