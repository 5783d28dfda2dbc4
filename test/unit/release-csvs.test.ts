import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { groundTruthCsv, metadataCsv, supplementCsv } from '../../activities/release/release-csvs.ts';
import { CLASSES, CONCEPT_COLUMNS, type ConceptScores, type PublicImage, type PublicLesion } from '../../schemas/release.ts';
import { fixture, image, lesion } from '../helpers/release-fixture.ts';
import { sampleAvailable, sampleFile } from '../helpers/sample.ts';

const OFFICIAL = {
  metadata: 'MILK10k_Training_Metadata.csv',
  groundTruth: 'MILK10k_Training_GroundTruth.csv',
  supplement: 'MILK10k_Training_Supplement.csv',
} as const;

const firstLine = (text: string) => text.slice(0, text.indexOf('\n'));
const rows = (text: string) => parse(text, { columns: true }) as Record<string, string>[];

describe('release CSVs', () => {
  const f = fixture();
  const metadata = metadataCsv(f);
  const groundTruth = groundTruthCsv(f);
  const supplement = supplementCsv(f);

  describe.skipIf(!sampleAvailable || !Object.values(OFFICIAL).every((name) => existsSync(sampleFile(name))))('header lines', () => {
    it.each([
      ['metadata', () => metadata],
      ['groundTruth', () => groundTruth],
      ['supplement', () => supplement],
    ] as const)('%s header equals the official MILK10k file header', (which, written) => {
      const official = readFileSync(sampleFile(OFFICIAL[which]), 'utf8');
      expect(firstLine(written())).toBe(firstLine(official));
    });
  });

  it('writes one metadata row per image, lesions in id order, clinical before dermoscopic', () => {
    const parsed = rows(metadata);
    expect(parsed.map((r) => [r.lesion_id, r.image_type, r.isic_id])).toEqual([
      ['IL_0000100', 'clinical: close-up', 'ISIC_0000002'],
      ['IL_0000100', 'dermoscopic', 'ISIC_0000001'],
      ['IL_0000200', 'clinical: close-up', 'ISIC_0000003'],
      ['IL_0000200', 'dermoscopic', 'ISIC_0000004'],
      ['IL_0000300', 'clinical: close-up', 'ISIC_0000005'],
      ['IL_0000300', 'dermoscopic', 'ISIC_0000006'],
    ]);
    for (const row of parsed) {
      expect(row.attribution).toBe('MILK study team');
      expect(row.copyright_license).toBe('CC-BY-NC');
      for (const c of CONCEPT_COLUMNS) expect(Number(row[c])).toBe(f.concepts.get(row.isic_id!)![c]);
    }
    const bcc = parsed.find((r) => r.isic_id === 'ISIC_0000002')!;
    expect(bcc).toMatchObject({ age_approx: '85', sex: 'male', skin_tone_class: '2', site: 'trunk', image_manipulation: 'instrument only' });
    expect(parsed.find((r) => r.isic_id === 'ISIC_0000005')!.image_manipulation).toBe('altered');
  });

  it('writes unknown lesion fields as empty cells, not "null"', () => {
    const unknown = rows(metadata).filter((r) => r.lesion_id === 'IL_0000300');
    for (const row of unknown) expect([row.age_approx, row.sex, row.skin_tone_class, row.site]).toEqual(['', '', '', '']);
    expect(metadata).not.toMatch(/null|undefined/);
    expect(supplement).not.toMatch(/null|undefined/);
  });

  it('refuses to write an image without concept scores', () => {
    const concepts = new Map(f.concepts);
    concepts.delete('ISIC_0000004');
    expect(() => metadataCsv({ ...f, concepts })).toThrow(/ISIC_0000004/);
  });

  it('quotes a diagnosis containing a comma in the supplement, and it reads back whole', () => {
    expect(supplement).toContain('ISIC_0000005,"Nevus, Acral",,\n');
    const parsed = rows(supplement);
    expect(parsed.map((r) => r.isic_id)).toEqual(['ISIC_0000001', 'ISIC_0000002', 'ISIC_0000003', 'ISIC_0000004', 'ISIC_0000005', 'ISIC_0000006']);
    expect(parsed.find((r) => r.isic_id === 'ISIC_0000006')).toEqual({
      isic_id: 'ISIC_0000006',
      diagnosis_full: 'Nevus, Acral',
      diagnosis_confirm_type: '',
      invasion_thickness_interval: '',
    });
    expect(parsed.find((r) => r.isic_id === 'ISIC_0000004')).toEqual({
      isic_id: 'ISIC_0000004',
      diagnosis_full: 'Melanoma Invasive',
      diagnosis_confirm_type: 'histopathology',
      invasion_thickness_interval: '>1.0-2.0',
    });
  });

  it('writes the ground truth one-hot as 1.0 / 0.0, one row per lesion in id order', () => {
    const lines = groundTruth.trimEnd().split('\n').slice(1);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^IL_\d{7}(,(1\.0|0\.0)){11}$/);
    const parsed = rows(groundTruth);
    expect(parsed.map((r) => r.lesion_id)).toEqual(['IL_0000100', 'IL_0000200', 'IL_0000300']);
    const expected: Record<string, string> = { IL_0000100: 'BCC', IL_0000200: 'MEL', IL_0000300: 'NV' };
    for (const row of parsed) {
      expect(CLASSES.filter((c) => row[c] === '1.0')).toEqual([expected[row.lesion_id!]]);
      expect(CLASSES.filter((c) => row[c] === '0.0')).toHaveLength(CLASSES.length - 1);
    }
  });

  it('ends every file with a single newline and uses LF line endings', () => {
    for (const text of [metadata, groundTruth, supplement]) {
      expect(text.endsWith('\n')).toBe(true);
      expect(text.endsWith('\n\n')).toBe(false);
      expect(text).not.toContain('\r');
    }
  });

  it('writes only the header for an empty release', () => {
    const empty = { lesions: [], images: [], concepts: new Map(), attribution: 'a', license: 'l' };
    expect(groundTruthCsv(empty).trimEnd().split('\n')).toHaveLength(1);
    expect(supplementCsv(empty).trimEnd().split('\n')).toHaveLength(1);
    expect(metadataCsv(empty).trimEnd().split('\n')).toHaveLength(1);
  });
});

