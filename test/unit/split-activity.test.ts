import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_PARTITION, tables } from '../../activities/storage/tables.ts';
import { ActivityDeps } from '../../activities/deps.ts';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { SplitResult } from '../../schemas/payloads.ts';
import { readProvenance } from '../../activities/storage/provenance/provenance-table.ts';
import { splitActivities } from '../../activities/split/activity.ts';
import { BenchmarkConfig } from '../../schemas/config.ts';
import type { PublicImage, PublicLesion } from '../../schemas/release.ts';
import type { PrivateRecord } from '../../schemas/records.ts';
import { SplitState } from '../../schemas/split.ts';
import { repoConfig } from '../helpers/config.ts';
import { image, lesion } from '../helpers/release-fixture.ts';

/**
 * A small assembled build in a temp storage root: 40 lesions at two centres; the private id map keys
 * them by `centre/patientId/lesionId`. Patients P-Müller-000…: lesion i ≡ 1 (mod 4) shares the patient
 * of the one before; lesions 10 and 30 (different patients) share a duplicate image.
 */
const DIAGNOSES = ['Basal cell carcinoma', 'Seborrheic keratosis', 'Melanoma Invasive', 'Melanoma in situ'];
const lesionId = (i: number) => `IL_${4_100_000 + i}`;
const centre = (i: number) => (Math.floor(i / 2) % 2 ? 'vienna' : 'barcelona');
const privateKey = (i: number) => `${centre(i)}/P-Müller-${String(i % 4 === 1 ? i - 1 : i).padStart(3, '0')}/L-2024-${String(i).padStart(4, '0')}`;

let root: string;
let deps: ActivityDeps;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'milk-split-'));
  const loaded = repoConfig();
  deps = new ActivityDeps({ ...loaded, storageRoot: root, storage: { kind: 'folder', root }, config: { ...loaded.config, benchmark: BenchmarkConfig.parse({ fraction: 0.25 }) } });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

type Duplicates = Partial<Record<PublicImage['image_type'], [number, number][]>>;

/** Writes the assemble stage's output for lesions `ids` (and the id map of every lesion ever seen); `duplicates` pairs lesions whose image of a type is duplicated. */
async function assembled(ids: number[], duplicates: Duplicates = { 'clinical: close-up': [[10, 30]] }) {
  const lesions: PublicLesion[] = ids.map((i) =>
    lesion(lesionId(i), DIAGNOSES[i % DIAGNOSES.length]!, { centre: centre(i), skin_tone_class: i % 3 ? i % 6 : null }),
  );
  const groupOf = new Map<string, number>();
  Object.entries(duplicates)
    .flatMap(([type, pairs]) => pairs.map((pair) => ({ type, pair })))
    .forEach(({ type, pair }, g) => pair.forEach((i) => groupOf.set(`${type}/${i}`, g + 1)));
  const images: PublicImage[] = ids.flatMap((i) =>
    (['clinical: close-up', 'dermoscopic'] as const).map((type, t) => image(`ISIC_${5_100_000 + 2 * i + t}`, lesionId(i), type, { duplicate_group: groupOf.get(`${type}/${i}`) ?? null })),
  );
  await deps.lake.writeShard(tables.lesions, BUILD_PARTITION, 'rows', lesions);
  await deps.lake.writeShard(tables.caseImages, BUILD_PARTITION, 'rows', images);
  // the centres' private records behind them: one row per image, as parse writes them
  for (const c of ['vienna', 'barcelona']) {
    const records: PrivateRecord[] = ids.filter((i) => centre(i) === c).flatMap((i) => {
      const [, patientId, localLesionId] = privateKey(i).split('/') as [string, string, string];
      return (['clinical: close-up', 'dermoscopic'] as const).map((imageType, t) => ({
        centre: c, metadataKey: 'export.csv', row: 2 * i + t + 1, imageKey: `bilder/${localLesionId}-${t}.jpg`, patientId, lesionId: localLesionId, imageType, diagnosis: DIAGNOSES[i % DIAGNOSES.length]!, manipulation: 'instrument only' as const,
      }));
    });
    await deps.lake.writeShard(tables.records, c, 'parse', records);
  }
  const everSeen = Array.from({ length: 100 }, (_, i) => i);
  await deps.store.put(deps.layout.idMap, JSON.stringify({ lesions: Object.fromEntries(everSeen.map((i) => [privateKey(i), lesionId(i)])), images: {} }));
}

let runs = 0;
/** Runs the activity in an activity context of its own, as a worker would (a new run id each time). */
const run = (retryOf?: number): Promise<SplitResult> => {
  runs += 1;
  // a retry: the same run's activity again, attempt 2
  const execution = retryOf === undefined ? { runId: `run-${runs}`, attempt: 1 } : { runId: `run-${retryOf}`, attempt: 2 };
  const environment = new MockActivityEnvironment({ workflowExecution: { workflowId: 'build-test', runId: execution.runId }, activityId: 'split', attempt: execution.attempt });
  return environment.run(splitActivities(deps).assignBenchmarkSplit) as Promise<SplitResult>;
};
/** The split decisions provenance holds, latest last. */
const splitEvents = async () => (await readProvenance(deps.lake, BUILD_PARTITION)).filter((e) => e.activity === 'split');
const rows = async () => new Map((await deps.lake.readShard(tables.split, BUILD_PARTITION, 'assignments')).map((r) => [r.lesion_id, r.split]));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
/** Every private value the id map holds: patient ids, local lesion ids, whole keys. */
const privateValues = (ids: number[]) => ids.flatMap((i) => [privateKey(i), ...privateKey(i).split('/').slice(1)]);

