import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { exclusionsReport } from '../../activities/release/activity.ts';
import { csvSafe } from '../../activities/storage/csv-safe.ts';
import type { Exclusion } from '../../schemas/records.ts';

describe('csvSafe (OWASP CSV injection)', () => {
  it.each(['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1:A2)', '\tcmd', '\rcmd'])('quotes %j so a spreadsheet shows it as text', (value) => {
    expect(csvSafe(value)).toBe(`'${value}`);
  });

  it.each(['bilder/IMG_0001.jpg', 'row 3: has 4 fields', '', ' =not at the start', "'already quoted", 'a=b', '2'])('leaves %j as it is', (value) => {
    expect(csvSafe(value)).toBe(value);
  });

  it('writes numbers as text, unchanged when not negative', () => {
    expect(csvSafe(12)).toBe('12');
    expect(csvSafe(-1)).toBe("'-1");
  });
});

describe('the private exclusions report', () => {
  it('writes every cell through csvSafe, keeping ordinary cells as they were', () => {
    const exclusions: Exclusion[] = [
      { centre: 'vienna', stage: 'parse', entity: 'record', reason: 'unknown-diagnosis', detail: 'export/befunde.csv row 3: column Diagnose has "=cmd|\' /C calc\'!A0"', key: 'export/befunde.csv', row: 3 },
      { centre: 'vienna', stage: 'retrieve', entity: 'object', reason: 'unrecognised-object', detail: '@evil.csv is neither the metadata file nor an image', key: '@evil.csv' },
      { centre: 'vienna', stage: 'retrieve', entity: 'object', reason: 'unrecognised-object', detail: '-2+3.txt is neither', key: '-2+3.txt' },
    ];
    const rows = parse(exclusionsReport(exclusions), { columns: true }) as Record<string, string>[];
    expect(rows[0]).toEqual({ centre: 'vienna', stage: 'parse', entity: 'record', reason: 'unknown-diagnosis', key: 'export/befunde.csv', row: '3', detail: exclusions[0]!.detail });
    expect(rows[1]).toMatchObject({ key: "'@evil.csv", row: '', detail: "'@evil.csv is neither the metadata file nor an image" });
    expect(rows[2]).toMatchObject({ key: "'-2+3.txt", detail: "'-2+3.txt is neither" });
  });
});
