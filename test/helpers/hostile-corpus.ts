/**
 * A hostile corpus planted into synthetic centre drops: each kind rewrites one image of its own
 * lesion so that a patient's name hides where a careless pipeline would copy or render it, and
 * says what a correct build does with it (release it without the name, or exclude it with a
 * reason). The planted value is the row's own patient name (or, for centres that send none, its
 * local patient id), which the private side knows, so the build's leak scan would also catch it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { format } from 'date-fns';
import sharp, { type JpegOptions } from 'sharp';
import type { Centre } from '../../schemas/config.ts';
import { deidentifyImage } from '../../activities/deidentify/deidentify-image.ts';
import { markerSegment } from '../../activities/storage/jpeg/jpeg-headers.ts';
import { readJpegSegments } from '../../activities/storage/jpeg/jpeg-segments.ts';
import { drawText } from '../../scripts/synth/drawn-text.ts';
import type { SynthKeyRow } from '../../scripts/synth/write-centre-drop.ts';
import { flatGreyJpeg, plantBeforeEoi, plantInDnl, plantInShadowedHuffmanTable, plantInUnusedHuffmanTable, plantInUnusedQuantTable } from './hostile-jpeg.ts';

export interface HostileItem {
  kind: string;
  centre: string;
  /** the image's key in its centre's drop (for a folder item: the start of the keys below it) */
  file: string;
  /** a metadata row's number, when the item is a row (then `file` is the metadata file) */
  row?: number;
  /** what a correct build does: 'released' (without the planted value) or the exclusion reason */
  expect: 'released' | string;
  planted: string[];
}

type Plant = (image: Buffer, name: string) => Promise<Buffer> | Buffer;

const insertAfterSoi = (jpeg: Uint8Array, ...segments: Uint8Array[]) => Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);

/** Re-encodes `jpeg` by libjpeg in another way (progressive, restart markers...), keeping no metadata. */
const reencoded = async (jpeg: Buffer, options: JpegOptions) => sharp(jpeg).jpeg(options).toBuffer();

