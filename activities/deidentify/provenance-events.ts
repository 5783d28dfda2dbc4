import type { ProvenanceDraft } from '../../schemas/provenance.ts';
import type { Exclusion, ProcessedImage } from '../../schemas/records.ts';
import { excluded, sourceId } from '../storage/provenance/event-parts.ts';
import { PROCESSING_VERSION } from './process-images.ts';

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
