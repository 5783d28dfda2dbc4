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

  /** The kind of the first PHI value one of the texts contains, if any. */
  match(texts: readonly string[]): PhiKind | undefined {
    for (const text of texts) {
      const folded = foldText(text);
      if (folded.length < MIN_SCANNABLE) continue;
      const hit = this.values.find((v) => folded.includes(v.folded));
      if (hit) return hit.kind;
    }
    return undefined;
  }
}
