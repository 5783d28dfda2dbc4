import { describe, expect, it } from 'vitest';
import { formatLineage } from '../../activities/provenance/format-lineage.ts';
import { lineage } from '../../activities/provenance/lineage.ts';
import { changesOnly } from '../../activities/storage/provenance/record-provenance.ts';
import { qcEvents } from '../../activities/assemble/provenance-events.ts';
import { deidentifyEvents } from '../../activities/deidentify/provenance-events.ts';
import { parseEvents } from '../../activities/parse/provenance-events.ts';
import { retrieveEvents } from '../../activities/retrieve/provenance-events.ts';
import { sha256 } from '../../activities/storage/files.ts';
import type { AssembledImage, ProvenanceDraft, ProvenanceEvent } from '../../schemas/provenance.ts';
import type { PrivateRecord, ProcessedImage, QcScores, SourceObject } from '../../schemas/records.ts';
import type { Split } from '../../schemas/release.ts';

const CENTRE = 'vienna';
const SOURCE = '/drops/vienna';
const LESION = 'IL_1000001';

/** One build's worth of events, recorded by one run at one time. */
const execution = (time: string, runId: string) => (drafts: ProvenanceDraft[]): ProvenanceEvent[] =>
  drafts.map((draft, i) => ({ ...draft, codeVersion: `milk10k-release@0.1.0 git ${sha256('code')}`, configHash: sha256('config'), workflowId: 'build-test', runId, activityId: String(i + 1), attempt: 1, time }));

const object = (key: string, bytes: string): SourceObject => ({ centre: CENTRE, key, size: bytes.length, sha256: sha256(bytes), etag: `etag-${bytes}`, kind: key.endsWith('.csv') ? 'metadata' : 'image' });
const record = (row: number, imageKey: string, imageType: PrivateRecord['imageType']): PrivateRecord => ({ centre: CENTRE, metadataKey: 'meta.csv', row, imageKey, patientId: 'P1', lesionId: 'L1', imageType, diagnosis: 'Nevus', manipulation: 'instrument only' });
const scores = (seed: number): QcScores => ({ width: 600, height: 450, meanLuma: seed, sharpness: 40, sharpnessRatio: 2.5, phash: '0123456789abcdef', pixelSha256: sha256(`pixels ${seed}`), dark: 0.9, light: 0.8, lowInformation: 0.7, grayscale: 0, oddAspectRatio: 0.75, colourCast: 3, modality: 0.2 });
const processed = (source: SourceObject, deidBytes: string): ProcessedImage => ({
  centre: CENTRE, key: source.key, sourceSha256: source.sha256, deidSha256: sha256(deidBytes), deidBytes: 1000, orientation: 6, deidPath: 'reencoded', format: 'jpeg',
  removedSegments: ['APP1:Exif'], exif: { tags: ['Image.Artist'], texts: [], dates: [] }, qc: scores(deidBytes.length),
  similarityThumbnail: Buffer.alloc(64 * 64, deidBytes.length).toString('base64'),
});
const assembled = (isicId: string, image: ProcessedImage, rec: PrivateRecord): AssembledImage => ({
  isicId, imageType: rec.imageType, key: image.key, metadataKey: rec.metadataKey, row: rec.row, sourceSha256: image.sourceSha256, deidSha256: image.deidSha256, qcWarnings: [], duplicate: null,
});
const assembly = (images: AssembledImage[]): ProvenanceDraft => ({
  activity: 'assemble', entity: { kind: 'lesion', id: LESION }, inputs: [], outputs: images.map((i) => ({ role: i.imageType, id: i.isicId })),
  detail: { centre: CENTRE, lesionKey: `${CENTRE}/P1/L1`, pairing: { clinical: images[0]!.isicId, dermoscopic: images[1]!.isicId }, images },
});
const concepts = (isicId: string, image: ProcessedImage): ProvenanceDraft => ({
  activity: 'concepts', entity: { kind: 'image', id: isicId }, inputs: [{ role: 'deidentified', sha256: image.deidSha256 }], outputs: [],
  detail: { modelVersion: 'model-1', scores: { MONET_ulceration_crust: 0.1, MONET_hair: 0.2, MONET_vasculature_vessels: 0.3, MONET_erythema: 0.4, MONET_pigmented: 0.5, MONET_gel_water_drop_fluid_dermoscopy_liquid: 0.6, MONET_skin_markings_pen_ink_purple_pen: 0.7 } },
});
const release = (version: string, lesionIds: string[], imageIds: string[]): ProvenanceDraft => ({
  activity: 'release', entity: { kind: 'release', id: version }, inputs: [], outputs: [], detail: { version, contentHash: sha256(version), lesionIds, imageIds },
});

