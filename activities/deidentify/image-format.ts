/**
 * What an image file is, judged by its first bytes, never by its name or by what a decoder is
 * willing to render: an SVG or PDF named `.jpg` is a document (it can draw text, even fetch
 * more), not a photograph, and is never handed to a decoder.
 */
import type { ImageFormat } from '../../schemas/image-format.ts';

/** The formats recognised, raster ones a config may allow and documents that are always refused. */
export type DetectedFormat = ImageFormat | 'svg' | 'pdf' | 'heif' | 'jpeg2000' | 'bmp';

const SIGNATURES: [DetectedFormat, (b: Uint8Array) => boolean][] = [
  ['jpeg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['png', (b) => starts(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['tiff', (b) => starts(b, [0x49, 0x49, 0x2a, 0x00]) || starts(b, [0x4d, 0x4d, 0x00, 0x2a])],
  ['webp', (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP'],
  ['gif', (b) => ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a'],
  ['pdf', (b) => ascii(b, 0, 5) === '%PDF-'],
  ['heif', (b) => ascii(b, 4, 4) === 'ftyp' && /^(heic|heix|mif1|msf1|avif)$/.test(ascii(b, 8, 4))],
  ['jpeg2000', (b) => starts(b, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || starts(b, [0xff, 0x4f, 0xff, 0x51])],
  ['bmp', (b) => ascii(b, 0, 2) === 'BM'],
  ['svg', looksLikeSvg],
];

/** The format the bytes are, or undefined when they are none of the known ones. */
export function detectImageFormat(bytes: Uint8Array): DetectedFormat | undefined {
  return SIGNATURES.find(([, matches]) => matches(bytes))?.[0];
}

/** XML or SVG text (after an optional BOM and whitespace): '<?xml', '<svg', '<!DOCTYPE svg' or a comment. */
function looksLikeSvg(b: Uint8Array): boolean {
  const head = Buffer.from(b.subarray(0, 1024)).toString('latin1').replace(/^(\xef\xbb\xbf|\xff\xfe|\xfe\xff)/, '').replace(/\0/g, '').trimStart().toLowerCase();
  return head.startsWith('<?xml') || head.startsWith('<svg') || head.startsWith('<!doctype svg') || (head.startsWith('<!--') && head.includes('<svg'));
}

function starts(b: Uint8Array, signature: number[]): boolean {
  return signature.every((v, i) => b[i] === v);
}

function ascii(b: Uint8Array, at: number, n: number): string {
  return Buffer.from(b.subarray(at, at + n)).toString('latin1');
}
