import { describe, expect, it } from 'vitest';
import { assignSplit } from '../../activities/split/assign-split.ts';
import { splitProportions } from '../../activities/split/split-proportions.ts';
import { sha256 } from '../../activities/storage/files.ts';
import { BenchmarkConfig } from '../../schemas/config.ts';
import { CLASSES } from '../../schemas/release.ts';
import type { SplitCandidate, SplitOutcome, SplitState } from '../../schemas/split.ts';

const EMPTY: SplitState = { assignments: {} };
const CENTRES = ['barcelona', 'brisbane', 'lisbon', 'newyork', 'vienna'];

/** A deterministic number in [0, n) from a label, so synthetic lesions need no Math.random. */
const pick = (label: string, n: number) => parseInt(sha256(label).slice(0, 8), 16) % n;
const id = (i: number) => `IL_${2_000_000 + i}`;

/**
 * Lesions `from..to-1`: class, centre and skin tone drawn from the index; every 7th lesion shares the
 * patient of the one before, and lesion i ≡ 0 (mod 50) is a cross-lesion duplicate of lesion i + 25.
 */
function lesions(from: number, to: number): SplitCandidate[] {
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    const tone = pick(`tone${i}`, 7);
    const duplicate = i % 50 === 0 ? [`dup${i}`] : i % 50 === 25 ? [`dup${i - 25}`] : [];
    return {
      lesion_id: id(i),
      diagnosis_class: CLASSES[pick(`class${i}`, CLASSES.length)]!,
      centre: CENTRES[pick(`centre${i}`, CENTRES.length)]!,
      skin_tone_class: tone === 6 ? null : tone,
      groupKeys: [`${CENTRES[i % 5]}/patient-${i % 7 === 1 ? i - 1 : i}`, ...duplicate],
    };
  });
}

const run = (current: SplitCandidate[], previous: SplitState, benchmark: Partial<BenchmarkConfig> = { fraction: 0.1 }) =>
  assignSplit({ lesions: current, previous, benchmark: BenchmarkConfig.parse({ seed: 'test-seed', ...benchmark }) });
const sides = (outcome: SplitOutcome) => new Map(outcome.assignments.map((a) => [a.lesion_id, a.split]));
const benchmarkSize = (outcome: SplitOutcome) => outcome.assignments.filter((a) => a.split === 'benchmark').length;

/** Every group key (patient or duplicate) whose lesions are on both sides. */
function straddlingKeys(current: SplitCandidate[], outcome: SplitOutcome): string[] {
  const side = sides(outcome);
  const sidesOfKey = new Map<string, Set<string>>();
  for (const l of current) for (const key of l.groupKeys) if (side.has(l.lesion_id)) sidesOfKey.set(key, (sidesOfKey.get(key) ?? new Set()).add(side.get(l.lesion_id)!));
  return [...sidesOfKey].filter(([, s]) => s.size > 1).map(([key]) => key);
}

describe('assignSplit: frozen across rebuilds', () => {
  it('keeps every side over three rebuilds with lesions removed, added and returning', () => {
    const first = run(lesions(0, 400), EMPTY);
    expect(benchmarkSize(first)).toBe(40);
    expect(first.report.newlyAssigned.benchmark).toHaveLength(40);
    expect(first.report.newlyAssigned.train).toHaveLength(360);
    const side1 = sides(first);

    // Build 2: lesions 0..59 leave, 400..499 arrive (lesion 400 shares the patient of lesion 399).
    const gone = lesions(0, 60);
    const second = run(lesions(60, 500), first.state);
    const side2 = sides(second);
    for (const [lesion, side] of side2) if (side1.has(lesion)) expect(side).toBe(side1.get(lesion));
    expect(second.report.removed.benchmark).toEqual(gone.map((l) => l.lesion_id).filter((l) => side1.get(l) === 'benchmark'));
    expect(second.report.removed.train).toEqual(gone.map((l) => l.lesion_id).filter((l) => side1.get(l) === 'train'));
    expect(second.report.removed.benchmark.length).toBeGreaterThan(0);
    expect(benchmarkSize(second)).toBe(44); // round(0.1 × 440)
    expect(side2.get(id(400))).toBe(side1.get(id(399)));
    // the state still remembers the lesions that left
    for (const l of gone) expect(second.state.assignments[l.lesion_id]).toBe(side1.get(l.lesion_id));

    // Build 3: the removed lesions come back, more arrive, and the benchmark grows to 30%.
    const third = run(lesions(0, 600), second.state, { fraction: 0.3 });
    const side3 = sides(third);
    for (const [lesion, side] of side1) expect(side3.get(lesion)).toBe(side);
    for (const [lesion, side] of side2) expect(side3.get(lesion)).toBe(side);
    expect(third.report.removed).toEqual({ benchmark: [], train: [] });
    expect([...third.report.newlyAssigned.benchmark, ...third.report.newlyAssigned.train].sort()).toEqual(lesions(500, 600).map((l) => l.lesion_id));
    // growth comes from new lesions only: no training lesion moved into the benchmark
    const frozenBenchmark = Object.values(second.state.assignments).filter((s) => s === 'benchmark').length;
    expect(benchmarkSize(third)).toBe(frozenBenchmark + third.report.newlyAssigned.benchmark.length);
    // round(0.3 × 600) = 180 wants more than the 100 new lesions: all of them, and no more, join the benchmark
    expect(third.report.benchmarkTarget).toBe(180 - frozenBenchmark);
    expect(third.report.newlyAssigned.benchmark).toHaveLength(100);
  });

  it('draws no new benchmark lesions when the frozen benchmark already meets the size, and never moves a lesion out of it', () => {
    const first = run(lesions(0, 400), EMPTY, { fraction: 0.2 });
    const second = run(lesions(0, 450), first.state, { fraction: 0.05 });
    expect(second.report.benchmarkTarget).toBe(0);
    expect(benchmarkSize(second)).toBe(benchmarkSize(first));
    expect(second.report.newlyAssigned.benchmark).toEqual([]);
  });

  it('lets a new lesion of a frozen patient join that patient’s side, whatever the seed', () => {
    const first = run(lesions(0, 200), EMPTY);
    const benchmarkLesion = first.assignments.find((a) => a.split === 'benchmark')!.lesion_id;
    const trainLesion = first.assignments.find((a) => a.split === 'train')!.lesion_id;
    const keyOf = (lesion: string) => lesions(0, 200).find((l) => l.lesion_id === lesion)!.groupKeys[0]!;
    const newcomers = [
      { ...lesions(900, 901)[0]!, groupKeys: [keyOf(benchmarkLesion)] },
      { ...lesions(901, 902)[0]!, groupKeys: [keyOf(trainLesion)] },
    ];
    const second = assignSplit({ lesions: [...lesions(0, 200), ...newcomers], previous: first.state, benchmark: BenchmarkConfig.parse({ fraction: 0.5, seed: 'another seed' }) });
    expect(sides(second).get(id(900))).toBe('benchmark');
    expect(sides(second).get(id(901))).toBe('train');
    for (const a of first.assignments) expect(sides(second).get(a.lesion_id)).toBe(a.split);
  });
});

