import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { CLASSES, type DiagnosisClass } from './release.ts';

const DIR = path.join(import.meta.dirname, 'vocabulary');

const ClassRow = z.object({
  diagnosis_full: z.string().min(1),
  class: z.enum(CLASSES),
  isic_diagnosis_path: z.string().min(1),
  seen_in: z.enum(['training', 'benchmark-only']),
});
const HierarchyRow = z.object({ path: z.string(), depth: z.coerce.number().int(), term: z.string() });

function readCsv<T>(file: string, schema: z.ZodType<T>): T[] {
  const rows = parse(readFileSync(path.join(DIR, file)), { columns: true, skip_empty_lines: true }) as unknown[];
  return rows.map((row, i) => {
    const result = schema.safeParse(row);
    if (!result.success) throw new Error(`schemas/vocabulary/${file} row ${i + 1}: ${result.error.issues[0]?.message}`);
    return result.data;
  });
}

export interface DiagnosisTerm {
  term: string;
  diagnosisClass: DiagnosisClass;
  /** ISIC-DX levels, diagnosis_1 .. diagnosis_5 (missing levels are absent). */
  levels: string[];
}

/** The MILK10k diagnosis terms and ISIC-DX hierarchy, loaded once and looked up case-insensitively. */
export class Vocabulary {
  private readonly terms = new Map<string, DiagnosisTerm>();

  constructor() {
    const hierarchy = new Set(readCsv('isic-diagnosis-hierarchy.csv', HierarchyRow).map((r) => r.path));
    for (const row of readCsv('milk10k-diagnosis-classes.csv', ClassRow)) {
      if (!hierarchy.has(row.isic_diagnosis_path)) {
        throw new Error(`schemas/vocabulary/milk10k-diagnosis-classes.csv: ${row.isic_diagnosis_path} is not in the ISIC-DX hierarchy`);
      }
      this.terms.set(normalise(row.diagnosis_full), {
        term: row.diagnosis_full,
        diagnosisClass: row.class,
        levels: row.isic_diagnosis_path.split(':'),
      });
    }
  }

  diagnosis(term: string): DiagnosisTerm | undefined {
    return this.terms.get(normalise(term));
  }

  get diagnosisTerms(): DiagnosisTerm[] {
    return [...this.terms.values()];
  }
}

export function normalise(value: string): string {
  return value.trim().toLowerCase().replace(/\s+/g, ' ');
}

let shared: Vocabulary | undefined;
export function vocabulary(): Vocabulary {
  shared ??= new Vocabulary();
  return shared;
}
