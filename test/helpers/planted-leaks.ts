import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PhiValue } from '../../activities/storage/phi-values.ts';
import { Random } from '../../scripts/synth/random.ts';

/** Values the planted corpus hides: accented, with separators, of the lengths the scan treats differently. */
export const PLANTED: PhiValue[] = [
  { kind: 'name', value: 'Muñoz García, Ana' },
  { kind: 'local-id', value: '4711235' },
  { kind: 'date', value: '06.10.1956' },
  { kind: 'filename', value: 'Gruber_Lukas_20221023_klin1.jpg' },
  { kind: 'name', value: 'Šťastný' },
  { kind: 'name', value: 'Fischer, Stefanie' },
];

/** How a value is written: as stored, upper-cased, decomposed (NFD), in full-width letters, or with 'fi' as one ligature character. */
const FORMS: Record<string, (v: string) => string> = {
  plain: (v) => v,
  upper: (v) => v.toUpperCase(),
  decomposed: (v) => v.normalize('NFD'),
  fullwidth: (v) => v.replace(/[A-Za-z0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
  ligature: (v) => v.replace(/fi/gi, '\ufb01'),
};

const ENCODINGS: Record<string, (text: string) => Buffer> = {
  latin1: (t) => Buffer.from(t, 'latin1'),
  utf8: (t) => Buffer.from(t, 'utf8'),
  utf16le: (t) => Buffer.from(t, 'utf16le'),
  utf16be: (t) => Buffer.from(t, 'utf16le').swap16(),
};

/** Where the bytes sit: in random binary data (even and odd offsets), across the leak scan's 1 MiB chunk boundary, in a text file. */
const PLACES = ['binary-even', 'binary-odd', 'chunk-boundary', 'text'] as const;

export interface PlantedFile {
  file: string;
  kind: PhiValue['kind'];
}

/**
 * A release folder with one file per value, form, encoding and place, each holding the value once
 * amid seeded random bytes (or prose); returns the folder and what each file holds. Latin-1 files
 * only hold what Latin-1 can write (no full-width letters, no 'Š').
 */
export function plantedCorpus(): { dir: string; files: PlantedFile[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'planted-leaks-'));
  const random = new Random(21);
  const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => random.int(0, 255)));
  const files: PlantedFile[] = [];
  PLANTED.forEach((value, v) => {
    for (const [form, write] of Object.entries(FORMS)) {
      for (const [encoding, encode] of Object.entries(ENCODINGS)) {
        const text = write(value.value);
        if (encoding === 'latin1' && Buffer.from(text, 'latin1').toString('latin1') !== text) continue;
        const bytes = encode(text);
        for (const place of PLACES) {
          const name = `${place}/${v}-${form}-${encoding}.${place === 'text' ? 'txt' : 'bin'}`;
          let content: Buffer;
          if (place === 'text') content = Buffer.concat([encode('Notes: seen by '), bytes, encode(' at the clinic.\n')]);
          else if (place === 'chunk-boundary') {
            const before = (1 << 20) - Math.floor(bytes.length / 2) - 1; // the value straddles byte 1,048,576
            content = Buffer.concat([noise(before), Buffer.from([0x20]), bytes, Buffer.from([0x20]), noise(4096)]);
          } else content = Buffer.concat([noise(place === 'binary-odd' ? 4097 : 4096), bytes, noise(4096)]);
          mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
          writeFileSync(path.join(dir, name), content);
          files.push({ file: name, kind: value.kind });
        }
      }
    }
  });
  return { dir, files };
}
