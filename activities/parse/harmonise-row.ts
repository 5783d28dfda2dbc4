import { differenceInYears, endOfDay, format, isValid, parse as parseDate } from 'date-fns';
import type { Dialect, HarmonisedField, ValueMapField } from '../../schemas/dialect.ts';
import type { PrivateRecord } from '../../schemas/records.ts';
import { IMAGE_TYPES } from '../../schemas/release.ts';
import { FIELD_TERMS_FILE, normalise, vocabulary, type TermField } from '../../schemas/vocabulary.ts';

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
  /** dates after this day are refused (`invalid-date`): an exam cannot have happened yet */
  today: Date = new Date(),
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
  const rejectValue = (field: HarmonisedField, expected: string) =>
    new RowRejection('unknown-value', `column ${dialect.columns[field]} (${field}) has ${JSON.stringify(cell(field))}, ${expected}`);
  const imageType = (): PrivateRecord['imageType'] => {
    const value = mapped('imageType')!;
    const hit = IMAGE_TYPES.find((t) => normalise(t) === normalise(value));
    if (!hit) throw rejectValue('imageType', `expected one of ${IMAGE_TYPES.join(', ')} or a local term mapped in dialect.values.imageType`);
    return hit;
  };
  /** A field's release term; a value no vocabulary holds names the vocabulary to extend (or the dialect map to add). */
  const termOf = (field: ValueMapField | 'invasionThickness', vocabularyField: TermField): string | undefined => {
    const value = field === 'invasionThickness' ? cell(field)?.replace(/\s+/g, '') : mapped(field);
    if (value === undefined) return undefined;
    const hit = vocabulary().fieldTerm(vocabularyField, value);
    if (hit) return hit;
    const mapHint = field === 'invasionThickness' ? '' : ` or map the local term in dialect.values.${field}`;
    throw rejectValue(field, `not a ${vocabularyField} term of ${FIELD_TERMS_FILE} (${vocabulary().fieldValues(vocabularyField).join(', ')}): extend that vocabulary${mapHint}`);
  };

  const diagnosisTerm = vocabulary().diagnosis(mapped('diagnosis') ?? '');
  if (!diagnosisTerm) throw new RowRejection('unknown-diagnosis', `column ${dialect.columns.diagnosis} (diagnosis) has ${JSON.stringify(cell('diagnosis'))}, which maps to no MILK10k diagnosis`);

  const birthDate = date(cell('birthDate'), dialect, 'birthDate', today);
  const examDate = date(cell('examDate'), dialect, 'examDate', today);
  if (birthDate && examDate && birthDate > examDate) throw new RowRejection('invalid-date', `column ${dialect.columns.birthDate} (birthDate) is after column ${dialect.columns.examDate} (examDate)`);
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
    sex: termOf('sex', 'sex'),
    site: termOf('site', 'site'),
    skinTone: skinTone(mapped('skinTone')),
    imageType: imageType(),
    diagnosis: diagnosisTerm.term,
    confirmType: termOf('confirmType', 'diagnosis_confirm_type'),
    invasionThickness: termOf('invasionThickness', 'invasion_thickness_interval'),
    manipulation: termOf('manipulation', 'image_manipulation') ?? 'instrument only',
    concomitantBiopsy: yesNo(cell('concomitantBiopsy'), () => rejectValue('concomitantBiopsy', 'expected yes/no, true/false or 1/0')),
  };
}

function date(value: string | undefined, dialect: Dialect, field: 'birthDate' | 'examDate', today: Date): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = parseDate(value, dialect.dateFormat, new Date(2000, 0, 1));
  if (!isValid(parsed)) throw new RowRejection('invalid-date', `column ${dialect.columns[field]} (${field}) is not a date in format ${dialect.dateFormat}`);
  if (parsed > endOfDay(today)) throw new RowRejection('invalid-date', `column ${dialect.columns[field]} (${field}) is a date after the build date`);
  return parsed;
}

/** A decimal number as people write it (digits, one '.' or ',' decimal mark, a sign): never hex, exponents or 'Infinity'. */
const DECIMAL = /^[+-]?(\d+([.,]\d+)?|[.,]\d+)$/;

/** Exact age from the age column, else from birth and exam dates; private until de-identification. */
function age(value: string | undefined, birth: Date | undefined, exam: Date | undefined): number | undefined {
  if (value !== undefined) {
    const years = DECIMAL.test(value.trim()) ? Number(value.trim().replace(',', '.')) : NaN;
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
  const tone = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(tone) || tone < 0 || tone > 5) throw new RowRejection('unknown-value', 'skin tone is not an integer from 0 to 5');
  return tone;
}

const YES = new Set(['yes', 'y', 'true', '1']);
const NO = new Set(['no', 'n', 'false', '0']);

function yesNo(value: string | undefined, rejection: () => RowRejection): boolean | undefined {
  if (value === undefined) return undefined;
  const v = normalise(value);
  if (YES.has(v)) return true;
  if (NO.has(v)) return false;
  throw rejection();
}
