import { differenceInYears, format, isValid, parse as parseDate } from 'date-fns';
import type { Dialect, HarmonisedField, ValueMapField } from '../../schemas/dialect.ts';
import { CONFIRM_TYPES, IMAGE_TYPES, INVASION_INTERVALS, MANIPULATIONS, SEXES, SITES, type PrivateRecord } from '../../schemas/records.ts';
import { normalise, vocabulary } from '../../schemas/vocabulary.ts';

export class RowRejection extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

const REQUIRED: HarmonisedField[] = ['patientId', 'lesionId', 'imageFile', 'imageType', 'diagnosis'];

/**
 * Turns one row of a centre export into a harmonised private record, or throws a RowRejection
 * naming the column and the reason. All centre-specific knowledge comes from the dialect.
 */
export function harmoniseRow(
  cellsByColumn: Map<string, string>,
  dialect: Dialect,
  at: { centre: string; metadataKey: string; row: number },
): PrivateRecord {
  const cell = (field: HarmonisedField): string | undefined => {
    const column = dialect.columns[field];
    const value = column === undefined ? undefined : cellsByColumn.get(column);
    return value === undefined || value === '' ? undefined : value;
  };
  for (const field of REQUIRED) {
    if (cell(field) === undefined) throw new RowRejection('missing-field', `column ${dialect.columns[field]} (${field}) is empty`);
  }
  const mapped = (field: ValueMapField): string | undefined => {
    const value = cell(field);
    if (value === undefined) return undefined;
    const map = dialect.values[field] ?? {};
    const hit = Object.entries(map).find(([local]) => normalise(local) === normalise(value));
    return hit ? hit[1] : value;
  };
  const oneOf = <T extends string>(field: ValueMapField, allowed: readonly T[]): T | undefined => {
    const value = mapped(field);
    if (value === undefined) return undefined;
    const hit = allowed.find((a) => normalise(a) === normalise(value));
    if (!hit) throw new RowRejection('unknown-value', `column ${dialect.columns[field]} (${field}) has ${JSON.stringify(cell(field))}, expected one of ${allowed.join(', ')} or a mapped local term`);
    return hit;
  };

  const diagnosisTerm = vocabulary().diagnosis(mapped('diagnosis') ?? '');
  if (!diagnosisTerm) throw new RowRejection('unknown-diagnosis', `column ${dialect.columns.diagnosis} (diagnosis) has ${JSON.stringify(cell('diagnosis'))}, which maps to no MILK10k diagnosis`);

  const birthDate = date(cell('birthDate'), dialect, 'birthDate');
  const examDate = date(cell('examDate'), dialect, 'examDate');
  return {
    centre: at.centre,
    metadataKey: at.metadataKey,
    row: at.row,
    imageKey: cell('imageFile')!.replaceAll('\\', '/'),
    patientId: cell('patientId')!,
    lesionId: cell('lesionId')!,
    patientName: cell('patientName'),
    birthDate: birthDate && format(birthDate, 'yyyy-MM-dd'),
    examDate: examDate && format(examDate, 'yyyy-MM-dd'),
    age: age(cell('age'), birthDate, examDate),
    sex: oneOf('sex', SEXES),
    site: oneOf('site', SITES),
    skinTone: skinTone(mapped('skinTone')),
    imageType: oneOf('imageType', IMAGE_TYPES)!,
    diagnosis: diagnosisTerm.term,
    confirmType: oneOf('confirmType', CONFIRM_TYPES),
    invasionThickness: interval(cell('invasionThickness')),
    manipulation: oneOf('manipulation', MANIPULATIONS) ?? 'instrument only',
  };
}

function date(value: string | undefined, dialect: Dialect, field: 'birthDate' | 'examDate'): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = parseDate(value, dialect.dateFormat, new Date(2000, 0, 1));
  if (!isValid(parsed)) throw new RowRejection('invalid-date', `column ${dialect.columns[field]} (${field}) is not a date in format ${dialect.dateFormat}`);
  return parsed;
}

/** Exact age from the age column, else from birth and exam dates; private until de-identification. */
function age(value: string | undefined, birth: Date | undefined, exam: Date | undefined): number | undefined {
  if (value !== undefined) {
    const years = Number(value.replace(',', '.'));
    if (!Number.isFinite(years) || years < 0 || years > 130) throw new RowRejection('invalid-age', 'the age column is not a plausible age in years');
    return years;
  }
  if (birth && exam) {
    const years = differenceInYears(exam, birth);
    if (years < 0 || years > 130) throw new RowRejection('invalid-age', 'birth and exam dates give an implausible age');
    return years;
  }
  return undefined;
}

function skinTone(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const tone = Number(value);
  if (!Number.isInteger(tone) || tone < 0 || tone > 5) throw new RowRejection('unknown-value', 'skin tone is not an integer from 0 to 5');
  return tone;
}

function interval(value: string | undefined): PrivateRecord['invasionThickness'] {
  if (value === undefined) return undefined;
  const hit = INVASION_INTERVALS.find((i) => i === value.replace(/\s+/g, ''));
  if (!hit) throw new RowRejection('unknown-value', `invasion thickness is not one of ${INVASION_INTERVALS.join(', ')}`);
  return hit;
}
