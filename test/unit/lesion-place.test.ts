import { describe, expect, it } from 'vitest';
import { lesionPlace } from '../../activities/storage/lesion-place.ts';
import type { PrivateRecord } from '../../schemas/records.ts';

const record = (metadataKey: string, row: number): PrivateRecord => ({
  centre: 'vienna', metadataKey, row, imageKey: `bilder/${row}.jpg`, patientId: 'PAT-7', lesionId: '1', imageType: 'dermoscopic', diagnosis: 'Nevus', manipulation: 'instrument only',
});

describe('lesionPlace', () => {
  it('names the centre, every file with its rows, and the local patient and lesion, not just "lesion 1"', () => {
    expect(lesionPlace([record('export/befunde.csv', 7), record('export/befunde.csv', 3), record('export/nachtrag.csv', 2)])).toBe(
      'vienna: export/befunde.csv rows 3, 7; export/nachtrag.csv row 2 (patient PAT-7, lesion 1)',
    );
  });
});
