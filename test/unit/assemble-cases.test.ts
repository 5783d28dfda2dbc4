import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assembleCases, PAIR_RULE, type AssembleInput } from '../../activities/assemble/assemble-cases.ts';
import { assembleEvents } from '../../activities/assemble/provenance-events.ts';
import { FolderStore } from '../../activities/storage/folder-store.ts';
import { PublicIds } from '../../activities/storage/public-ids.ts';
import { QcConfig } from '../../schemas/config.ts';
import type { ReviewDecision } from '../../schemas/review.ts';
import { PrivateRecord, ProcessedImage, SourceObject, type Exclusion } from '../../schemas/records.ts';
import { PublicImage, PublicLesion } from '../../schemas/release.ts';
import { SIMILARITY_SIDE } from '../../schemas/similarity-thumbnail.ts';

const CENTRE = 'vienna';
const qc = QcConfig.parse({});
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** A pHash far (about 32 bits) from every other key's, so unrelated test images are never near duplicates. */
const uniquePhash = (key: string) => sha(`phash:${key}`).slice(0, 16);
/** A noise thumbnail of its own per key, so unrelated test images never confirm as near duplicates. */
const uniqueThumbnail = (key: string) => Buffer.concat(Array.from({ length: (SIMILARITY_SIDE * SIMILARITY_SIDE) / 32 }, (_, i) => createHash('sha256').update(`thumb:${key}:${i}`).digest())).toString('base64');
const hash = (s: string) => createHash('sha256').update(s).digest('hex');
const ref = (centre: string, key: string) => `${centre}\u0000${key}`;

interface ImageSpec {
  key: string;
  lesionId: string;
  imageType?: PrivateRecord['imageType'];
  /** record overrides; `null` means the image has no metadata row */
  record?: Partial<PrivateRecord> | null;
  qc?: Partial<ProcessedImage['qc']>;
  /** the image was excluded before assemble (e.g. undecodable) */
  excludedEarlier?: boolean;
  /** source bytes' sha256 (defaults to a hash of the key) */
  sourceSha256?: string;
}

let row = 0;
function build(specs: ImageSpec[]): AssembleInput {
  const inventory: SourceObject[] = [
    SourceObject.parse({ centre: CENTRE, key: 'export/befunde.csv', size: 100, sha256: hash('metadata'), etag: 'e', kind: 'metadata' }),
  ];
  const records: PrivateRecord[] = [];
  const images: ProcessedImage[] = [];
  const excludedImageKeys = new Set<string>();
  for (const spec of specs) {
    const sourceSha256 = spec.sourceSha256 ?? hash(`source:${spec.key}`);
    inventory.push(SourceObject.parse({ centre: CENTRE, key: spec.key, size: 1000, sha256: sourceSha256, etag: 'e', kind: 'image' }));
    if (spec.record !== null) {
      records.push(
        PrivateRecord.parse({
          centre: CENTRE,
          metadataKey: 'export/befunde.csv',
          row: ++row,
          imageKey: spec.key,
          patientId: 'P-001',
          lesionId: spec.lesionId,
          patientName: 'Müller, Jörg',
          birthDate: '1960-03-15',
          examDate: '2023-03-14',
          age: 62,
          sex: 'male',
          site: 'trunk',
          skinTone: 3,
          imageType: spec.imageType ?? 'dermoscopic',
          diagnosis: 'Nevus, Acral',
          confirmType: 'histopathology',
          ...spec.record,
        }),
      );
    }
    if (spec.excludedEarlier) {
      excludedImageKeys.add(ref(CENTRE, spec.key));
      continue;
    }
    images.push(
      ProcessedImage.parse({
        centre: CENTRE,
        key: spec.key,
        sourceSha256,
        deidSha256: hash(`deid:${sourceSha256}`),
        deidBytes: 900,
        orientation: 1,
        removedSegments: ['APP1:Exif'],
        exif: { tags: ['Image.Make'], texts: [], dates: [] },
        deidPath: 'lossless',
        format: 'jpeg',
        similarityThumbnail: uniqueThumbnail(spec.key),
        qc: { width: 600, height: 450, meanLuma: 140, sharpness: 60, sharpnessRatio: 2.5, phash: uniquePhash(spec.key), pixelSha256: sha(spec.key), dark: 0.9, light: 0.5, lowInformation: 0.7, grayscale: 0, oddAspectRatio: 0.75, colourCast: 20, modality: spec.imageType === 'clinical: close-up' ? 0.1 : 0.9, ...spec.qc },
      }),
    );
  }
  return { inventory, records, images, excludedImageKeys, qc, centres: [], review: [] };
}