describe.skipIf(!sampleAvailable || !Object.values(OFFICIAL).every((name) => existsSync(sampleFile(name))))(
  'release CSVs rebuilt from the official sample rows',
  () => {
    it('reproduce the official files (byte for byte, concept scores compared as numbers)', () => {
      const officialText = {
        metadata: readFileSync(sampleFile(OFFICIAL.metadata), 'utf8'),
        groundTruth: readFileSync(sampleFile(OFFICIAL.groundTruth), 'utf8'),
        supplement: readFileSync(sampleFile(OFFICIAL.supplement), 'utf8'),
      };
      const metadataRows = rows(officialText.metadata);
      const supplementById = new Map(rows(officialText.supplement).map((r) => [r.isic_id!, r]));

      const lesions = new Map<string, PublicLesion>();
      const images: PublicImage[] = [];
      const concepts = new Map<string, ConceptScores>();
      for (const r of metadataRows) {
        const s = supplementById.get(r.isic_id!)!;
        const cell = (v: string | undefined) => (v === undefined || v === '' ? null : v);
        if (!lesions.has(r.lesion_id!)) {
          lesions.set(
            r.lesion_id!,
            lesion(r.lesion_id!, s.diagnosis_full!, {
              age_approx: r.age_approx === '' ? null : Number(r.age_approx),
              sex: cell(r.sex),
              skin_tone_class: r.skin_tone_class === '' ? null : Number(r.skin_tone_class),
              site: cell(r.site),
              diagnosis_confirm_type: cell(s.diagnosis_confirm_type),
              invasion_thickness_interval: cell(s.invasion_thickness_interval),
            }),
          );
        }
        images.push(image(r.isic_id!, r.lesion_id!, r.image_type as PublicImage['image_type'], { image_manipulation: r.image_manipulation! }));
        concepts.set(r.isic_id!, Object.fromEntries(CONCEPT_COLUMNS.map((c) => [c, Number(r[c])])) as ConceptScores);
      }
      const content = {
        lesions: [...lesions.values()].reverse(), // order of the input must not matter
        images: images.reverse(),
        concepts,
        attribution: metadataRows[0]!.attribution!,
        license: metadataRows[0]!.copyright_license!,
      };
      expect(groundTruthCsv(content)).toBe(officialText.groundTruth);
      expect(supplementCsv(content)).toBe(officialText.supplement);
      // Concept scores are our model's output, not the official numbers: the official file prints
      // them with R's 15 significant digits (7.72618347307867e-05), JavaScript prints the shortest
      // round-trip form (0.0000772618347307867). Compare those cells as numbers, the rest as text.
      const written = metadataCsv(content);
      expect(firstLine(written)).toBe(firstLine(officialText.metadata));
      const conceptStart = 10;
      const writtenLines = written.trimEnd().split('\n');
      const officialLines = officialText.metadata.trimEnd().split('\n');
      expect(writtenLines).toHaveLength(officialLines.length);
      expect(written.endsWith('\n') && !written.endsWith('\n\n')).toBe(officialText.metadata.endsWith('\n') && !officialText.metadata.endsWith('\n\n'));
      for (let i = 1; i < officialLines.length; i++) {
        const ours = writtenLines[i]!.split(',');
        const theirs = officialLines[i]!.split(',');
        expect(ours.slice(0, conceptStart), `metadata line ${i + 1}`).toEqual(theirs.slice(0, conceptStart));
        expect(ours.slice(conceptStart).map(Number), `metadata line ${i + 1}`).toEqual(theirs.slice(conceptStart).map(Number));
      }
    });
  },
);
