import type { StratifiedLesion, StratumName } from '../../schemas/split.ts';

/** The strata the benchmark split balances, each a function giving a lesion's value; a missing skin tone is its own value. */
export const STRATA: Record<StratumName, (lesion: StratifiedLesion) => string> = {
  class: (l) => l.diagnosis_class,
  centre: (l) => l.centre,
  skin_tone: (l) => (l.skin_tone_class === null ? 'unknown' : String(l.skin_tone_class)),
};

export const STRATUM_NAMES = Object.keys(STRATA) as StratumName[];
