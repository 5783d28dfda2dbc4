import { readdirSync, readFileSync } from 'node:fs';
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

/** Metadata fields whose release terms are data (`milk10k-field-terms.csv`), not code. */
export const TERM_FIELDS = ['sex', 'site', 'diagnosis_confirm_type', 'image_manipulation', 'invasion_thickness_interval'] as const;
export type TermField = (typeof TERM_FIELDS)[number];
export const FIELD_TERMS_FILE = 'schemas/vocabulary/milk10k-field-terms.csv';
const FieldTermRow = z.object({ field: z.enum(TERM_FIELDS), term: z.string().min(1) });

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
  private readonly fieldTerms = new Map<TermField, string[]>(TERM_FIELDS.map((f) => [f, []]));

  constructor() {
    for (const row of readCsv(path.basename(FIELD_TERMS_FILE), FieldTermRow)) this.fieldTerms.get(row.field)!.push(row.term);
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

  /** The release terms of a metadata field, in the file's order. */
  fieldValues(field: TermField): readonly string[] {
    return this.fieldTerms.get(field)!;
  }

  /** The release term a value stands for (case- and space-insensitive), or undefined. */
  fieldTerm(field: TermField, value: string): string | undefined {
    const wanted = normalise(value);
    return this.fieldValues(field).find((t) => normalise(t) === wanted);
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

let words: string[] | undefined;

/**
 * Every word of the public vocabulary files (diagnoses, sites, field terms, column descriptions):
 * text every release prints, so a patient whose name is such a word does not make the release's
 * own tables a leak.
 */
export function publicVocabularyWords(): readonly string[] {
  words ??= [...new Set(readdirSync(DIR).filter((f) => f.endsWith('.csv') || f.endsWith('.md')).flatMap((f) => readFileSync(path.join(DIR, f), 'utf8').split(/[^\p{L}\p{N}]+/u)))].filter(Boolean);
  return words;
}
