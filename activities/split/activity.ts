import { ApplicationFailure, Context } from '@temporalio/activity';
import type { SplitResult } from '../../schemas/payloads.ts';
import type { Exclusion } from '../../schemas/records.ts';
import { PublicIds } from '../storage/public-ids.ts';
import { conflictExclusions } from './conflict-exclusions.ts';
import { SplitState, type SplitCandidate } from '../../schemas/split.ts';
import { BUILD_PARTITION, tables } from '../storage/tables.ts';
import type { ActivityDeps } from '../deps.ts';
import { recordProvenance } from '../storage/provenance/record-provenance.ts';
import { assignSplit } from './assign-split.ts';
import { duplicateKeys, patientKeys } from './group-keys.ts';
import { readSplitState, writeSplitState } from './split-state.ts';
import { previousOfRun } from '../storage/run-base.ts';
import { splitProportions } from './split-proportions.ts';

export function splitActivities(deps: ActivityDeps) {
  /** Exclusions for lesions no side can take, read against this build's private records and earlier exclusions. */
  const conflictsOf = async (ids: readonly string[]): Promise<Exclusion[]> => {
    const lesionKeys = (await PublicIds.open(deps.store, deps.layout.idMap)).lesionKeys();
    const records = await deps.lake.readPartitions(tables.records, deps.centreIds);
    return conflictExclusions(ids, lesionKeys, records, await deps.lake.readPartitions(tables.exclusions, [...deps.centreIds, BUILD_PARTITION]));
  };
  return {
    /**
     * Single writer: assigns every assembled lesion to the benchmark or train, keeping the side of
     * every lesion an earlier build assigned. Writes the lake table `split` and the new frozen state;
     * new lesions that would link the two sides become `split-conflict` exclusions.
     */
    async assignBenchmarkSplit(): Promise<SplitResult> {
      const lesions = await deps.lake.read(tables.lesions, BUILD_PARTITION);
      const images = await deps.lake.read(tables.caseImages, BUILD_PARTITION);
      const duplicatesOf = duplicateKeys(images);
      let candidates: SplitCandidate[];
      let previous: SplitState;
      try {
        const patientOf = await patientKeys(deps.store, deps.layout.idMap);
        candidates = lesions.map((l) => {
          const patient = patientOf.get(l.lesion_id);
          if (patient === undefined) throw new Error(`lesion ${l.lesion_id} of the assembled lesions is not in the public id map`);
          const { lesion_id, diagnosis_class, centre, skin_tone_class } = l;
          return { lesion_id, diagnosis_class, centre, skin_tone_class, groupKeys: [patient, ...(duplicatesOf.get(lesion_id) ?? [])] };
        });
        // As the run's first attempt found it: a killed attempt may already have written this build's state.
        const runId = Context.current().info.workflowExecution?.runId;
        previous = await previousOfRun(deps, 'split', runId, SplitState, () => readSplitState(deps.store, deps.layout.splitState));
      } catch (err) {
        // No retry repairs a broken id map or state file; the messages name files and public ids only.
        throw ApplicationFailure.nonRetryable(`benchmark split failed: ${(err as Error).message}`);
      }
      const { assignments, state, report } = assignSplit({ lesions: candidates, previous, benchmark: deps.config.benchmark });

      const conflicts = report.conflicts.length === 0 ? [] : await conflictsOf(report.conflicts);
      await deps.lake.writeShard(tables.split, BUILD_PARTITION, 'assignments', assignments);
      await deps.lake.writeShard(tables.exclusions, BUILD_PARTITION, 'split', conflicts);
      await writeSplitState(deps.store, deps.layout.splitState, state);
      // Only decisions are events: a lesion keeps its side, so a rebuild records just the new ones.
      await recordProvenance(
        deps,
        BUILD_PARTITION,
        assignments.map((a) => ({ activity: 'split', entity: { kind: 'lesion', id: a.lesion_id }, inputs: [], outputs: [], detail: { split: a.split } })),
        { onlyChanges: true },
      );

      const proportions = splitProportions(lesions, assignments);
      return {
        benchmark: proportions.benchmark,
        train: proportions.train,
        newlyAssigned: { benchmark: report.newlyAssigned.benchmark.length, train: report.newlyAssigned.train.length },
        removed: { benchmark: report.removed.benchmark.length, train: report.removed.train.length },
        conflicts: report.conflicts.length,
        straddlingGroups: report.straddlingGroups.length,
        maxDifferencePp: proportions.maxDifferencePp,
      };
    },
  };
}
