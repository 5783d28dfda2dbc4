import type { ProvenanceDraft, AssembledImage, ImageExclusion, LesionAssembly } from '../../schemas/provenance.ts';
import type { Exclusion, PrivateRecord, ProcessedImage, SourceObject } from '../../schemas/records.ts';
import type { ConceptScores, PublicImage } from '../../schemas/release.ts';
import { PAIR_RULE, type AssembledCases, type PairSelection, type QcFlag } from '../assemble/assemble-cases.ts';
import { PROCESSING_VERSION } from '../deidentify/process-images.ts';
import { sha256 } from '../storage/files.ts';

/**
 * The provenance events each stage records, built from what the stage produced. Entity ids are
 * explained in schemas/provenance.ts.
 */

/** A source object's identity: its centre and its key in the drop. */
export const sourceId = (centre: string, key: string) => `${centre}/${key}`;
const recordId = (record: PrivateRecord) => `${sourceId(record.centre, record.metadataKey)}#${record.row}`;

/** retrieve: each object whose bytes were fetched, from the store's listing to its staged sha256. */
export function retrieveEvents(source: string, fetched: readonly SourceObject[]): ProvenanceDraft[] {
  return fetched.map((o) => ({
    activity: 'retrieve',
    entity: { kind: 'object', id: sourceId(o.centre, o.key) },
    inputs: [],
    outputs: [{ role: 'raw', sha256: o.sha256 }],
    detail: { centre: o.centre, source, key: o.key, etag: o.etag, size: o.size },
  }));
}

/** parse: each harmonised record, from its metadata object and row to the hash of the record. */
export function parseEvents(records: readonly PrivateRecord[], metadata: readonly SourceObject[]): ProvenanceDraft[] {
  const shaOf = new Map(metadata.map((o) => [o.key, o.sha256]));
  return records.map((r) => ({
    activity: 'parse',
    entity: { kind: 'record', id: recordId(r) },
    inputs: [{ role: 'metadata', id: sourceId(r.centre, r.metadataKey), sha256: shaOf.get(r.metadataKey) }],
    outputs: [{ role: 'record', sha256: sha256(JSON.stringify(r)) }],
    detail: { centre: r.centre, metadataKey: r.metadataKey, row: r.row, imageKey: r.imageKey },
  }));
}

/** deidentify: each image de-identified (source sha256 to de-identified sha256, and what was removed), and each that could not be. */
export function deidentifyEvents(images: readonly ProcessedImage[], exclusions: readonly Exclusion[]): ProvenanceDraft[] {
  return [
    ...images.map((p): ProvenanceDraft => ({
      activity: 'deidentify',
      entity: { kind: 'image', id: p.sourceSha256 },
      inputs: [{ role: 'source', sha256: p.sourceSha256 }],
      outputs: [{ role: 'deidentified', sha256: p.deidSha256 }],
      detail: { processingVersion: PROCESSING_VERSION, path: p.deidPath, orientation: p.orientation, removedSegments: p.removedSegments, removedExifTags: p.exif.tags, bytes: p.deidBytes },
    })),
    ...exclusions.map((e): ProvenanceDraft => ({ activity: 'deidentify', entity: { kind: 'image', id: e.sha256 ?? sourceId(e.centre, e.key ?? '') }, ...excluded(e) })),
  ];
}

/** qc: each image the QC policy judged, with the raw scores it read and the checks that warned or excluded. */
export function qcEvents(records: readonly PrivateRecord[], images: readonly ProcessedImage[], flags: readonly QcFlag[]): ProvenanceDraft[] {
  const processed = new Map(images.map((p) => [sourceId(p.centre, p.key), p]));
  const flagged = groupBy(flags, (f) => `${f.centre}\u0000${f.deidSha256}`);
  return records.flatMap((r): ProvenanceDraft[] => {
    const image = processed.get(sourceId(r.centre, r.imageKey));
    if (!image) return [];
    const checks = (action: QcFlag['action']) => (flagged.get(`${r.centre}\u0000${image.deidSha256}`) ?? []).filter((f) => f.action === action).map((f) => f.check);
    return [
      {
        activity: 'qc',
        entity: { kind: 'image', id: sourceId(r.centre, r.imageKey) },
        inputs: [{ role: 'deidentified', sha256: image.deidSha256 }],
        outputs: [],
        detail: { centre: r.centre, key: r.imageKey, imageType: r.imageType, scores: image.qc, warned: checks('warn'), excluded: checks('exclude') },
      },
    ];
  });
}

