import type { PrivateRecord } from '../../schemas/records.ts';

/**
 * Where a lesion comes from, for the private detail of a lesion-level exclusion: its centre, the
 * metadata file(s) and rows of its records, and its local patient and lesion ids, e.g.
 * `vienna: export/befunde.csv rows 3, 7 (patient PAT-1, lesion L1)`, so a curator can find it.
 */
export function lesionPlace(records: readonly PrivateRecord[]): string {
  const byFile = new Map<string, number[]>();
  for (const r of records) byFile.set(r.metadataKey, [...(byFile.get(r.metadataKey) ?? []), r.row]);
  const files = [...byFile].map(([file, rows]) => {
    const sorted = [...new Set(rows)].sort((a, b) => a - b);
    return `${file} ${sorted.length === 1 ? 'row' : 'rows'} ${sorted.join(', ')}`;
  });
  const first = records[0]!;
  return `${first.centre}: ${files.join('; ')} (patient ${first.patientId}, lesion ${first.lesionId})`;
}
