import type { Dialect } from '../../schemas/dialect.ts';
import { MetadataRefusal } from './metadata-refusal.ts';

const BOMS: [number[], 'utf-8' | 'utf-16le' | 'utf-16be'][] = [
  [[0xef, 0xbb, 0xbf], 'utf-8'],
  [[0xff, 0xfe], 'utf-16le'],
  [[0xfe, 0xff], 'utf-16be'],
];

/**
 * Decodes a metadata file. A byte-order mark decides, whatever the dialect declares (a UTF-8 BOM
 * before a "latin1" export means its writer produced UTF-8), and is removed; otherwise the declared
 * encoding. UTF-8 and UTF-16 are decoded strictly: a byte that is not valid is refused, with its offset.
 */
export function decodeText(bytes: Uint8Array, encoding: Dialect['encoding']): string {
  const bom = BOMS.find(([mark]) => mark.every((b, i) => bytes[i] === b));
  const actual = bom?.[1] ?? (encoding === 'latin1' ? 'latin1' : 'utf-8');
  const body = bytes.subarray(bom ? bom[0].length : 0);
  if (actual === 'latin1') return new TextDecoder('latin1').decode(body);
  try {
    return new TextDecoder(actual, { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    const at = (bom ? bom[0].length : 0) + (actual === 'utf-8' ? firstInvalidUtf8(body) : body.length - (body.length % 2));
    throw new MetadataRefusal('invalid-encoding', `the bytes are not valid ${actual.toUpperCase()} (first invalid byte at offset ${at})${bom ? ', as its byte-order mark declares' : `, the dialect's encoding`}`);
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    // second-byte ranges that rule out overlong forms, surrogates and code points past U+10FFFF
    const [low, high] = b === 0xe0 ? [0xa0, 0xbf] : b === 0xed ? [0x80, 0x9f] : b === 0xf0 ? [0x90, 0xbf] : b === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? low : 0x80) || c > (k === 1 ? high : 0xbf)) return i; // the sequence it starts is broken
    }
    i += need + 1;
  }
  return bytes.length;
}