export const KINDS: Record<string, { expect: string; plant: Plant }> = {
  'jpeg-dnl': { expect: 'released', plant: (b, n) => plantInDnl(b, n) },
  'jpeg-unused-quant-table': { expect: 'released', plant: (b, n) => plantInUnusedQuantTable(b, n) },
  'jpeg-unused-huffman-table': { expect: 'released', plant: (b, n) => plantInUnusedHuffmanTable(b, n) },
  'jpeg-shadowed-huffman-table': { expect: 'released', plant: (b, n) => plantInShadowedHuffmanTable(b, n) },
  'jpeg-bytes-before-eoi': { expect: 'released', plant: (b, n) => plantBeforeEoi(b, n) },
  'jpeg-progressive-bytes-before-eoi': { expect: 'released', plant: async (b, n) => plantBeforeEoi(await reencoded(b, { progressive: true }), n) },
  'jpeg-comment-latin1': { expect: 'released', plant: (b, n) => insertAfterSoi(b, markerSegment(0xfe, Buffer.from(`Patient ${n}`, 'latin1'))) },
  'jpeg-comment-utf16': { expect: 'released', plant: (b, n) => insertAfterSoi(b, markerSegment(0xfe, Buffer.from(`Patient ${n.toUpperCase()}`, 'utf16le'))) },
  'jpeg-app15-maker-data': { expect: 'released', plant: (b, n) => insertAfterSoi(b, markerSegment(0xef, Buffer.from(`MAKER\0${n}`, 'latin1'))) },
  'jpeg-after-eoi': { expect: 'released', plant: (b, n) => Buffer.concat([b, Buffer.from(` ${n}`, 'utf8')]) },
  'jpeg-every-hiding-place': {
    expect: 'released',
    plant: (b, n) => plantInDnl(plantInUnusedHuffmanTable(plantInUnusedQuantTable(plantBeforeEoi(b, n), n), n), n),
  },
  'png-text-chunk': { expect: 'released', plant: async (b, n) => withPngText(await sharp(b).png().toBuffer(), n) },
  'tiff-image-description': { expect: 'released', plant: (b, n) => sharp(b).withExif({ IFD0: { ImageDescription: n, Artist: n } }).tiff().toBuffer() },
  'svg-named-jpg': {
    expect: 'unsupported-format',
    plant: (_b, n) => Buffer.from(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="600" height="450"><text x="10" y="200" font-size="60">${n}</text></svg>`),
  },
  // Burned into the pixels, as a camera or viewer stamps a caption: no metadata to strip, only text detection sees it.
  'name-burned-into-pixels': { expect: 'phi-in-pixels', plant: (b, n) => drawText(b, n, { size: 0.07, x: 0.04, y: 0.93, colour: 'white', outline: 'black' }) },
  'name-burned-into-pixels-small-dark': { expect: 'phi-in-pixels', plant: (b, n) => drawText(b, n, { size: 0.045, x: 0.3, y: 0.08, colour: '#202020' }) },
  'pdf-named-jpg': { expect: 'unsupported-format', plant: (_b, n) => Buffer.from(`%PDF-1.4\n1 0 obj << /Title (${n}) >> endobj\n%%EOF\n`, 'latin1') },
  'gif-named-jpg': { expect: 'unsupported-format', plant: async (b, n) => Buffer.concat([await sharp(b).gif().toBuffer(), Buffer.from(n)]) },
  'html-named-jpg': { expect: 'unsupported-format', plant: (_b, n) => Buffer.from(`<html><body><h1>${n}</h1></body></html>`) },
  'jpeg-cut-in-half': { expect: 'undecodable-image', plant: (b) => b.subarray(0, Math.floor(b.length / 2)) },
  'jpeg-cut-in-header': { expect: 'undecodable-image', plant: (b, n) => Buffer.concat([insertAfterSoi(b, markerSegment(0xfe, Buffer.from(n, 'latin1'))).subarray(0, readJpegSegments(b).find((s) => s.name === 'SOF0')!.offset + 12)]) },
  'jpeg-soi-only': { expect: 'unsupported-format', plant: () => Buffer.from([0xff, 0xd8]) },
  'zero-byte-file': { expect: 'empty-object', plant: () => Buffer.alloc(0) },
  'jpeg-huge-dimensions': {
    expect: 'undecodable-image',
    plant: (b, n) => {
      const out = insertAfterSoi(b, markerSegment(0xfe, Buffer.from(n, 'latin1')));
      const sof = readJpegSegments(out).find((s) => s.name === 'SOF0')!;
      out.writeUInt16BE(60000, sof.offset + 5);
      out.writeUInt16BE(60000, sof.offset + 7);
      return out;
    },
  },
  // Every header check passes; then the QC thumbnail (128 × 1 px) is too small to measure: the measure throws.
  'jpeg-one-pixel-rows-decoder-crash': { expect: 'decoder-crash', plant: (_b, n) => insertAfterSoi(flatGreyJpeg(16000, 3), markerSegment(0xfe, Buffer.from(n, 'latin1'))) },
  'jpeg-progressive-comment-between-scans': {
    expect: 'released',
    plant: async (b, n) => {
      const progressive = await reencoded(b, { progressive: true });
      const second = readJpegSegments(progressive).filter((s) => s.name === 'SOS')[1]!;
      return Buffer.concat([progressive.subarray(0, second.offset), markerSegment(0xfe, Buffer.from(`Patient ${n}`, 'latin1')), progressive.subarray(second.offset)]);
    },
  },
  'jpeg-app13-iptc-utf16be': { expect: 'released', plant: (b, n) => insertAfterSoi(b, markerSegment(0xed, Buffer.concat([Buffer.from('Photoshop 3.0\0', 'latin1'), Buffer.from(Buffer.from(n, 'utf16le')).swap16()]))) },
  'jpeg-xmp-creator': {
    expect: 'released',
    plant: (b, n) => insertAfterSoi(b, markerSegment(0xe1, Buffer.from(`http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>${n}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>`, 'utf8'))),
  },
  'jpeg-exif-orientation-and-artist': { expect: 'released', plant: (b, n) => sharp(b).withExif({ IFD0: { Artist: n, Copyright: n } }).withMetadata({ orientation: 6 }).jpeg().toBuffer() },
  'png-itxt-xmp': { expect: 'released', plant: async (b, n) => withPngChunk(await sharp(b).png().toBuffer(), 'iTXt', Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0', 'latin1'), Buffer.from(`<x:xmpmeta><dc:creator>${n}</dc:creator></x:xmpmeta>`, 'utf8')])) },
  'png-ztxt-compressed': { expect: 'released', plant: async (b, n) => withPngChunk(await sharp(b).png().toBuffer(), 'zTXt', Buffer.concat([Buffer.from('Author\0\0', 'latin1'), deflateSync(Buffer.from(n, 'latin1'))])) },
  'png-bad-crc': {
    expect: 'undecodable-image',
    plant: async (b, n) => {
      const png = withPngText(await sharp(b).png().toBuffer(), n);
      png.writeUInt32BE(png.readUInt32BE(29) ^ 0xffffffff, 29); // IHDR's CRC
      return png;
    },
  },
  'webp-named-jpg': { expect: 'unsupported-format', plant: async (b, n) => sharp(b).webp().withExif({ IFD0: { Artist: n } }).toBuffer() },
  'bmp-named-jpg': { expect: 'unsupported-format', plant: (_b, n) => bmpWithName(n) },
  'jpeg-frame-header-overlong': {
    expect: 'undecodable-image',
    plant: (b, n) => {
      const sof = readJpegSegments(b).find((s) => s.name === 'SOF0')!;
      const body = Buffer.concat([b.subarray(sof.offset + 4, sof.offset + sof.length), Buffer.from(n, 'latin1')]);
      return Buffer.concat([b.subarray(0, sof.offset), markerSegment(0xc0, body), b.subarray(sof.offset + sof.length)]);
    },
  },
};

/**
 * Plants one item of every kind, each into an image of a different lesion (`key` rows in order,
 * one per lesion), overwriting the file in the drop under `dir`; then a folder nested too deep, a
 * lesion whose second image is gone, a name spelled by an image's own bytes, and the hostile rows
 * (on lesions of the first csv centre, set aside first). Needs a few more lesions than kinds.
 */
export async function plantHostileCorpus(dir: string, key: readonly SynthKeyRow[], centres: readonly Centre[]): Promise<HostileItem[]> {
  const byLesion = new Map<string, SynthKeyRow>();
  for (const row of key) {
    const lesion = lesionOf(row);
    if (planted(row).length >= 5 && !byLesion.has(lesion)) byLesion.set(lesion, row);
  }
  const rowCentre = centres.find((c) => c.dialect.layout === 'csv' && c.dialect.columns.examDate && c.dialect.columns.birthDate && c.dialect.columns.patientName);
  if (!rowCentre) throw new Error('the hostile rows need a csv centre with patient names, birth and exam dates');
  const forRows = [...byLesion.values()].filter((r) => r.centre === rowCentre.id).slice(0, ROW_KINDS.length + 1);
  const rows = [...byLesion.values()].filter((r) => !forRows.includes(r));
  const kinds = Object.entries(KINDS);
  if (rows.length < kinds.length + 2 || forRows.length < ROW_KINDS.length + 1) {
    throw new Error(`the hostile corpus needs ${kinds.length + 2} lesions with a patient name or id and ${ROW_KINDS.length + 1} of centre ${rowCentre.id}; the drops have ${rows.length} and ${forRows.length}`);
  }
  const items: HostileItem[] = [];
  for (const [i, [kind, { expect, plant }]] of kinds.entries()) {
    const row = rows[i];
    const file = path.join(dir, row.centre, row.file);
    writeFileSync(file, await plant(readFileSync(file), planted(row)));
    items.push({ kind, centre: row.centre, file: row.file, expect, planted: [planted(row)] });
  }
  // A folder nested past the system's path limit, each level a patient's name: retrieval cannot list it.
  const deep = rows[kinds.length];
  const level = `${planted(deep)} ${'x'.repeat(40)}`;
  const made = spawnSync('bash', ['-c', 'cd "$1" && for i in $(seq 1 79); do mkdir "$2 $i" && cd "$2 $i" || exit 1; done; echo x > photo.jpg', '_', path.join(dir, deep.centre), level]);
  if (made.status !== 0) throw new Error(`could not nest folders: ${made.stderr}`);
  items.push({ kind: 'folder-nested-past-path-limit', centre: deep.centre, file: level, expect: 'unreadable-object', planted: [planted(deep)] });
  // A lesion left with one image: its other image is gone from the drop (its row is missing-image).
  const single = rows[kinds.length + 1];
  const partner = key.find((r) => lesionOf(r) === lesionOf(single) && r.file !== single.file);
  if (!partner) throw new Error(`lesion ${lesionOf(single)} has one image in the synthetic drop`);
  rmSync(path.join(dir, partner.centre, partner.file));
  items.push({ kind: 'lesion-with-one-image', centre: single.centre, file: single.file, expect: 'unpaired-lesion', planted: [planted(single)] });
  items.push(await nameInImageBytes(dir, rowCentre, forRows[ROW_KINDS.length]!));
  for (const item of plantHostileRows(dir, forRows.slice(0, ROW_KINDS.length), rowCentre)) items.push(item);
  return items;
}

/**
 * A patient renamed to what ten bytes of the entropy-coded data of their own de-identified image
 * spell in Latin-1: the released image carries the case's own name by chance, where only the leak
 * scan's every-byte search finds it. That case is withheld (`leak-scan-hit`), the rest released.
 */
async function nameInImageBytes(dir: string, centre: Centre, row: SynthKeyRow): Promise<HostileItem> {
  const deidentified = (await deidentifyImage(readFileSync(path.join(dir, row.centre, row.file)))).jpeg;
  const segments = readJpegSegments(deidentified);
  const isLetter = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0xc0 && b !== 0xd7 && b !== 0xf7);
  let name: string | undefined;
  segments.forEach((s, i) => {
    if (name || s.name !== 'SOS') return;
    const data = deidentified.subarray(s.offset + s.length, segments[i + 1]!.offset);
    for (let at = 0, run = 0; at < data.length && !name; at++) {
      run = isLetter(data[at]!) ? run + 1 : 0;
      if (run === 10) name = Buffer.from(data.subarray(at - 9, at + 1)).toString('latin1');
    }
  });
  if (!name) throw new Error(`no ten letters in a row in the entropy-coded data of ${row.file}`);
  const file = path.join(dir, centre.id, centre.dialect.metadataFile!);
  const encoding = centre.dialect.encoding === 'latin1' ? 'latin1' : 'utf8';
  const text = readFileSync(file, encoding);
  if (!text.includes(row.patient_name)) throw new Error(`${row.patient_name} is not written as such in ${file}`);
  writeFileSync(file, Buffer.from(text.replaceAll(row.patient_name, name), encoding));
  return { kind: 'name-spelled-by-own-image-bytes', centre: centre.id, file: row.file, expect: 'leak-scan-hit', planted: [name] };
}

/** A hostile row: a copy of a lesion's row with one change, and the reason a correct build excludes it with. */
interface RowKind {
  kind: string;
  expect: string;
  edit: (cell: (field: keyof Centre['dialect']['columns'], value?: string) => string, context: { other: SynthKeyRow; dateFormat: string; year: number }) => void;
}

const ROW_KINDS: RowKind[] = [
  { kind: 'row-claims-another-patients-image', expect: 'ambiguous-image', edit: (cell, { other }) => cell('patientId', other.patient_id) },
  { kind: 'row-exam-date-in-future', expect: 'invalid-date', edit: (cell, { dateFormat, year }) => cell('examDate', format(new Date(year + 3, 0, 15), dateFormat)) },
  { kind: 'row-birth-after-exam', expect: 'invalid-date', edit: (cell, { dateFormat, year }) => cell('birthDate', format(new Date(year - 1, 0, 15), dateFormat)) },
  { kind: 'row-born-200-years-ago', expect: 'invalid-age', edit: (cell, { dateFormat, year }) => cell('birthDate', format(new Date(year - 200, 0, 15), dateFormat)) },
  { kind: 'row-exam-on-31-february', expect: 'invalid-date', edit: (cell, { dateFormat }) => cell('examDate', dateFormat.replace('yyyy', '2021').replace('MM', '02').replace('dd', '31')) },
  { kind: 'row-diagnosis-not-in-vocabulary', expect: 'unknown-diagnosis', edit: (cell) => cell('diagnosis', 'Morbus Unbekannt') },
  { kind: 'row-formula-in-diagnosis', expect: 'unknown-diagnosis', edit: (cell) => cell('diagnosis', "=cmd|' /C calc'!A0") },
  { kind: 'row-unknown-image-type', expect: 'unknown-value', edit: (cell) => cell('imageType', 'thermographie') },
  { kind: 'row-empty-lesion-id', expect: 'missing-field', edit: (cell) => cell('lesionId', '') },
  { kind: 'row-image-not-in-drop', expect: 'missing-image', edit: (cell) => cell('imageFile', cell('imageFile').replace(/[^/]+$/, 'nicht-vorhanden.jpg')) },
  { kind: 'row-exact-duplicate', expect: 'duplicate-row', edit: () => {} },
];

/**
 * Rows appended to a csv centre's export, each a copy of the row of an image of its own lesion
 * with one change (ROW_KINDS). The rows keep the centre's delimiter, encoding and line ends.
 */
function plantHostileRows(dir: string, rows: readonly SynthKeyRow[], centre: Centre): HostileItem[] {
  const { dialect } = centre;
  const delimiter = dialect.delimiter ?? ',';
  const file = path.join(dir, centre.id, dialect.metadataFile!);
  const encoding = dialect.encoding === 'latin1' ? 'latin1' : 'utf8';
  const text = readFileSync(file, encoding);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(eol).filter((l) => l !== '');
  const header = lines[0]!.split(delimiter);
  const column = (field: keyof typeof dialect.columns) => header.indexOf(dialect.columns[field]!);
  const rowOf = (r: SynthKeyRow) => lines.findIndex((l, i) => i > 0 && l.split(delimiter)[column('imageFile')] === r.file);
  const year = new Date().getFullYear();
  const appended = ROW_KINDS.map((k, i) => {
    const cells = lines[rowOf(rows[i]!)]!.split(delimiter);
    k.edit((field, value) => (value === undefined ? cells[column(field)]! : (cells[column(field)] = value)), { other: rows.find((r) => r.patient_id !== rows[i]!.patient_id)!, dateFormat: dialect.dateFormat, year });
    return cells.join(delimiter);
  });
  writeFileSync(file, Buffer.from(text.replace(new RegExp(`(${eol})?$`), '') + eol + appended.join(eol) + eol, encoding));
  return ROW_KINDS.map((k, i) => ({ kind: k.kind, centre: centre.id, file: dialect.metadataFile!, row: lines.length + i, expect: k.expect, planted: [planted(rows[i]!)] }));
}

const lesionOf = (row: SynthKeyRow) => `${row.centre}/${row.patient_id}/${row.local_lesion_id}`;
const planted = (row: SynthKeyRow) => row.patient_name || row.patient_id;

/** The value in every encoding and case a leak could take: UTF-8, Latin-1, UTF-16LE/BE; as is, upper, lower. */
export function plantedForms(value: string): Buffer[] {
  const forms = [...new Set([value, value.toUpperCase(), value.toLowerCase()])];
  return forms.flatMap((v) => {
    const le = Buffer.from(v, 'utf16le');
    return [Buffer.from(v, 'utf8'), Buffer.from(v, 'latin1'), le, Buffer.from(le).swap16()];
  });
}

/** A PNG with a tEXt chunk (keyword 'Comment') inserted after IHDR. */
function withPngText(png: Buffer, text: string): Buffer {
  return withPngChunk(png, 'tEXt', Buffer.concat([Buffer.from('Comment\0', 'latin1'), Buffer.from(text, 'latin1')]));
}

/** A 2 × 2 24-bit BMP whose trailing bytes hold the value. */
function bmpWithName(value: string): Buffer {
  const pixels = Buffer.alloc(16, 0x80);
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + pixels.length, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(2, 18);
  header.writeInt32LE(2, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  return Buffer.concat([header, pixels, Buffer.from(value, 'latin1')]);
}

/** A PNG with a chunk of this type inserted after IHDR, its CRC correct. */
function withPngChunk(png: Buffer, type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
