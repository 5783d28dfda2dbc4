import { z } from 'zod';
import { LesionId, PublicLesion, Split } from './release.ts';

export { Split };

/** One row of the lake table `split` (partition `_build`, shard `assignments`). */
export const SplitRow = z.object({ lesion_id: LesionId, split: Split });
export type SplitRow = z.infer<typeof SplitRow>;

/** What the split is stratified by: a lesion's class, centre and skin tone. */
export const StratifiedLesion = PublicLesion.pick({ lesion_id: true, diagnosis_class: true, centre: true, skin_tone_class: true });
export type StratifiedLesion = z.infer<typeof StratifiedLesion>;

/**
 * A lesion to split. Lesions sharing any group key (their patient, a duplicate group spanning
 * lesions) form one group, which never straddles the split. Keys may be private: they are never output.
 */
export const SplitCandidate = StratifiedLesion.extend({ groupKeys: z.array(z.string()) });
export type SplitCandidate = z.infer<typeof SplitCandidate>;

/** `private/split/state.json`: every lesion ever assigned and its side, kept forever so no lesion changes side. */
export const SplitState = z.object({ assignments: z.record(LesionId, Split) });
export type SplitState = z.infer<typeof SplitState>;

const LesionsBySide = z.object({ benchmark: z.array(LesionId), train: z.array(LesionId) });

/** A group whose frozen lesions are on both sides (a new patient link or duplicate joined them). */
export const StraddlingGroup = LesionsBySide.extend({
  /** its new lesions, which no side can take without a leak */
  conflicts: z.array(LesionId),
});
export type StraddlingGroup = z.infer<typeof StraddlingGroup>;

export const SplitReport = z.object({
  /** benchmark lesions the draw had to add: the benchmark size minus those already there, never negative */
  benchmarkTarget: z.number().int().nonnegative(),
  newlyAssigned: LesionsBySide,
  /** assigned by an earlier state, absent now; they keep their side if they come back */
  removed: LesionsBySide,
  /** new lesions of straddling groups: the caller excludes them as `split-conflict` */
  conflicts: z.array(LesionId),
  straddlingGroups: z.array(StraddlingGroup),
});
export type SplitReport = z.infer<typeof SplitReport>;

export const SplitOutcome = z.object({
  /** every current lesion but the conflicts, sorted by lesion id */
  assignments: z.array(SplitRow),
  state: SplitState,
  report: SplitReport,
});
export type SplitOutcome = z.infer<typeof SplitOutcome>;

export const StratumName = z.enum(['class', 'centre', 'skin_tone']);
export type StratumName = z.infer<typeof StratumName>;

/** One value of a stratum (`unknown` for a missing skin tone) and its share of each side, in percent. */
export const ValueProportion = z.object({
  value: z.string(),
  benchmarkPct: z.number(),
  trainPct: z.number(),
  allPct: z.number(),
  /** |benchmark − train| in percentage points */
  differencePp: z.number(),
});
export type ValueProportion = z.infer<typeof ValueProportion>;

export const SplitProportions = z.object({
  benchmark: z.number().int(),
  train: z.number().int(),
  strata: z.array(z.object({ stratum: StratumName, values: z.array(ValueProportion), maxDifferencePp: z.number() })),
  /** the largest differencePp over every value of every stratum */
  maxDifferencePp: z.number(),
});
export type SplitProportions = z.infer<typeof SplitProportions>;
