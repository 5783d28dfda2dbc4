import type { ProvenanceDraft, AssembledImage, LesionAssembly } from '../../schemas/provenance.ts';
import type { PrivateRecord, ProcessedImage } from '../../schemas/records.ts';
import { groupBy } from '../storage/group-by.ts';
import { excluded, recordId, sourceId } from '../storage/provenance/event-parts.ts';
import { PAIR_RULE, type AssembledCases, type PairSelection, type QcFlag } from './assemble-cases.ts';

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

/** The images a lesion's pair passed over, and the rule that did it: only on lesions that had a choice. */
function notSelected(selections: readonly PairSelection[] | undefined): Pick<LesionAssembly, 'notSelected' | 'pairRule'> {
  if (!selections) return {};
  return { notSelected: selections.map((s) => ({ key: s.notSelectedKey, imageType: s.imageType })), pairRule: PAIR_RULE };
}
