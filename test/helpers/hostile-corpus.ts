/**
 * A hostile corpus planted into synthetic centre drops: each kind rewrites one image of its own
 * lesion so that a patient's name hides where a careless pipeline would copy or render it, and
 * says what a correct build does with it (release it without the name, or exclude it with a
 * reason). The planted value is the row's own patient name (or, for centres that send none, its
 * local patient id), which the private side knows, so the build's leak scan would also catch it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { format } from 'date-fns';
import sharp, { type JpegOptions } from 'sharp';
import type { Centre } from '../../schemas/config.ts';
import { markerSegment } from '../../activities/storage/jpeg/jpeg-headers.ts';
import { readJpegSegments } from '../../activities/storage/jpeg/jpeg-segments.ts';
import type { SynthKeyRow } from '../../scripts/synth/write-centre-drop.ts';
import { plantBeforeEoi, plantInDnl, plantInShadowedHuffmanTable, plantInUnusedHuffmanTable, plantInUnusedQuantTable } from './hostile-jpeg.ts';

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

const KINDS: Record<string, { expect: string; plant: Plant }> = {
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
  'pdf-named-jpg': { expect: 'unsupported-format', plant: (_b, n) => Buffer.from(`%PDF-1.4\n1 0 obj << /Title (${n}) >> endobj\n%%EOF\n`, 'latin1') },
  'gif-named-jpg': { expect: 'unsupported-format', plant: async (b, n) => Buffer.concat([await sharp(b).gif().toBuffer(), Buffer.from(n)]) },
  'html-named-jpg': { expect: 'unsupported-format', plant: (_b, n) => Buffer.from(`<html><body><h1>${n}</h1></body></html>`) },
  'jpeg-cut-in-half': { expect: 'undecodable-image', plant: (b) => b.subarray(0, Math.floor(b.length / 2)) },
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
 * one per lesion), overwriting the file in the drop under `dir`, then a folder nested too deep and
 * the hostile rows. Needs a few more lesions than kinds.
 */
export async function plantHostileCorpus(dir: string, key: readonly SynthKeyRow[], centres: readonly Centre[]): Promise<HostileItem[]> {
  const byLesion = new Map<string, SynthKeyRow>();
  for (const row of key) {
    const lesion = `${row.centre}/${row.patient_id}/${row.local_lesion_id}`;
    if (planted(row).length >= 5 && !byLesion.has(lesion)) byLesion.set(lesion, row);
  }
  const rows = [...byLesion.values()];
  const kinds = Object.entries(KINDS);
  if (rows.length < kinds.length) throw new Error(`the hostile corpus needs ${kinds.length} lesions with a patient name or id, the drops have ${rows.length}`);
  const items: HostileItem[] = [];
  for (const [i, [kind, { expect, plant }]] of kinds.entries()) {
    const row = rows[i];
    const file = path.join(dir, row.centre, row.file);
    writeFileSync(file, await plant(readFileSync(file), planted(row)));
    items.push({ kind, centre: row.centre, file: row.file, expect, planted: [planted(row)] });
  }
  // A folder nested past the system's path limit, each level a patient's name: retrieval cannot list it.
  const deep = rows[kinds.length] ?? rows[0];
  const level = `${planted(deep)} ${'x'.repeat(40)}`;
  const made = spawnSync('bash', ['-c', 'cd "$1" && for i in $(seq 1 79); do mkdir "$2 $i" && cd "$2 $i" || exit 1; done; echo x > photo.jpg', '_', path.join(dir, deep.centre), level]);
  if (made.status !== 0) throw new Error(`could not nest folders: ${made.stderr}`);
  items.push({ kind: 'folder-nested-past-path-limit', centre: deep.centre, file: level, expect: 'unreadable-object', planted: [planted(deep)] });
  for (const item of plantHostileRows(dir, rows.slice(kinds.length + 1), centres)) items.push(item);
  return items;
}

/**
 * Rows appended to the first csv centre's export, each about an image of its own lesion: a row of
 * another patient claiming it (so both claims are ambiguous), an exam date in the future, a birth
 * after the exam. The rows keep the centre's delimiter, encoding and line ends.
 */
function plantHostileRows(dir: string, rows: readonly SynthKeyRow[], centres: readonly Centre[]): HostileItem[] {
  const centre = centres.find((c) => c.dialect.layout === 'csv' && c.dialect.columns.examDate && c.dialect.columns.birthDate && rows.filter((r) => r.centre === c.id).length >= 4);
  if (!centre) throw new Error('the hostile rows need a csv centre with birth and exam dates and four spare lesions');
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
  const [victim, other, future, reversed] = rows.filter((r) => r.centre === centre.id);
  const edited = (r: SynthKeyRow, change: (cells: string[]) => void) => {
    const cells = lines[rowOf(r)]!.split(delimiter);
    change(cells);
    return cells.join(delimiter);
  };
  const year = new Date().getFullYear();
  const appended = [
    { kind: 'row-claims-another-patients-image', r: victim!, expect: 'ambiguous-image', line: edited(victim!, (c) => (c[column('patientId')] = other!.patient_id)) },
    { kind: 'row-exam-date-in-future', r: future!, expect: 'invalid-date', line: edited(future!, (c) => (c[column('examDate')] = format(new Date(year + 3, 0, 15), dialect.dateFormat))) },
    { kind: 'row-birth-after-exam', r: reversed!, expect: 'invalid-date', line: edited(reversed!, (c) => (c[column('birthDate')] = format(new Date(year - 1, 0, 15), dialect.dateFormat))) },
  ];
  writeFileSync(file, Buffer.from(text.replace(new RegExp(`(${eol})?$`), '') + eol + appended.map((a) => a.line).join(eol) + eol, encoding));
  return appended.map((a, i) => ({ kind: a.kind, centre: centre.id, file: dialect.metadataFile!, row: lines.length + i, expect: a.expect, planted: [planted(a.r)] }));
}

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
  const data = Buffer.concat([Buffer.from('Comment\0', 'latin1'), Buffer.from(text, 'latin1')]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
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