describe('assignBenchmarkSplit', () => {
  it('gives a retried attempt the counts of the first: the state the killed attempt already wrote is not taken for the previous build', async () => {
    await assembled(range(0, 40));
    const first = await run();
    const retry = await run(runs);
    expect(retry).toEqual(first);
    expect(retry.newlyAssigned).toEqual({ benchmark: 10, train: 30 });
    // the next build is a new run: now the lesions are the previous build's
    expect((await run()).newlyAssigned).toEqual({ benchmark: 0, train: 0 });
  });

  it('writes the assignments and the frozen state, keeps patients and duplicates together, and returns counts only', async () => {
    await assembled(range(0, 40));
    const result = await run();
    expect(result).toEqual({
      benchmark: 10,
      train: 30,
      newlyAssigned: { benchmark: 10, train: 30 },
      removed: { benchmark: 0, train: 0 },
      conflicts: 0,
      straddlingGroups: 0,
      maxDifferencePp: expect.any(Number),
    });
    const side = await rows();
    expect(side.size).toBe(40);
    const state = SplitState.parse(JSON.parse(readFileSync(deps.store.where(deps.layout.splitState), 'utf8')));
    expect(new Map(Object.entries(state.assignments))).toEqual(side);
    for (const i of range(0, 40)) if (i % 4 === 1) expect(side.get(lesionId(i)), `patient of lesion ${i}`).toBe(side.get(lesionId(i - 1)));
    expect(side.get(lesionId(10))).toBe(side.get(lesionId(30)));

    const written = JSON.stringify(result) + readFileSync(deps.store.where(deps.layout.splitState), 'utf8') + JSON.stringify([...side]);
    for (const value of privateValues(range(0, 40))) expect(written).not.toContain(value);
  });

  it('keeps every assignment on a rebuild, reports removed lesions, and excludes a new lesion that links both sides', async () => {
    await assembled(range(0, 40));
    await run();
    const first = await rows();
    // provenance holds one decision per lesion, and a rebuild that decides nothing new records nothing
    expect(new Map((await splitEvents()).map((e) => [e.entity.id, e.detail.split]))).toEqual(first);
    expect((await run()).newlyAssigned).toEqual({ benchmark: 0, train: 0 });
    expect(await rows()).toEqual(first);
    expect(await splitEvents()).toHaveLength(40);

    // Rebuild: lesions 0..3 are gone, 40..49 are new, and new lesion 41 (patient of 40) duplicates
    // an image of a benchmark lesion and one of a train lesion.
    const benchmarkLesion = range(4, 40).find((i) => first.get(lesionId(i)) === 'benchmark' && i % 4 === 3)!;
    const trainLesion = range(4, 40).find((i) => first.get(lesionId(i)) === 'train' && i % 4 === 3)!;
    expect([benchmarkLesion, trainLesion]).not.toContain(undefined);
    await assembled(range(4, 50), { 'clinical: close-up': [[10, 30], [41, benchmarkLesion]], dermoscopic: [[41, trainLesion]] });

    const result = await run();
    const second = await rows();
    for (const [id, split] of second) if (first.has(id)) expect(split, id).toBe(first.get(id));
    const gone = range(0, 4).map((i) => first.get(lesionId(i)));
    expect(result.removed).toEqual({ benchmark: gone.filter((s) => s === 'benchmark').length, train: gone.filter((s) => s === 'train').length });
    expect(result.conflicts).toBe(2); // 41, and 40: same patient
    expect(result.straddlingGroups).toBe(1);
    expect(second.has(lesionId(40))).toBe(false);
    expect(second.has(lesionId(41))).toBe(false);
    expect(result.benchmark + result.train).toBe(44);
    expect((await splitEvents()).slice(40).map((e) => e.entity.id).sort()).toEqual(range(42, 50).map(lesionId).sort());

    const exclusions = await deps.lake.readShard(tables.exclusions, BUILD_PARTITION, 'split');
    // each conflict lesion, and each of its images with the source key and row it came from
    expect(exclusions.map(({ centre, stage, entity, reason, key, row }) => ({ centre, stage, entity, reason, key, row }))).toEqual(
      [40, 41].flatMap((i) => [
        { centre: 'barcelona', stage: 'split', entity: 'lesion', reason: 'split-conflict', key: undefined, row: undefined },
        ...[0, 1].map((t) => ({ centre: 'barcelona', stage: 'split', entity: 'image', reason: 'split-conflict', key: `bilder/L-2024-00${i}-${t}.jpg`, row: 2 * i + t + 1 })),
      ]),
    );
    const written = JSON.stringify(result);
    for (const value of privateValues(range(0, 50))) expect(written).not.toContain(value);
  });

  it('fails without retry on a lesion the id map does not know, naming the public id only', async () => {
    await assembled(range(0, 5));
    writeFileSync(deps.store.where(deps.layout.idMap), JSON.stringify({ lesions: { [privateKey(0)]: lesionId(0) }, images: {} }));
    const error = await run().catch((err: Error & { nonRetryable?: boolean }) => err);
    expect(error).toMatchObject({ nonRetryable: true });
    expect((error as Error).message).toContain(`lesion ${lesionId(1)} of the assembled lesions is not in the public id map`);
    for (const value of privateValues(range(0, 5))) expect((error as Error).message).not.toContain(value);
  });

  it('names the state file when it is not a split state', async () => {
    await assembled(range(0, 5));
    await deps.store.put(deps.layout.splitState, JSON.stringify({ assignments: { [lesionId(0)]: 'test' } }));
    await expect(run()).rejects.toThrow(`split state '${deps.store.where(deps.layout.splitState)}' is invalid at assignments.${lesionId(0)}`);
  });
});