describe('assignSplit: grouped', () => {
  it('keeps every patient and every cross-lesion duplicate group on one side', () => {
    const current = lesions(0, 1000);
    const outcome = run(current, EMPTY, { fraction: 0.3 });
    expect(straddlingKeys(current, outcome)).toEqual([]);
    expect(outcome.report.straddlingGroups).toEqual([]);
    // the groups are really there, and some of them went to the benchmark
    const benchmarkPairs = current.filter((l, i) => i % 7 === 1 && sides(outcome).get(l.lesion_id) === 'benchmark');
    expect(benchmarkPairs.length).toBeGreaterThan(0);
  });

  it('links groups through chains of keys: a duplicate joining two patients puts all their lesions together', () => {
    const chain: SplitCandidate[] = lesions(0, 6).map((l, i) => ({ ...l, groupKeys: [`p${Math.floor(i / 2)}`, ...(i % 2 ? [`d${i}`] : [`d${i - 1}`])] }));
    for (const seed of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const outcome = assignSplit({ lesions: [...chain, ...lesions(10, 40)], previous: EMPTY, benchmark: BenchmarkConfig.parse({ lesions: 6, seed }) });
      expect(new Set(chain.map((l) => sides(outcome).get(l.lesion_id))).size).toBe(1);
    }
  });

  it('returns a new lesion that links a benchmark and a train group as a conflict, and reports the straddling group', () => {
    const current = lesions(0, 300);
    const first = run(current, EMPTY);
    const inBenchmark = current.find((l) => first.state.assignments[l.lesion_id] === 'benchmark' && l.groupKeys.length === 1)!;
    const inTrain = current.find((l) => first.state.assignments[l.lesion_id] === 'train' && l.groupKeys.length === 1)!;
    // a new lesion of the benchmark lesion's patient, found to duplicate an image of the train lesion
    const linker: SplitCandidate = { ...lesions(777, 778)[0]!, groupKeys: [inBenchmark.groupKeys[0]!, 'new-duplicate'] };
    const relinked = current.map((l) => (l === inTrain ? { ...l, groupKeys: [...l.groupKeys, 'new-duplicate'] } : l));
    const second = run([...relinked, linker], first.state);

    expect(second.report.conflicts).toEqual([linker.lesion_id]);
    expect(second.report.straddlingGroups).toEqual([{ benchmark: [inBenchmark.lesion_id], train: [inTrain.lesion_id], conflicts: [linker.lesion_id] }]);
    expect(sides(second).has(linker.lesion_id)).toBe(false);
    expect(second.state.assignments[linker.lesion_id]).toBeUndefined();
    // the frozen lesions keep their sides
    expect(sides(second).get(inBenchmark.lesion_id)).toBe('benchmark');
    expect(sides(second).get(inTrain.lesion_id)).toBe('train');
  });

  it('names a lesion listed twice', () => {
    expect(() => run([...lesions(0, 5), ...lesions(3, 4)], EMPTY)).toThrow(`lesion ${id(3)} is listed twice`);
  });
});

describe('assignSplit: size, stratification and determinism', () => {
  it('holds out round(fraction × lesions), or exactly the configured number of lesions', () => {
    expect(benchmarkSize(run(lesions(0, 1000), EMPTY, { fraction: 0.0914 }))).toBe(91);
    expect(benchmarkSize(run(lesions(0, 1000), EMPTY, { lesions: 250 }))).toBe(250);
  });

  it('gives the same output for the same input in any order, and another draw for another seed', () => {
    const current = lesions(0, 500);
    const a = run(current, EMPTY);
    const b = run([...current].reverse(), EMPTY);
    expect(b).toEqual(a);
    expect(run(current, EMPTY, { seed: 'other' }).assignments).not.toEqual(a.assignments);
  });

  it('keeps the benchmark’s class, centre and skin tone shares close to train’s', () => {
    const current = lesions(0, 2000);
    const outcome = run(current, EMPTY, { fraction: 0.2 });
    const proportions = splitProportions(current, outcome.assignments);
    expect(proportions.benchmark).toBe(400);
    expect(proportions.strata.map((s) => s.stratum)).toEqual(['class', 'centre', 'skin_tone']);
    expect(proportions.strata[2]!.values.map((v) => v.value)).toContain('unknown');
    expect(proportions.maxDifferencePp).toBeLessThan(1);
  });
});
