import { format, parseISO } from 'date-fns';
import type { Centre } from '../../schemas/config.ts';
import type { PrivateRecord, ProcessedImage, SourceObject } from '../../schemas/records.ts';

export type PhiKind = 'name' | 'local-id' | 'date' | 'filename' | 'exif-text' | 'gps';

export interface PhiValue {
  kind: PhiKind;
  value: string;
}

/** Values shorter than this cannot be searched for without matching everywhere; they are counted as unscannable. */
export const MIN_SCANNABLE = 5;

/** Date formats a leaked date could take: ISO, each centre's own, and the common others. */
const DATE_FORMATS = ['yyyy-MM-dd', 'dd.MM.yyyy', 'dd/MM/yyyy', 'MM/dd/yyyy', 'yyyyMMdd', 'yyyy:MM:dd'];

/**
 * Every identifying value the private side knows — names, local ids, birth and exam dates in every
 * format a centre uses, source filenames, EXIF texts, dates and GPS positions — for the leak scan.
 */
export function phiValues(centres: readonly Centre[], records: readonly PrivateRecord[], inventory: readonly SourceObject[], images: readonly ProcessedImage[]): PhiValue[] {
  const values = new Map<string, PhiKind>();
  const add = (kind: PhiKind, value: string | undefined) => {
    const v = value?.trim();
    if (v) values.set(v, values.get(v) ?? kind);
  };
  const formats = [...new Set([...DATE_FORMATS, ...centres.map((c) => c.dialect.dateFormat)])];
  const addDate = (iso: string | undefined) => {
    if (!iso) return;
    const date = parseISO(iso);
    for (const f of formats) add('date', format(date, f));
  };
  for (const r of records) {
    add('name', r.patientName);
    for (const part of r.patientName?.split(/[\s,]+/) ?? []) add('name', part);
    add('local-id', r.patientId);
    add('local-id', r.lesionId);
    addDate(r.birthDate);
    addDate(r.examDate);
  }
  for (const o of inventory) {
    add('filename', o.key);
    add('filename', o.key.split('/').pop());
  }
  for (const image of images) {
    for (const text of image.exif.texts) add('exif-text', text);
    for (const date of image.exif.dates) add('date', date);
    if (image.exif.gps) {
      add('gps', image.exif.gps.latitude.toFixed(4));
      add('gps', image.exif.gps.longitude.toFixed(4));
    }
  }
  return [...values].map(([value, kind]) => ({ kind, value }));
}
