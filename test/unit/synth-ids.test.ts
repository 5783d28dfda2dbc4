import { describe, expect, it } from 'vitest';
import { CENTRE_STYLES } from '../../scripts/synth/centre-style.ts';
import { assertUniqueIds, LocalIds } from '../../scripts/synth/local-ids.ts';
import { Random } from '../../scripts/synth/random.ts';

/** Enough lesions that random 6-digit patient ids collide (expected: about 200 times). */
const LESIONS = 20_000;

describe('local ids of generated lesions', () => {
  it('random draws alone would collide at this size', () => {
    const random = new Random(1);
    const ids = Array.from({ length: LESIONS }, (_, n) => CENTRE_STYLES[0]!.patientId(random, n));
    expect(new Set(ids).size).toBeLessThan(LESIONS);
  });

  it.each(CENTRE_STYLES.map((style, i) => [i, style] as const))(`style %i: every (patient, lesion) of ${LESIONS} lesions is unique, in the style's format`, (_i, style) => {
    const ids = new LocalIds(style, new Random(1));
    const drawn = Array.from({ length: LESIONS }, (_, n) => ids.next(n));
    expect(new Set(drawn.map((d) => `${d.patientId}/${d.lesionId}`)).size).toBe(LESIONS);
    const format = (id: string) => id.replace(/[0-9a-f]/g, 'x');
    for (const { patientId } of drawn.slice(0, 100)) expect(format(patientId)).toBe(format(style.patientId(new Random(2), 0)));
  });

  it('says when a format has run out instead of looping', () => {
    const twoIds = { ...CENTRE_STYLES[0]!, patientId: (r: Random) => `P${r.int(0, 1)}` };
    const ids = new LocalIds(twoIds, new Random(1));
    ids.next(0);
    ids.next(1);
    expect(() => ids.next(2)).toThrow(/no unused patient id .* after 2 patients/);
  });
});

describe('assertUniqueIds', () => {
  const image = { centre: 'vienna', file: 'a.jpg', patient_id: 'PAT-1', local_lesion_id: 'L1', source_lesion_id: 'IL_1', copy: 0 };

  it('accepts the two images of one lesion', () => {
    expect(() => assertUniqueIds([image, { ...image, file: 'b.jpg' }])).not.toThrow();
  });

  it('rejects one local lesion given to two written lesions, naming both', () => {
    expect(() => assertUniqueIds([image, { ...image, file: 'b.jpg', copy: 1 }])).toThrow('vienna: patient PAT-1 lesion L1 was given to both source lesion IL_1 copy 0 and source lesion IL_1 copy 1');
  });

  it('rejects two images under one file name of a centre, whatever the case', () => {
    expect(() => assertUniqueIds([image, { ...image, file: 'A.JPG' }])).toThrow('vienna: two images were written to A.JPG');
    expect(() => assertUniqueIds([image, { ...image, centre: 'oslo' }])).not.toThrow();
  });
});
