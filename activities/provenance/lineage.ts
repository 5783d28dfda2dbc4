import type { AssembledImage, AuditQuery, ImageLineage, LesionAssemblyEvent, LesionLineage, Lineage, ProvenanceEvent, ProvenanceStage } from '../../schemas/provenance.ts';
import { sourceId } from '../storage/provenance/event-parts.ts';

type EventOf<S extends ProvenanceStage> = Extract<ProvenanceEvent, { activity: S }>;

/** What is known of an image before its events are looked up: where it came from, and what assemble recorded of it. */
interface ImageRef {
  centre: string;
  key: string;
  assembled?: AssembledImage;
}

/**
 * The lineage of a lesion, an image or a centre's source object, from the recorded provenance events:
 * for each image its source object, metadata row, de-identification, QC, concept scores, exclusions
 * and releases; for its lesion the assembly (pairing, duplicate groups), split and releases. Where a
 * step was recorded more than once (a changed input, a later build), the event that produced the
 * artefacts the case holds now is chosen, else the latest. Undefined when nothing was recorded.
 */
export function lineage(events: readonly ProvenanceEvent[], query: AuditQuery): Lineage | undefined {
  const index = new EventIndex(events);
  const assembly = index.assemblyOf(query);
  if (assembly) {
    const images = assembly.detail.images
      .filter((i) => query.kind === 'lesion' || (query.kind === 'image' ? i.isicId === query.id : i.key === query.key))
      .map((i) => index.image({ centre: assembly.detail.centre, key: i.key, assembled: i }));
    return { lesion: index.lesion(assembly), images };
  }
  if (query.kind !== 'source') return undefined;
  const image = index.image({ centre: query.centre, key: query.key });
  const recorded = image.source ?? image.record ?? image.qc ?? image.exclusions[0];
  return recorded ? { images: [image] } : undefined;
}

/** The events by step, in time order, with the look-ups a lineage needs. */
class EventIndex {
  private readonly sorted: ProvenanceEvent[];

  constructor(events: readonly ProvenanceEvent[]) {
    this.sorted = [...events].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  private of<S extends ProvenanceStage>(stage: S): EventOf<S>[] {
    return this.sorted.filter((e): e is EventOf<S> => e.activity === stage);
  }

  private latest<S extends ProvenanceStage>(stage: S, matches: (event: EventOf<S>) => boolean): EventOf<S> | undefined {
    return this.of(stage).findLast(matches);
  }

  /** The latest assembly of the lesion asked for, or of the lesion holding the image asked for. */
  assemblyOf(query: AuditQuery): LesionAssemblyEvent | undefined {
    const assemblies = this.of('assemble').filter((e): e is LesionAssemblyEvent => e.entity.kind === 'lesion' && 'lesionKey' in e.detail);
    const holds = (e: LesionAssemblyEvent) => {
      if (query.kind === 'lesion') return e.entity.id === query.id;
      if (query.kind === 'image') return e.detail.images.some((i) => i.isicId === query.id);
      return e.detail.centre === query.centre && e.detail.images.some((i) => i.key === query.key);
    };
    return assemblies.findLast(holds);
  }

  lesion(assembly: LesionAssemblyEvent): LesionLineage {
    const lesionId = assembly.entity.id;
    return {
      lesionId,
      assembly,
      split: this.latest('split', (e) => e.entity.id === lesionId),
      releases: this.releases((e) => e.detail.lesionIds.includes(lesionId)),
    };
  }

  image({ centre, key, assembled }: ImageRef): ImageLineage {
    const id = sourceId(centre, key);
    const source = this.latest('retrieve', (e) => e.entity.id === id && (!assembled || output(e, 'raw') === assembled.sourceSha256));
    const sourceSha256 = assembled?.sourceSha256 ?? (source && output(source, 'raw'));
    const deidentification = this.latest('deidentify', (e) => !('reason' in e.detail) && input(e, 'source') === sourceSha256);
    const deidSha256 = assembled?.deidSha256 ?? (deidentification && output(deidentification, 'deidentified'));
    const excludedHere = (e: EventOf<'deidentify' | 'assemble'>) => 'reason' in e.detail && e.detail.centre === centre && e.detail.key === key;
    return {
      centre,
      key,
      isicId: assembled?.isicId,
      source,
      record: this.latest('parse', (e) => e.detail.centre === centre && e.detail.imageKey === key && (!assembled || (e.detail.metadataKey === assembled.metadataKey && e.detail.row === assembled.row))),
      deidentification,
      qc: this.latest('qc', (e) => e.entity.id === id && input(e, 'deidentified') === deidSha256),
      concepts: deidSha256 === undefined ? undefined : this.latest('concepts', (e) => input(e, 'deidentified') === deidSha256),
      exclusions: [...this.of('deidentify').filter(excludedHere), ...this.of('assemble').filter(excludedHere)],
      releases: assembled ? this.releases((e) => e.detail.imageIds.includes(assembled.isicId)) : [],
    };
  }

  /** Every release version matching, each once (its latest event). */
  private releases(matches: (event: EventOf<'release'>) => boolean): EventOf<'release'>[] {
    const byVersion = new Map(this.of('release').filter(matches).map((e) => [e.entity.id, e]));
    return [...byVersion.values()];
  }
}

const input = (event: ProvenanceEvent, role: string) => event.inputs.find((r) => r.role === role)?.sha256;
const output = (event: ProvenanceEvent, role: string) => event.outputs.find((r) => r.role === role)?.sha256;