/** assemble: each lesion released (private lesion key to IL id, its paired images, duplicate groups), and each image left out, with its reason. */
export function assembleEvents(assembled: AssembledCases): ProvenanceDraft[] {
  const released = new Map(assembled.images.map((i) => [i.isic_id, i]));
  const lesions = groupBy(assembled.sources, (s) => released.get(s.isicId)!.lesion_id);
  const passedOver = groupBy(assembled.selections, (s) => s.lesionKey);
  const lesionEvents = [...lesions].map(([lesionId, sources]): ProvenanceDraft => {
    const images = sources.map((s): AssembledImage => {
      const image = released.get(s.isicId)!;
      const group = image.duplicate_group === null ? undefined : assembled.duplicates[image.duplicate_group - 1]!;
      return {
        isicId: s.isicId,
        imageType: s.record.imageType,
        key: s.record.imageKey,
        metadataKey: s.record.metadataKey,
        row: s.record.row,
        sourceSha256: s.image.sourceSha256,
        deidSha256: s.image.deidSha256,
        qcWarnings: image.qc_warnings ? image.qc_warnings.split(';') : [],
        duplicate: group ? { group: image.duplicate_group!, kind: group.kind, releasedMembers: group.isicIds } : null,
      };
    });
    const ofType = (type: AssembledImage['imageType']) => images.find((i) => i.imageType === type)!.isicId;
    return {
      activity: 'assemble',
      entity: { kind: 'lesion', id: lesionId },
      inputs: sources.map((s) => ({ role: 'record', id: recordId(s.record) })),
      outputs: images.map((i) => ({ role: i.imageType, id: i.isicId })),
      detail: {
        centre: sources[0]!.record.centre,
        lesionKey: sources[0]!.lesionKey,
        pairing: { clinical: ofType('clinical: close-up'), dermoscopic: ofType('dermoscopic') },
        images,
        ...notSelected(passedOver.get(sources[0]!.lesionKey)),
      },
    };
  });
  const exclusionEvents = assembled.exclusions
    .filter((e) => e.entity === 'image' && e.key !== undefined)
    .map((e): ProvenanceDraft => ({ activity: 'assemble', entity: { kind: 'image', id: sourceId(e.centre, e.key!) }, ...excluded(e) }));
  return [...lesionEvents, ...exclusionEvents];
}

/** concepts: each image scored, with the model version and the de-identified image it read. */
export function conceptEvents(modelVersion: string, scored: readonly { image: PublicImage; scores: ConceptScores }[]): ProvenanceDraft[] {
  return scored.map(({ image, scores }) => ({
    activity: 'concepts',
    entity: { kind: 'image', id: image.isic_id },
    inputs: [{ role: 'deidentified', sha256: image.sha256 }],
    outputs: [],
    detail: { modelVersion, scores },
  }));
}

/** Map.groupBy, which Node 20 lacks. */
/** The images a lesion's pair passed over, and the rule that did it: only on lesions that had a choice. */
function notSelected(selections: readonly PairSelection[] | undefined): Pick<LesionAssembly, 'notSelected' | 'pairRule'> {
  if (!selections) return {};
  return { notSelected: selections.map((s) => ({ key: s.notSelectedKey, imageType: s.imageType })), pairRule: PAIR_RULE };
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function excluded(e: Exclusion): { inputs: ProvenanceDraft['inputs']; outputs: []; detail: ImageExclusion } {
  return {
    inputs: e.sha256 ? [{ role: 'source', sha256: e.sha256 }] : [],
    outputs: [],
    detail: { centre: e.centre, key: e.key ?? '', stage: e.stage, reason: e.reason, detail: e.detail },
  };
}