const pair = (lesionId: string, extra: Partial<ImageSpec> = {}): ImageSpec[] => [
  { key: `img/${lesionId}_c.jpg`, lesionId, imageType: 'clinical: close-up', ...extra },
  { key: `img/${lesionId}_d.jpg`, lesionId, imageType: 'dermoscopic', ...extra },
];

const imageExclusions = (exclusions: Exclusion[]) => exclusions.filter((e) => e.entity === 'image');

let dir: string;
let ids: PublicIds;
beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'milk-assemble-'));
  ids = await PublicIds.open(new FolderStore(dir), 'public-ids.json', Buffer.from('a test id key of at least thirty-two characters'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('assembleCases', () => {
  it('releases a clinical + dermoscopic pair as one public lesion with two public images', () => {
    const input = build(pair('L-1'));
    const out = assembleCases(input, ids);

    expect(out.exclusions).toEqual([]);
    expect(out.lesions).toHaveLength(1);
    const lesion = PublicLesion.strict().parse(out.lesions[0]);
    expect(lesion.lesion_id).toMatch(/^IL_\d{7}$/);
    expect(lesion).toMatchObject({
      centre: CENTRE,
      age_approx: 60,
      sex: 'male',
      site: 'trunk',
      skin_tone_class: 3,
      diagnosis_full: 'Nevus, Acral',
      diagnosis_class: 'NV',
      // ISIC-DX path Benign:Benign melanocytic proliferations:Nevus:Nevus, Acral
      diagnosis_1: 'Benign',
      diagnosis_2: 'Benign melanocytic proliferations',
      diagnosis_3: 'Nevus',
      diagnosis_4: 'Nevus, Acral',
      diagnosis_5: null,
      diagnosis_confirm_type: 'histopathology',
      invasion_thickness_interval: null,
    });

    expect(out.images).toHaveLength(2);
    const images = out.images.map((i) => PublicImage.strict().parse(i));
    expect(images.map((i) => i.image_type).sort()).toEqual(['clinical: close-up', 'dermoscopic']);
    for (const image of images) {
      expect(image.isic_id).toMatch(/^ISIC_\d{7}$/);
      expect(image.lesion_id).toBe(lesion.lesion_id);
    }
    expect(images[0]!.isic_id).not.toBe(images[1]!.isic_id);
    // the released image is the de-identified one, not the source
    const deid = new Set(input.images.map((i) => i.deidSha256));
    for (const image of images) expect(deid.has(image.sha256)).toBe(true);
  });

  it('maps each diagnosis to its class and splits short ISIC-DX paths with nulls', () => {
    const out = assembleCases(
      build([...pair('L-1', { record: { diagnosis: 'Basal cell carcinoma' } }), ...pair('L-2', { record: { diagnosis: 'Squamous cell carcinoma, Invasive' } })]),
      ids,
    );
    expect(out.exclusions).toEqual([]);
    const byDiagnosis = new Map(out.lesions.map((l) => [l.diagnosis_full, l]));
    expect(byDiagnosis.get('Basal cell carcinoma')).toMatchObject({
      diagnosis_class: 'BCC',
      diagnosis_1: 'Malignant',
      diagnosis_2: 'Malignant adnexal epithelial proliferations - Follicular',
      diagnosis_3: 'Basal cell carcinoma',
      diagnosis_4: null,
      diagnosis_5: null,
    });
    expect(byDiagnosis.get('Squamous cell carcinoma, Invasive')).toMatchObject({
      diagnosis_class: 'SCCKA',
      diagnosis_1: 'Malignant',
      diagnosis_2: 'Malignant epidermal proliferations',
      diagnosis_3: 'Squamous cell carcinoma, Invasive',
      diagnosis_4: null,
    });
  });

  it('puts nothing private into the public rows', () => {
    const out = assembleCases(build(pair('LOCAL-LESION-17', { record: { patientId: 'PATIENT-4711', age: 62.7 } })), ids);
    expect(out.lesions).toHaveLength(1);
    const released = JSON.stringify({ lesions: out.lesions, images: out.images });
    for (const secret of ['LOCAL-LESION-17', 'PATIENT-4711', 'Müller', '1960-03-15', '2023-03-14', '62.7', 'img/', hash('source:img/LOCAL-LESION-17_c.jpg')]) {
      expect(released).not.toContain(secret);
    }
    expect(out.lesions[0]!.age_approx).toBe(65);
  });

  it('keeps public ids stable when the same inputs are assembled again with the reopened id map', async () => {
    const input = build([...pair('L-1'), ...pair('L-2')]);
    const first = assembleCases(input, ids);
    await ids.save();
    const again = assembleCases(input, await PublicIds.open(new FolderStore(dir), 'public-ids.json', Buffer.from('a test id key of at least thirty-two characters')));
    expect(again.lesions).toEqual(first.lesions);
    expect(again.images).toEqual(first.images);
  });

  it('treats the same local lesion number of two patients as two lesions', () => {
    // centres often number lesions per patient ("L1", "1"), so the local id alone is not a lesion
    const out = assembleCases(
      build([
        ...pair('1', { record: { patientId: 'P-001' } }).map((s) => ({ ...s, key: `p1/${s.key}` })),
        ...pair('1', { record: { patientId: 'P-002', sex: 'female' } }).map((s) => ({ ...s, key: `p2/${s.key}` })),
      ]),
      ids,
    );
    expect(out.exclusions).toEqual([]);
    expect(out.lesions).toHaveLength(2);
    expect(new Set(out.lesions.map((l) => l.lesion_id)).size).toBe(2);
    expect(out.lesions.map((l) => l.sex).sort()).toEqual(['female', 'male']);
  });

  it('excludes both images of a lesion with two dermoscopic images and no clinical one as unpaired-lesion, plus the lesion', () => {
    const out = assembleCases(
      build([
        { key: 'img/a.jpg', lesionId: 'L-1', imageType: 'dermoscopic' },
        { key: 'img/b.jpg', lesionId: 'L-1', imageType: 'dermoscopic' },
        ...pair('L-2'),
      ]),
      ids,
    );
    expect(out.lesions).toHaveLength(1);
    expect(out.images).toHaveLength(2);
    expect(imageExclusions(out.exclusions).map((e) => [e.key, e.reason]).sort()).toEqual([
      ['img/a.jpg', 'unpaired-lesion'],
      ['img/b.jpg', 'unpaired-lesion'],
    ]);
    expect(out.exclusions.filter((e) => e.entity === 'lesion')).toEqual([
      expect.objectContaining({ centre: CENTRE, stage: 'assemble', reason: 'unpaired-lesion', lesionId: 'L-1' }),
    ]);
  });

  describe('a lesion with more than one image of a type', () => {
    const followUp = (key: string, record: Partial<PrivateRecord>, qc: Partial<ProcessedImage['qc']> = {}): ImageSpec => ({ key, lesionId: 'L-1', imageType: 'dermoscopic', record, qc });

    it('keeps the lesion: releases the earliest exam and excludes the rest as not-selected, naming the chosen image', () => {
      const out = assembleCases(
        build([
          { key: 'img/c.jpg', lesionId: 'L-1', imageType: 'clinical: close-up' },
          followUp('img/d-2024.jpg', { examDate: '2024-05-02', age: 63 }),
          followUp('img/d-2023.jpg', { examDate: '2023-03-14' }),
          followUp('img/d-2025.jpg', { examDate: '2025-01-09', age: 64 }),
        ]),
        ids,
      );
      expect(out.lesions).toHaveLength(1);
      expect(out.sources.map((s) => s.record.imageKey).sort()).toEqual(['img/c.jpg', 'img/d-2023.jpg']);
      const passedOver = imageExclusions(out.exclusions);
      expect(passedOver.map((e) => [e.key, e.reason]).sort()).toEqual([
        ['img/d-2024.jpg', 'not-selected'],
        ['img/d-2025.jpg', 'not-selected'],
      ]);
      for (const e of passedOver) expect(e.detail).toContain('img/d-2023.jpg');
      expect(out.selections.map((s) => [s.notSelectedKey, s.selectedKey]).sort()).toEqual([
        ['img/d-2024.jpg', 'img/d-2023.jpg'],
        ['img/d-2025.jpg', 'img/d-2023.jpg'],
      ]);
      // The choice is in the lesion's provenance: the images passed over and the rule that chose.
      const lesionEvent = assembleEvents(out).find((e) => e.entity.kind === 'lesion')!;
      expect(lesionEvent.detail).toMatchObject({ notSelected: [{ key: 'img/d-2024.jpg' }, { key: 'img/d-2025.jpg' }], pairRule: PAIR_RULE });
    });

    it('prefers the image taken at the biopsy over an earlier one, and the sharper of two same-day images', () => {
      const biopsy = assembleCases(
        build([...pair('L-2'), { key: 'img/c.jpg', lesionId: 'L-1', imageType: 'clinical: close-up' }, followUp('img/early.jpg', { examDate: '2020-01-01' }), followUp('img/biopsy.jpg', { examDate: '2023-03-14', concomitantBiopsy: true })]),
        ids,
      );
      expect(biopsy.sources.map((s) => s.record.imageKey)).toContain('img/biopsy.jpg');
      expect(biopsy.sources.map((s) => s.record.imageKey)).not.toContain('img/early.jpg');

      const sharper = assembleCases(
        build([{ key: 'img/c.jpg', lesionId: 'L-1', imageType: 'clinical: close-up' }, followUp('img/soft.jpg', {}, { sharpness: 20 }), followUp('img/sharp.jpg', {}, { sharpness: 200 })]),
        ids,
      );
      expect(sharper.sources.map((s) => s.record.imageKey).sort()).toEqual(['img/c.jpg', 'img/sharp.jpg']);
      expect(imageExclusions(sharper.exclusions).map((e) => [e.key, e.reason])).toEqual([['img/soft.jpg', 'not-selected']]);
    });

    it('never merges two lesions sent under one id: images disagreeing on the diagnosis exclude the whole lesion', () => {
      const out = assembleCases(
        build([...pair('L-1'), ...pair('L-1', { record: { diagnosis: 'Basal cell carcinoma' } }).map((s) => ({ ...s, key: s.key.replace('.jpg', '-b.jpg') }))]),
        ids,
      );
      expect(out.lesions).toEqual([]);
      expect(new Set(imageExclusions(out.exclusions).map((e) => e.reason))).toEqual(new Set(['conflicting-lesion-metadata']));
      expect(imageExclusions(out.exclusions)).toHaveLength(4);
    });
  });

  it('excludes an image without a metadata row as no-usable-row', () => {
    const out = assembleCases(build([...pair('L-1'), { key: 'img/stray.jpg', lesionId: 'L-9', record: null }]), ids);
    expect(out.images).toHaveLength(2);
    expect(out.exclusions).toEqual([
      expect.objectContaining({ centre: CENTRE, stage: 'assemble', entity: 'image', reason: 'no-usable-row', key: 'img/stray.jpg' }),
    ]);
  });

  it('excludes an image failing QC with its reason, which leaves its partner unpaired', () => {
    const out = assembleCases(
      build([
        { key: 'img/L-1_c.jpg', lesionId: 'L-1', imageType: 'clinical: close-up', qc: { sharpness: 0.5 } },
        { key: 'img/L-1_d.jpg', lesionId: 'L-1', imageType: 'dermoscopic' },
      ]),
      ids,
    );
    expect(out.lesions).toEqual([]);
    expect(out.images).toEqual([]);
    const byKey = new Map(imageExclusions(out.exclusions).map((e) => [e.key, e]));
    expect(byKey.get('img/L-1_c.jpg')).toMatchObject({ stage: 'qc', reason: 'blurry' });
    expect(byKey.get('img/L-1_d.jpg')).toMatchObject({ stage: 'assemble', reason: 'unpaired-lesion' });
  });

  it('excludes a lesion whose two images disagree on sex as conflicting-lesion-metadata', () => {
    const out = assembleCases(
      build([
        { key: 'img/c.jpg', lesionId: 'L-1', imageType: 'clinical: close-up', record: { sex: 'male' } },
        { key: 'img/d.jpg', lesionId: 'L-1', imageType: 'dermoscopic', record: { sex: 'female' } },
      ]),
      ids,
    );
    expect(out.lesions).toEqual([]);
    expect(out.images).toEqual([]);
    expect(out.exclusions.map((e) => [e.entity, e.reason]).sort()).toEqual([
      ['image', 'conflicting-lesion-metadata'],
      ['image', 'conflicting-lesion-metadata'],
      ['lesion', 'conflicting-lesion-metadata'],
    ]);
    expect(out.exclusions.find((e) => e.entity === 'lesion')!.detail).toContain('sex');
  });

  it('excludes a lesion whose images disagree on the diagnosis', () => {
    const out = assembleCases(
      build([
        { key: 'img/c.jpg', lesionId: 'L-1', imageType: 'clinical: close-up', record: { diagnosis: 'Nevus' } },
        { key: 'img/d.jpg', lesionId: 'L-1', imageType: 'dermoscopic', record: { diagnosis: 'Melanoma in situ' } },
      ]),
      ids,
    );
    expect(out.lesions).toEqual([]);
    expect(imageExclusions(out.exclusions).map((e) => e.reason)).toEqual(['conflicting-lesion-metadata', 'conflicting-lesion-metadata']);
  });

  it('never releases the same source image twice under one isic_id', () => {
    // a centre sent the same file under two names, for two different lesions
    const same = hash('identical bytes');
    const out = assembleCases(
      build([
        { key: 'img/L-1_c.jpg', lesionId: 'L-1', imageType: 'clinical: close-up', sourceSha256: same },
        { key: 'img/L-1_d.jpg', lesionId: 'L-1', imageType: 'dermoscopic' },
        { key: 'img/L-2_c.jpg', lesionId: 'L-2', imageType: 'clinical: close-up', sourceSha256: same },
        { key: 'img/L-2_d.jpg', lesionId: 'L-2', imageType: 'dermoscopic' },
      ]),
      ids,
    );
    const isicIds = out.images.map((i) => i.isic_id);
    expect(new Set(isicIds).size).toBe(isicIds.length);
  });

  it('accounts for every inventory image exactly once: released or excluded', () => {
    const input = build([
      ...pair('L-1'), // released
      ...pair('L-2'), // released
      { key: 'img/L-3_d1.jpg', lesionId: 'L-3' }, // unpaired
      { key: 'img/L-3_d2.jpg', lesionId: 'L-3' }, // unpaired
      { key: 'img/L-4_c.jpg', lesionId: 'L-4', imageType: 'clinical: close-up', qc: { dark: 0.1 } }, // too dark
      { key: 'img/L-4_d.jpg', lesionId: 'L-4' }, // partner left unpaired
      { key: 'img/L-5_c.jpg', lesionId: 'L-5', imageType: 'clinical: close-up', excludedEarlier: true }, // undecodable
      { key: 'img/L-5_d.jpg', lesionId: 'L-5' }, // partner left unpaired
      { key: 'img/L-6_c.jpg', lesionId: 'L-6', imageType: 'clinical: close-up', record: { sex: 'female' } }, // conflict
      { key: 'img/L-6_d.jpg', lesionId: 'L-6' }, // conflict
      { key: 'img/orphan.jpg', lesionId: 'L-7', record: null }, // no row
      { key: 'img/orphan-excluded.jpg', lesionId: 'L-8', record: null, excludedEarlier: true }, // no row, already excluded
      { key: 'img/L-9_c.jpg', lesionId: 'L-9', imageType: 'clinical: close-up', qc: { width: 64, height: 48 } }, // too small
      { key: 'img/L-9_d.jpg', lesionId: 'L-9', qc: { sharpness: 0 } }, // blurry
    ]);
    const out = assembleCases(input, ids);

    const keyByDeid = new Map(input.images.map((i) => [i.deidSha256, i.key]));
    const outcomes = [
      ...out.images.map((i) => keyByDeid.get(i.sha256)!),
      ...imageExclusions(out.exclusions).map((e) => e.key!),
      ...[...input.excludedImageKeys].map((r) => r.split('\u0000')[1]!),
    ].sort();
    const inventoryImages = input.inventory.filter((o) => o.kind === 'image').map((o) => o.key).sort();
    expect(outcomes).toEqual(inventoryImages);

    expect(out.lesions).toHaveLength(2);
    expect(out.images).toHaveLength(4);
    const reasons = Object.fromEntries(imageExclusions(out.exclusions).map((e) => [e.key, e.reason]));
    expect(reasons).toEqual({
      'img/L-3_d1.jpg': 'unpaired-lesion',
      'img/L-3_d2.jpg': 'unpaired-lesion',
      'img/L-4_c.jpg': 'too-dark',
      'img/L-4_d.jpg': 'unpaired-lesion',
      'img/L-5_d.jpg': 'unpaired-lesion',
      'img/L-6_c.jpg': 'conflicting-lesion-metadata',
      'img/L-6_d.jpg': 'conflicting-lesion-metadata',
      'img/orphan.jpg': 'no-usable-row',
      'img/L-9_c.jpg': 'too-small',
      'img/L-9_d.jpg': 'blurry',
    });
    // a lesion exclusion for every lesion whose usable images could not be paired (L-9 had none left)
    expect(out.exclusions.filter((e) => e.entity === 'lesion').map((e) => e.lesionId).sort()).toEqual(['L-3', 'L-4', 'L-5', 'L-6']);
  });
});

describe('assembleCases with curator decisions', () => {
  const deid = (input: AssembleInput, key: string) => input.images.find((i) => i.key === key)!.deidSha256;
  const decision = (subject: ReviewDecision['subject'], verdict: ReviewDecision['decision'], at: string): ReviewDecision => ({ id: randomUUID(), at, reviewer: 'Dr Curator', subject, decision: verdict, note: 'checked' });

  it('excludes an image a curator excluded as curator-excluded, until a later decision accepts it', () => {
    const input = build([...pair('L-1'), ...pair('L-2')]);
    const image = deid(input, 'img/L-1_c.jpg');
    const excluded = assembleCases({ ...input, review: [decision({ kind: 'image', image }, 'exclude', '2026-01-01T10:00:00.000Z')] }, ids);
    expect(imageExclusions(excluded.exclusions).find((e) => e.key === 'img/L-1_c.jpg')).toMatchObject({ stage: 'assemble', reason: 'curator-excluded' });
    expect(excluded.images.map((i) => i.sha256)).not.toContain(image);
    expect(excluded.review).toMatchObject({ decisions: 1, excluded: 1 });

    const undone = assembleCases({ ...input, review: [decision({ kind: 'image', image }, 'exclude', '2026-01-01T10:00:00.000Z'), decision({ kind: 'image', image }, 'accept', '2026-01-01T11:00:00.000Z')] }, ids);
    expect(undone.images.map((i) => i.sha256)).toContain(image);
    expect(undone.review.excluded).toBe(0);
  });

  it('releases an image whose QC flag a curator accepted, and counts the flags still open', () => {
    const input = build([
      { key: 'img/L-1_c.jpg', lesionId: 'L-1', imageType: 'clinical: close-up', qc: { sharpness: 0.5 } },
      { key: 'img/L-1_d.jpg', lesionId: 'L-1', imageType: 'dermoscopic' },
      { key: 'img/L-2_c.jpg', lesionId: 'L-2', imageType: 'clinical: close-up', qc: { sharpness: 0.5 } },
      { key: 'img/L-2_d.jpg', lesionId: 'L-2', imageType: 'dermoscopic' },
    ]);
    const image = deid(input, 'img/L-1_c.jpg');
    const out = assembleCases({ ...input, review: [decision({ kind: 'image', image, check: 'blurry' }, 'accept', '2026-01-01T10:00:00.000Z')] }, ids);
    expect(out.images.map((i) => i.sha256)).toContain(image);
    expect(imageExclusions(out.exclusions).map((e) => [e.key, e.reason])).toEqual([['img/L-2_c.jpg', 'blurry'], ['img/L-2_d.jpg', 'unpaired-lesion']]);
    expect(out.flags.find((f) => f.deidSha256 === image)).toMatchObject({ check: 'blurry', cleared: true });
    expect(out.review).toMatchObject({ flagsCleared: 1, openFlags: 1 });
  });

  it('splits a duplicate pair a curator marked as not a duplicate', () => {
    const input = build([...pair('L-1'), ...pair('L-2')]);
    // the same picture twice (not the same bytes): a confirmed near duplicate across the two lesions
    const [first, second] = ['img/L-1_d.jpg', 'img/L-2_d.jpg'].map((key) => input.images.find((i) => i.key === key)!);
    second!.similarityThumbnail = first!.similarityThumbnail;
    const before = assembleCases(input, ids);
    expect(before.duplicates).toHaveLength(1);
    expect(before.review.openGroups).toBe(1);
    const [a, b] = [deid(input, 'img/L-1_d.jpg'), deid(input, 'img/L-2_d.jpg')].sort() as [string, string];
    const after = assembleCases({ ...input, review: [decision({ kind: 'pair', images: [a, b] }, 'not-a-duplicate', '2026-01-01T10:00:00.000Z')] }, ids);
    expect(after.duplicates).toEqual([]);
    expect(after.images.every((i) => i.duplicate_group === null)).toBe(true);
    expect(after.review).toMatchObject({ pairsSplit: 1, openGroups: 0 });
  });
});