/**
 * Two builds of one centre: the first releases lesion IL_1000001 from a.jpg (clinical) and b.jpg
 * (dermoscopic) as v1; then the centre sends new bytes for a.jpg, which becomes a new image in v2;
 * v3 holds another lesion only. c.jpg could never be decoded.
 */
function twoBuilds() {
  const meta = object('meta.csv', 'rows');
  const [a1, a2, b, c] = [object('a.jpg', 'a first'), object('a.jpg', 'a second'), object('b.jpg', 'b'), object('c.jpg', 'c broken')];
  const [recA, recB] = [record(1, 'a.jpg', 'clinical: close-up'), record(2, 'b.jpg', 'dermoscopic')];
  const [pa1, pa2, pb] = [processed(a1, 'deid a1'), processed(a2, 'deid a2'), processed(b, 'deid b')];
  const undecodable = { centre: CENTRE, stage: 'deidentify' as const, entity: 'image' as const, reason: 'undecodable-image', detail: 'c.jpg: not a JPEG', key: 'c.jpg', sha256: c.sha256 };
  const first = execution('2025-01-01T00:00:00.000Z', 'run-1')([
    ...retrieveEvents(SOURCE, [meta, a1, b, c]),
    ...parseEvents([recA, recB], [meta]),
    ...deidentifyEvents([pa1, pb], [undecodable]),
    ...qcEvents([recA, recB], [pa1, pb], [{ centre: CENTRE, deidSha256: pb.deidSha256, imageType: 'dermoscopic', check: 'modality-mismatch', action: 'warn' }]),
    assembly([assembled('ISIC_2000001', pa1, recA), assembled('ISIC_2000002', pb, recB)]),
    concepts('ISIC_2000001', pa1),
    concepts('ISIC_2000002', pb),
    { activity: 'split', entity: { kind: 'lesion', id: LESION }, inputs: [], outputs: [], detail: { split: 'benchmark' } },
    release('1.0.0', [LESION], ['ISIC_2000001', 'ISIC_2000002']),
  ]);
  const second = execution('2025-02-01T00:00:00.000Z', 'run-2')([
    ...retrieveEvents(SOURCE, [a2]),
    ...deidentifyEvents([pa2], []),
    ...qcEvents([recA], [pa2], []),
    assembly([assembled('ISIC_2000003', pa2, recA), assembled('ISIC_2000002', pb, recB)]),
    concepts('ISIC_2000003', pa2),
    release('2.0.0', [LESION], ['ISIC_2000003', 'ISIC_2000002']),
    release('3.0.0', ['IL_1000009'], ['ISIC_2000008', 'ISIC_2000009']),
  ]);
  // stored shard order is not time order
  return { events: [...second, ...first], a1, a2, b, c, pa1, pa2, pb };
}

