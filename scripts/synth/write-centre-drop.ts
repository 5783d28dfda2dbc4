import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { addDays, format, subYears } from 'date-fns';
import pMap from 'p-map';
import sharp from 'sharp';
import type { Centre } from '../../schemas/config.ts';
import type { Dialect, DialectColumns, ValueMapField } from '../../schemas/dialect.ts';
import { CENTRE_STYLES, FIRST_NAMES, LAST_NAMES } from './centre-style.ts';
import { buildExifApp1, insertApp1, type CameraExif } from './exif.ts';
import { LocalIds } from './local-ids.ts';
import type { Random } from './random.ts';
import type { SourceImage, SourceLesion } from './source-lesion.ts';

/** One row of the generator's private answer key: which source image became which file of which centre. */
export interface SynthKeyRow {
  centre: string;
  file: string;
  patient_id: string;
  local_lesion_id: string;
  patient_name: string;
  /** as written in the export, in the centre's date format ('' when the centre sends none) */
  birth_date: string;
  exam_date: string;
  source_lesion_id: string;
  source_isic_id: string;
  /** 0: the source image as published; k > 0: its k-th transformed copy (`milk synth --scale`) */
  copy: number;
  image_type: string;
}

/** Orientation tag -> the rotation that turns upright pixels into what such a camera stores. */
const STORED_ROTATION: Record<number, number> = { 3: 180, 6: 270, 8: 90 };

/** One image's metadata row as the generator knows it: the image's key in the drop and each field's local text. */
interface DropRow {
  file: string;
  values: Record<keyof DialectColumns, string | undefined>;
}

/** An image the drop will hold, decided before any pixels are read. */
interface PlannedImage {
  file: string;
  image: SourceImage;
  orientation: number;
  exif: Omit<CameraExif, 'orientation'>;
}

/** Images loaded, transformed and written at once: enough to keep both cores busy, few enough to hold little. */
const WRITE_CONCURRENCY = 3;

/**
 * Writes a centre's drop the way that centre exports: its dialect (layout, columns, delimiter,
 * encoding, dates, local wording) applied in reverse, its id and filename habits, and camera EXIF
 * with dates, GPS and names in every JPEG, some with an orientation other than 1.
 */
export async function writeCentreDrop(centre: Centre, position: number, lesions: readonly SourceLesion[], folder: string, random: Random): Promise<SynthKeyRow[]> {
  const style = CENTRE_STYLES[position % CENTRE_STYLES.length]!;
  const { dialect } = centre;
  const rows: DropRow[] = [];
  const key: SynthKeyRow[] = [];
  const planned: PlannedImage[] = [];
  const ids = new LocalIds(style, random);
  const used = new Set<string>();
  // A centre may get no lesions; its drop is then an empty folder, not a missing one (a sidecar drop writes no metadata file).
  await mkdir(folder, { recursive: true });

  for (const [n, lesion] of lesions.entries()) {
    const { patientId, lesionId } = ids.next(n);
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const age = lesion.ageApprox === undefined ? undefined : Math.max(0, lesion.ageApprox + random.int(lesion.ageApprox >= 85 ? 0 : -2, 2));
    const examDate = addDays(new Date(Date.UTC(2016, 0, 1)), random.int(0, 365 * 8));
    const birthDate = age === undefined ? undefined : subYears(addDays(examDate, -random.int(1, 364)), age);
    for (const [i, image] of lesion.images.entries()) {
      const dermoscopic = image.imageType === 'dermoscopic';
      let file = placed(style.fileName({ random, first, last, examDate, patientId, lesionId, dermoscopic, n: i + 1 }), patientId, dialect);
      while (used.has(file.toLowerCase())) file = file.replace(/(\.[^.]+)$/, `_${random.digits(2)}$1`);
      used.add(file.toLowerCase());
      const orientation = random.next() < 0.15 ? random.pick([3, 6, 8]) : 1;
      planned.push({
        file,
        image,
        orientation,
        exif: {
          ...style.camera,
          artist: `Dr. ${random.pick(LAST_NAMES)}`,
          imageDescription: `${last}, ${first} ${patientId}`,
          dateTimeOriginal: `${format(examDate, 'yyyy:MM:dd')} ${String(random.int(8, 17)).padStart(2, '0')}:${String(random.int(0, 59)).padStart(2, '0')}:00`,
          gps: { latitude: style.gps.latitude + (random.next() - 0.5) * 0.01, longitude: style.gps.longitude + (random.next() - 0.5) * 0.01 },
        },
      });
      const values: DropRow['values'] = {
        patientId,
        lesionId,
        imageFile: file,
        imageType: local(centre, 'imageType', image.imageType),
        diagnosis: local(centre, 'diagnosis', lesion.diagnosis),
        patientName: `${last}, ${first}`,
        birthDate: birthDate && format(birthDate, dialect.dateFormat),
        examDate: format(examDate, dialect.dateFormat),
        age: age === undefined ? undefined : String(age),
        sex: lesion.sex && local(centre, 'sex', lesion.sex),
        site: lesion.site && local(centre, 'site', lesion.site),
        skinTone: lesion.skinTone === undefined ? undefined : local(centre, 'skinTone', String(lesion.skinTone)),
        confirmType: local(centre, 'confirmType', lesion.confirmType),
        invasionThickness: lesion.invasionThickness,
        manipulation: local(centre, 'manipulation', image.manipulation),
        concomitantBiopsy: undefined,
      };
      rows.push({ file, values });
      key.push({
        centre: centre.id, file, patient_id: patientId, local_lesion_id: lesionId, patient_name: values.patientName!,
        birth_date: values.birthDate ?? '', exam_date: values.examDate ?? '', source_lesion_id: lesion.lesionId, source_isic_id: image.isicId, copy: lesion.copy ?? 0, image_type: image.imageType,
      });
    }
  }
  // Every random draw is made above, in order, so writing concurrently keeps the drop the same for a seed.
  await pMap(planned, async ({ file, image, orientation, exif }) => writeImage(path.join(folder, file), await image.load(), orientation, exif), { concurrency: WRITE_CONCURRENCY });
  await writeMetadata(dialect, rows, folder);
  return key;
}

