import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProvenance } from '../../activities/storage/provenance/provenance-table.ts';
import { ActivityDeps } from '../../activities/deps.ts';
import { tables } from '../../activities/storage/tables.ts';
import { runBuild } from '../../scripts/run-build.ts';
import { auditLineage } from '../../scripts/cli/audit-command.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { BuiltRelease, fileSha256 } from '../helpers/release-reader.ts';

const PROJECT = path.resolve(import.meta.dirname, '..', '..');
const milk = (args: string[]) => spawnSync(process.execPath, [path.join(PROJECT, 'scripts', 'milk.mjs'), ...args], { encoding: 'utf8' });

describe('provenance events and milk audit on a real build', () => {
  it('traces a released lesion back to the exact centre objects, and a no-change rebuild adds almost nothing', async () => {
    const fixture = await buildFixture('audit', { seed: 23, lesions: 10 });
    writeFileSync(path.join(fixture.dir, fixture.loaded.config.centres[0]!.id, 'Thumbs.db'), 'not an image');
    const run = await runBuild(fixture.loaded, { embeddedWorker: true });
    const deps = new ActivityDeps(fixture.loaded);
    const release = new BuiltRelease(fixture.loaded.storageRoot);

    // The generator's answer key, joined to public ids through the private id map (centre + sha256 of the file as sent).
    const idMap = release.idMap().images;
    const truth = fixture.key.map((k) => {
      const sha256 = fileSha256(path.join(fixture.dir, k.centre, k.file));
      return { ...k, sha256, isicId: idMap[`${k.centre}/${sha256}`] };
    });
    const metadata = release.csv('MILK10k_Training_Metadata.csv');
    const lesionId = metadata[0]!.lesion_id!;
    const released = metadata.filter((row) => row.lesion_id === lesionId);
    const expected = released.map((row) => truth.find((t) => t.isicId === row.isic_id)!);
    expect(new Set(expected.map((t) => t.source_lesion_id)).size).toBe(1); // the key agrees both images are one lesion

    const lineage = await auditLineage(fixture.loaded, { kind: 'lesion', id: lesionId });
    expect(lineage.lesion?.lesionId).toBe(lesionId);
    expect(lineage.images.map((i) => ({ centre: i.source?.detail.centre, key: i.source?.detail.key, sha256: i.source?.outputs[0]?.sha256, isicId: i.isicId })).sort(byIsic)).toEqual(
      expected.map((t) => ({ centre: t.centre, key: t.file, sha256: t.sha256, isicId: t.isicId })).sort(byIsic),
    );
    // its split (training: it is in the training metadata) and the release version that holds it
    expect(lineage.lesion?.split?.detail.split).toBe('train');
    expect(lineage.lesion?.releases.map((r) => r.detail.version)).toEqual([run.summary.release.version]);
    const pairing = lineage.lesion!.assembly.detail.pairing;
    expect(pairing).toEqual({
      clinical: expected.find((t) => t.image_type === 'clinical: close-up')!.isicId,
      dermoscopic: expected.find((t) => t.image_type === 'dermoscopic')!.isicId,
    });

    const processed = await deps.lake.read(tables.images);
    for (const image of lineage.images) {
      const truthRow = expected.find((t) => t.isicId === image.isicId)!;
      const measured = processed.find((p) => p.centre === truthRow.centre && p.key === truthRow.file)!;
      // de-identification: from the bytes the centre sent to the JPEG in work/, with what it removed
      expect(image.deidentification?.inputs[0]?.sha256).toBe(truthRow.sha256);
      const deidSha = image.deidentification!.outputs[0]!.sha256!;
      expect(fileSha256(deps.store.where(deps.layout.deidImage(deidSha)))).toBe(deidSha);
      expect(image.deidentification?.detail).toMatchObject({ removedSegments: expect.arrayContaining(['APP1:Exif']), removedExifTags: expect.arrayContaining(['Image.Artist']) });
      // the metadata row the image came from
      expect(image.record?.detail).toMatchObject({ centre: truthRow.centre, imageKey: truthRow.file });
      // QC: the raw scores measured, and no check failed for a released image without warnings
      expect(image.qc?.detail.scores).toEqual(measured.qc);
      expect(image.qc?.detail.excluded).toEqual([]);
      expect(image.qc?.inputs[0]?.sha256).toBe(deidSha);
      expect(image.concepts?.detail.modelVersion).toBe(run.summary.release.conceptModel);
      expect(image.concepts?.inputs[0]?.sha256).toBe(deidSha);
    }

    // The same case, asked for by an image id or by the centre and key of one of its objects.
    const byImage = await auditLineage(fixture.loaded, { kind: 'image', id: expected[0]!.isicId! });
    expect(byImage.lesion?.lesionId).toBe(lesionId);
    const bySource = await auditLineage(fixture.loaded, { kind: 'source', centre: expected[1]!.centre, key: expected[1]!.file });
    expect(bySource.lesion?.lesionId).toBe(lesionId);
    expect(bySource.images.map((i) => i.isicId)).toEqual([expected[1]!.isicId]);

    // Every event says which execution, attempt, code and config produced it.
    const events = await readProvenance(deps.lake);
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT, encoding: 'utf8' }).trim();
    for (const event of events) {
      expect(event.workflowId.startsWith(run.workflowId)).toBe(true);
      expect(event.runId).toMatch(/^[0-9a-f-]{36}$/);
      expect(event.attempt).toBeGreaterThanOrEqual(1);
      expect(event.codeVersion).toContain(commit);
      expect(event.configHash).toBe(fixture.loaded.hash);
    }
    expect([...new Set(events.map((e) => e.activity))]).toEqual(expect.arrayContaining(['retrieve', 'parse', 'deidentify', 'qc', 'assemble', 'concepts']));

    // The CLI prints the same lineage, and refuses an id it has no events for with one line.
    const cli = milk(['audit', lesionId, '--config', fixture.loaded.file, '--json']);
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(JSON.parse(JSON.stringify(lineage)));
    // An object the build left out at retrieval has no lineage: the audit shows its exclusion instead.
    const stray = milk(['audit', fixture.loaded.config.centres[0]!.id, 'Thumbs.db', '--config', fixture.loaded.file, '--json']);
    expect(stray.status, stray.stderr).toBe(0);
    expect(JSON.parse(stray.stdout).exclusion).toMatchObject({ centre: fixture.loaded.config.centres[0]!.id, key: 'Thumbs.db', stage: 'retrieve', reason: 'unrecognised-object' });
    const unknown = milk(['audit', 'IL_0000000', '--config', fixture.loaded.file]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);

    // A rebuild of the same drops does (almost) no new work, so it records (almost) no events.
    await runBuild(fixture.reload(), { embeddedWorker: true });
    const after = await readProvenance(deps.lake);
    expect(after.length - events.length).toBeLessThanOrEqual(3);

    // A build that de-identified images and failed before recording them (cache written, events and
    // digests lost): the next build's cache hits record them, so every released image has every step.
    const centre = fixture.loaded.config.centres[0]!.id;
    for (const shard of await deps.store.list(`private/lake/provenance/${centre}/`)) {
      if ((await deps.store.get(shard.key))!.toString('utf8').includes('"activity":"deidentify"')) rmSync(deps.store.where(shard.key));
    }
    await deps.store.deletePrefix(`private/lake/provenance-latest/${centre}/`);
    await runBuild(fixture.reload(), { embeddedWorker: true });
    const recorded = new Set((await readProvenance(deps.lake, centre)).filter((e) => e.activity === 'deidentify').map((e) => e.entity.id));
    const releasedHere = (await deps.lake.read(tables.images, centre)).map((p) => p.sourceSha256);
    expect(releasedHere.length).toBeGreaterThan(0);
    expect(releasedHere.filter((sha) => !recorded.has(sha))).toEqual([]);
  });
});

const byIsic = (a: { isicId?: string }, b: { isicId?: string }) => (a.isicId! < b.isicId! ? -1 : 1);
