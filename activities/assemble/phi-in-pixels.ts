import { MIN_SCANNABLE, type PhiKind, type PhiValue } from '../storage/phi-values.ts';

/** The kinds of PHI a camera or viewer burns into pixels: names, local ids, dates. */
const BURNED_KINDS: ReadonlySet<PhiKind> = new Set(['name', 'local-id', 'date']);

/**
 * Case-folded letters and digits only, with the characters OCR confuses most (o and 0; i, l and 1) made
 * one: the recogniser reads separators and spacing unreliably, `12.03.1961` and `12/03/1961` are the
 * same date, and `R0ssi` is Rossi.
 */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '')
    .replace(/o/g, '0')
    .replace(/[il]/g, '1');
}

/**
 * Matches what the recogniser read in an image against a centre's PHI values (folded). Values shorter
 * than the leak scan's MIN_SCANNABLE once folded are left out: a 4-letter name or a 2-digit id is read
 * by chance in a ruler's markings. A name is also searched with its words in reverse order, as a
 * viewer stamps `Emma Kim` where the record holds `Kim, Emma` (whose parts alone are too short).
 */
export class PixelPhi {
  private readonly values: { folded: string; kind: PhiKind }[];

  constructor(values: readonly PhiValue[]) {
    const seen = new Map<string, PhiKind>();
    for (const { kind, value } of values) {
      if (!BURNED_KINDS.has(kind)) continue;
      const forms = kind === 'name' ? [value, value.split(/[\s,]+/).reverse().join(' ')] : [value];
      for (const folded of forms.map(foldText)) if (folded.length >= MIN_SCANNABLE && !seen.has(folded)) seen.set(folded, kind);
    }
    this.values = [...seen].map(([folded, kind]) => ({ folded, kind }));
  }

  /**
   * The kind of the first PHI value one of the texts contains, if any: exactly, or for values and texts
   * of FUZZY_LENGTH+ characters with one character misread, left out or added (a digit of a date or an
   * id is the recogniser's commonest error; a chance match that close to a long value is rare).
   */
  match(texts: readonly string[]): PhiKind | undefined {
    const folded = texts.map(foldText).filter((t) => t.length >= MIN_SCANNABLE);
    for (const text of folded) {
      const hit = this.values.find((v) => text.includes(v.folded));
      if (hit) return hit.kind;
    }
    for (const text of folded) {
      if (text.length < FUZZY_LENGTH) continue;
      const hit = this.values.find((v) => v.folded.length >= FUZZY_LENGTH && withinOneEdit(v.folded, text));
      if (hit) return hit.kind;
    }
    return undefined;
  }
}

/** Folded length from which one recognition error is forgiven. */
const FUZZY_LENGTH = 7;

/** Whether `pattern` occurs in `text` with at most one substitution, insertion or deletion (Sellers' approximate substring search). */
function withinOneEdit(pattern: string, text: string): boolean {
  // column[i]: the fewest edits that turn pattern[0, i) into a suffix of the text read so far
  let column = Array.from({ length: pattern.length + 1 }, (_, i) => i);
  for (let j = 0; j < text.length; j++) {
    const next = [0];
    for (let i = 1; i <= pattern.length; i++) next[i] = Math.min(column[i]! + 1, next[i - 1]! + 1, column[i - 1]! + (pattern[i - 1] === text[j] ? 0 : 1));
    if (next[pattern.length]! <= 1) return true;
    column = next;
  }
  return false;
}