describe('lineage', () => {
  it('follows a lesion through the artefacts it holds now, with its split and every release version containing it', () => {
    const { events, a2, b, pa2, pb } = twoBuilds();
    const found = lineage(events, { kind: 'lesion', id: LESION })!;
    expect(found.lesion?.assembly.runId).toBe('run-2');
    expect(found.lesion?.split?.detail.split).toBe('benchmark');
    expect(found.lesion?.releases.map((r) => r.detail.version)).toEqual(['1.0.0', '2.0.0']);
    const [imageA, imageB] = found.images;
    expect(imageA).toMatchObject({ centre: CENTRE, key: 'a.jpg', isicId: 'ISIC_2000003' });
    expect(imageA!.source?.outputs[0]?.sha256).toBe(a2.sha256); // the bytes sent for the second build, not the first
    expect(imageA!.deidentification?.outputs[0]?.sha256).toBe(pa2.deidSha256);
    expect(imageA!.qc?.inputs[0]?.sha256).toBe(pa2.deidSha256);
    expect(imageA!.concepts?.entity.id).toBe('ISIC_2000003');
    expect(imageA!.record?.detail).toMatchObject({ metadataKey: 'meta.csv', row: 1 });
    expect(imageA!.releases.map((r) => r.detail.version)).toEqual(['2.0.0']);
    expect(imageB!.source?.outputs[0]?.sha256).toBe(b.sha256);
    expect(imageB!.qc?.detail).toMatchObject({ warned: ['modality-mismatch'], excluded: [], scores: pb.qc });
    expect(imageB!.concepts?.inputs[0]?.sha256).toBe(pb.deidSha256);
    expect(imageB!.releases.map((r) => r.detail.version)).toEqual(['1.0.0', '2.0.0']);
  });

  it('follows a retired image id to the source bytes it was made from', () => {
    const { events, a1, pa1 } = twoBuilds();
    const found = lineage(events, { kind: 'image', id: 'ISIC_2000001' })!;
    expect(found.lesion?.lesionId).toBe(LESION);
    expect(found.lesion?.assembly.runId).toBe('run-1');
    expect(found.images).toHaveLength(1);
    expect(found.images[0]!.source?.outputs[0]?.sha256).toBe(a1.sha256);
    expect(found.images[0]!.deidentification?.outputs[0]?.sha256).toBe(pa1.deidSha256);
    expect(found.images[0]!.releases.map((r) => r.detail.version)).toEqual(['1.0.0']);
  });

  it('finds the case of a centre object by its key, and an excluded object with its reason', () => {
    const { events, c } = twoBuilds();
    const bySource = lineage(events, { kind: 'source', centre: CENTRE, key: 'b.jpg' })!;
    expect(bySource.lesion?.lesionId).toBe(LESION);
    expect(bySource.images.map((i) => i.isicId)).toEqual(['ISIC_2000002']);
    const excluded = lineage(events, { kind: 'source', centre: CENTRE, key: 'c.jpg' })!;
    expect(excluded.lesion).toBeUndefined();
    expect(excluded.images[0]!.source?.outputs[0]?.sha256).toBe(c.sha256);
    expect(excluded.images[0]!.exclusions.map((e) => 'reason' in e.detail && e.detail.reason)).toEqual(['undecodable-image']);
  });

  it('has nothing for ids and keys no event mentions', () => {
    const { events } = twoBuilds();
    expect(lineage(events, { kind: 'lesion', id: 'IL_7777777' })).toBeUndefined();
    expect(lineage(events, { kind: 'image', id: 'ISIC_7777777' })).toBeUndefined();
    expect(lineage(events, { kind: 'source', centre: CENTRE, key: 'never-sent.jpg' })).toBeUndefined();
    expect(lineage(events, { kind: 'source', centre: 'graz', key: 'a.jpg' })).toBeUndefined();
  });

  it('prints every step with the execution that recorded it', () => {
    const { events } = twoBuilds();
    const text = formatLineage(lineage(events, { kind: 'lesion', id: LESION })!);
    for (const step of ['assemble', 'split', 'retrieve', 'parse', 'deidentify', 'qc', 'concepts', 'release']) expect(text).toMatch(new RegExp(`[├└]─ ${step}`));
    expect(text).toContain(`${SOURCE} key a.jpg`);
    expect(text).not.toContain('not recorded');
    expect(text.match(/workflow build-test · run run-2/g)?.length).toBeGreaterThan(5);
  });
});

describe('changesOnly', () => {
  const split = (side: Split): ProvenanceDraft => ({ activity: 'split', entity: { kind: 'lesion', id: LESION }, inputs: [], outputs: [], detail: { split: side } });

  it('keeps only drafts that differ from the latest event of their entity', () => {
    const recorded = [...execution('2025-01-01T00:00:00.000Z', 'run-1')([split('train')]), ...execution('2025-02-01T00:00:00.000Z', 'run-2')([split('benchmark')])];
    const now = { runId: 'run-3', activityId: '1' };
    expect(changesOnly(recorded, [split('benchmark')], now)).toEqual([]);
    // back to an earlier state is a change too
    expect(changesOnly(recorded, [split('train')], now)).toEqual([split('train')]);
    const other: ProvenanceDraft = { ...split('benchmark'), entity: { kind: 'lesion', id: 'IL_1000002' } };
    expect(changesOnly(recorded, [other], now)).toEqual([other]);
  });

  it('ignores what an earlier attempt of the same execution wrote, since its shard is being rewritten', () => {
    const recorded = execution('2025-01-01T00:00:00.000Z', 'run-1')([split('train')]);
    expect(changesOnly(recorded, [split('train')], { runId: 'run-1', activityId: '1' })).toEqual([split('train')]);
  });
});
