import type { BenchmarkConfig } from '../../schemas/config.ts';
import type { Split, SplitCandidate, SplitOutcome, SplitState, StraddlingGroup } from '../../schemas/split.ts';
import { groupDuplicates } from '../storage/group-duplicates.ts';
import { drawBenchmarkGroups } from './stratified-draw.ts';

export interface SplitInput {
  /** every lesion of the current build */
  lesions: readonly SplitCandidate[];
  /** the frozen state of the previous build (empty on the first) */
  previous: SplitState;
  /** benchmark size (a fraction of the released lesions, or a lesion count) and the seed of the draw */
  benchmark: BenchmarkConfig;
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Assigns every current lesion to the benchmark or train: grouped (a patient's lesions and a duplicate
 * group's lesions stay together), frozen (a lesion of an earlier state never changes side, even after
 * an absence; new lesions of a frozen group join its side) and, for new groups, stratified by class,
 * centre and skin tone. New lesions of a group frozen on both sides are returned as conflicts.
 */
export function assignSplit({ lesions, previous, benchmark }: SplitInput): SplitOutcome {
  const frozen = new Map(Object.entries(previous.assignments));
  const byId = new Map<string, SplitCandidate>();
  for (const lesion of lesions) {
    if (byId.has(lesion.lesion_id)) throw new Error(`lesion ${lesion.lesion_id} is listed twice in the lesions to split`);
    byId.set(lesion.lesion_id, lesion);
  }

  const side = new Map<string, Split>();
  const conflicts: string[] = [];
  const straddlingGroups: StraddlingGroup[] = [];
  const freshGroups: SplitCandidate[][] = [];
  for (const group of lesionGroups(lesions)) {
    const sides = new Set(group.flatMap((id) => frozen.get(id) ?? []));
    if (sides.size === 0) freshGroups.push(group.map((id) => byId.get(id)!));
    else if (sides.size === 1) for (const id of group) side.set(id, [...sides][0]!);
    else {
      const members = { benchmark: [] as string[], train: [] as string[], conflicts: [] as string[] };
      for (const id of group) {
        const earlier = frozen.get(id);
        if (earlier) side.set(id, earlier);
        members[earlier ?? 'conflicts'].push(id);
      }
      for (const id of members.conflicts) conflicts.push(id);
      straddlingGroups.push(members);
    }
  }

  const conflicting = new Set(conflicts);
  const released = lesions.filter((l) => !conflicting.has(l.lesion_id));
  const inBenchmark = released.filter((l) => side.get(l.lesion_id) === 'benchmark');
  const size = benchmark.lesions ?? Math.round(benchmark.fraction! * released.length);
  const benchmarkTarget = Math.max(0, size - inBenchmark.length);
  const drawn = drawBenchmarkGroups({ groups: freshGroups, released, benchmark: inBenchmark, target: benchmarkTarget, seed: benchmark.seed });
  freshGroups.forEach((group, i) => group.forEach((l) => side.set(l.lesion_id, drawn.has(i) ? 'benchmark' : 'train')));

  const ids = released.map((l) => l.lesion_id).sort(byCodeUnits);
  const newIds = ids.filter((id) => !frozen.has(id));
  const goneIds = [...frozen.keys()].filter((id) => !byId.has(id)).sort(byCodeUnits);
  const onSide = (list: string[], s: Split) => list.filter((id) => (side.get(id) ?? frozen.get(id)) === s);
  const frozenFromNow = [...frozen, ...newIds.map((id) => [id, side.get(id)!] as const)].sort(([a], [b]) => byCodeUnits(a, b));
  return {
    assignments: ids.map((id) => ({ lesion_id: id, split: side.get(id)! })),
    state: { assignments: Object.fromEntries(frozenFromNow) },
    report: {
      benchmarkTarget,
      newlyAssigned: { benchmark: onSide(newIds, 'benchmark'), train: onSide(newIds, 'train') },
      removed: { benchmark: onSide(goneIds, 'benchmark'), train: onSide(goneIds, 'train') },
      conflicts: conflicts.sort(byCodeUnits),
      straddlingGroups,
    },
  };
}

/** Lesions joined by any shared group key (connected components, union-find), each group's ids sorted. */
function lesionGroups(lesions: readonly SplitCandidate[]): string[][] {
  const lesion = (id: string) => `lesion\u0000${id}`;
  const pairs = lesions.flatMap((l) => [
    // the pair with itself puts a lesion with no key in a group of its own
    { a: lesion(l.lesion_id), b: lesion(l.lesion_id) },
    ...l.groupKeys.map((key) => ({ a: lesion(l.lesion_id), b: `key\u0000${key}` })),
  ]);
  return groupDuplicates(pairs).map((g) => g.filter((node) => node.startsWith(lesion(''))).map((node) => node.slice(lesion('').length)));
}
