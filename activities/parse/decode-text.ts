import type { Dialect } from '../../schemas/dialect.ts';

/** Decodes a metadata file in the centre's declared encoding; `fatal` so wrong UTF-8 is an error, not mojibake. */
export function decodeText(bytes: Uint8Array, encoding: Dialect['encoding']): string {
  if (encoding === 'latin1') return new TextDecoder('latin1').decode(bytes);
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
