/**
 * Which centre object keys are safe to take: staged files are content-addressed, so a key never
 * becomes a path, but a key that could (`..`, absolute paths, backslashes) or that reads differently
 * from what it is (control, bidi, non-NFC characters) is refused with a reason instead.
 */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
// Other invisible or unassigned code points: format (zero-width, BOM, soft hyphen), private use,
// unassigned and noncharacters, line/paragraph separators.
const ODD_CODE_POINTS = /[\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;
const MAX_KEY_BYTES = 1024;

/**
 * The key as a relative, '/'-separated staging name, or why it is refused. Staged files are
 * content-addressed (the key is never used as a path), but a key that could name something outside
 * a folder, or displays as something other than what it is, is excluded with this reason.
 * Refused: empty or over 1,024 UTF-8 bytes; control characters (NUL included); lone surrogates;
 * bidi controls and other invisible/unassigned code points; not in Unicode NFC; backslashes;
 * absolute (leading '/', drive letter); empty, '.' or '..' segments (so also a trailing '/').
 */
export function safeStagingName(key: string): string | { rejected: string } {
  const reject = (why: string) => ({ rejected: `object key ${JSON.stringify(key)} ${why}` });
  if (key.length === 0) return reject('is empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return reject(`is longer than ${MAX_KEY_BYTES} bytes`);
  if (/\p{Cc}/u.test(key)) return reject('contains a control character');
  if (/\p{Cs}/u.test(key)) return reject('is not well-formed Unicode (lone surrogate)');
  if (BIDI_CONTROLS.test(key)) return reject('contains a bidirectional text control character');
  if (ODD_CODE_POINTS.test(key)) return reject('contains an invisible, private-use or unassigned character');
  if (key.normalize('NFC') !== key) return reject('is not in Unicode normalisation form C');
  if (key.includes('\\')) return reject('contains a backslash');
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) return reject('is an absolute path');
  for (const segment of key.split('/')) {
    if (segment === '..') return reject("has a '..' segment");
    if (segment === '.') return reject("has a '.' segment");
    if (segment === '') return reject(key.endsWith('/') ? "ends in '/' (a folder marker, not a file)" : "has an empty segment ('//')");
  }
  return key;
}