/** Where an image goes in the drop: where the centre style names it, or for sidecar drops in its patient's folder. */
function placed(styleName: string, patientId: string, dialect: Dialect): string {
  return dialect.layout === 'sidecar' ? `${patientId}/${path.posix.basename(styleName)}` : styleName;
}

/** Writes the metadata in the centre's layout: one delimited file, one JSON-lines file, or a sidecar beside each image. */
async function writeMetadata(dialect: Dialect, rows: readonly DropRow[], folder: string): Promise<void> {
  const columns = Object.entries(dialect.columns) as [keyof DialectColumns, string][];
  switch (dialect.layout) {
    case 'csv': {
      const table = [columns.map(([, column]) => column), ...rows.map((row) => columns.map(([field]) => row.values[field] ?? ''))];
      return writeText(path.join(folder, dialect.metadataFile), stringify(table, { delimiter: dialect.delimiter, record_delimiter: '\r\n' }), dialect.encoding);
    }
    case 'jsonl': {
      const lines = rows.map((row) => `${JSON.stringify(jsonRow(columns, row.values))}\n`);
      return writeText(path.join(folder, dialect.metadataFile), lines.join(''), dialect.encoding);
    }
    case 'sidecar':
      // The image key is implied by the sidecar's name, so the sidecar leaves the imageFile column out.
      for (const row of rows) {
        const sidecar = row.file.replace(/\.[^./]+$/, dialect.sidecarExtension);
        const fields = columns.filter(([field]) => field !== 'imageFile');
        await writeText(path.join(folder, sidecar), `${JSON.stringify(jsonRow(fields, row.values), null, 2)}\n`, dialect.encoding);
      }
  }
}

/** A row as a JSON exporter writes it: empty fields left out, numeric ones (age, skin tone) as numbers. */
function jsonRow(columns: readonly [keyof DialectColumns, string][], values: DropRow['values']): Record<string, string | number> {
  const row: Record<string, string | number> = {};
  for (const [field, column] of columns) {
    const value = values[field];
    if (value === undefined || value === '') continue;
    row[column] = (field === 'age' || field === 'skinTone') && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return row;
}

async function writeText(file: string, text: string, encoding: Dialect['encoding']): Promise<void> {
  const bytes = encoding === 'latin1' ? Buffer.from(text, 'latin1') : Buffer.from(encoding === 'utf8-bom' ? `\ufeff${text}` : text, 'utf8');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
}

/** The centre's local wording for a release value: the first local term its value map sends there. */
function local(centre: Centre, field: ValueMapField, value: string): string {
  const map = centre.dialect.values[field] ?? {};
  return Object.entries(map).find(([, official]) => official === value)?.[0] ?? value;
}

async function writeImage(file: string, upright: Buffer, orientation: number, exif: Omit<CameraExif, 'orientation'>): Promise<void> {
  const rotation = STORED_ROTATION[orientation];
  const stored = rotation ? await sharp(upright).rotate(rotation).jpeg({ quality: 95 }).toBuffer() : upright;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, insertApp1(stored, buildExifApp1({ ...exif, orientation: orientation as CameraExif['orientation'] })));
}
