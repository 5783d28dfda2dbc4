import type { ScoredSet } from '../../schemas/benchmark-score.ts';
import { bootstrapIntervals, type BootstrapOptions } from './bootstrap.ts';
import { scoreCases } from './score.ts';
import type { ScoringCases } from './scoring-cases.ts';

/** Official metrics of a set of lesions, with their bootstrap intervals when asked for (null: none). */
export function scoreSet(cases: ScoringCases, bootstrap: BootstrapOptions | null): ScoredSet {
  return { ...scoreCases(cases), intervals: bootstrap ? bootstrapIntervals(cases, bootstrap) : null };
}
