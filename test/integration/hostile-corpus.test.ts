import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBuild } from '../../scripts/run-build.ts';
import { connectClient } from '../../worker/connection.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { captureOutput } from '../helpers/capture-output.ts';
import { historyText } from '../helpers/history-text.ts';
import { plantedForms, plantHostileCorpus } from '../helpers/hostile-corpus.ts';
import { BuiltRelease } from '../helpers/release-reader.ts';

// The most verbose worker logs, so the search of the output covers everything a deployment could log.
process.env.MILK_LOG_LEVEL = 'debug';

describe('a hostile corpus through a real build', () => {
  it('releases each item without its planted name or excludes it with its reason, and the name is nowhere', async () => {
    const fixture = await buildFixture('hostile', { seed: 23, lesions: 60, textDetection: true });
    const items = await plantHostileCorpus(fixture.dir, fixture.key, fixture.loaded.config.centres);
    expect(new Set(items.map((i) => i.kind)).size).toBe(items.length);

    const logs = captureOutput();
    const run = await runBuild(fixture.reload(), { embeddedWorker: true }).finally(() => logs.stop());
    const { summary } = run;
    const release = new BuiltRelease(fixture.loaded.storageRoot);
    const exclusions = release.exclusions();

    // Every item as expected: released untouched by any exclusion, or excluded with its reason.
    const outcome = items.map((item) => {
      const mine = (e: Record<string, string>) => e.centre === item.centre && (item.row !== undefined ? e.key === item.file && e.row === String(item.row) : e.entity !== 'lesion' && (e.key === item.file || e.key.startsWith(`${item.file} `)));
      const reasons = exclusions.filter(mine).map((e) => e.reason);
      return { kind: item.kind, outcome: reasons.length === 0 ? 'released' : reasons.join('+') };
    });
    expect(outcome).toEqual(items.map((i) => ({ kind: i.kind, outcome: i.expect })));

    // The row claiming another patient's image excludes the image's own row too: no claim wins.
    const victim = items.find((i) => i.kind === 'row-claims-another-patients-image')!;
    expect(exclusions.filter((e) => e.centre === victim.centre && e.key === victim.file && e.reason === 'ambiguous-image')).toHaveLength(2);

    // Conservation: every image that came in was released or excluded.
    const imagesIn = summary.centres.reduce((n, c) => n + c.retrieve.images, 0);
    const imageExclusions = Object.entries(summary.release.exclusionsByReason).filter(([k]) => k.startsWith('image:')).reduce((n, [, v]) => n + v, 0);
    expect(summary.release.images + imageExclusions).toBe(imagesIn);
    expect(release.jpegs()).toHaveLength(summary.release.images);
    // ... and every metadata row became a record or a record exclusion, each of them listed.
    for (const { centre, parse } of summary.centres) {
      expect(parse.rows).toBe(parse.records + parse.excluded);
      expect(exclusions.filter((e) => e.centre === centre && e.entity === 'record' && e.stage === 'parse')).toHaveLength(parse.excluded);
    }
    // The case whose own image spells its patient's name is withheld, both images; the other cases are released.
    const spelled = items.find((i) => i.kind === 'name-spelled-by-own-image-bytes')!;
    expect(exclusions.filter((e) => e.reason === 'leak-scan-hit').map((e) => e.centre)).toEqual([spelled.centre, spelled.centre]);
    expect(summary.release.leakScan.hits).toBe(0);

    // No planted name, in any encoding or case, in any released byte, Temporal history or log line.
    const client = await connectClient(fixture.loaded);
    const histories: string[] = [];
    for (const id of [run.workflowId, ...fixture.loaded.config.centres.map((c) => `${run.workflowId}/ingest-${c.id}`)]) {
      histories.push(historyText(await client.workflow.getHandle(id).fetchHistory()));
    }
    await client.connection.close();
    const places: [string, Buffer][] = [
      ...readdirSync(release.dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e): [string, Buffer] => [path.relative(release.dir, path.join(e.parentPath, e.name)), readFileSync(path.join(e.parentPath, e.name))]),
      ['histories', Buffer.from(histories.join('\n'))],
      ['logs', Buffer.from(logs.text())],
    ];
    const found = items.flatMap((item) =>
      item.planted.flatMap((value) => places.filter(([, bytes]) => plantedForms(value).some((form) => bytes.includes(form))).map(([where]) => `${item.kind} in ${where}`)),
    );
    expect(found).toEqual([]);

    // A rebuild with nothing changed keeps the release, and still reports the withheld case.
    const again = await runBuild(fixture.reload(), { embeddedWorker: true });
    expect(again.summary.release.reused).toBe(true);
    expect(again.summary.release.exclusionsByReason).toEqual(summary.release.exclusionsByReason);
    expect(again.summary.release.lesions).toBe(summary.release.lesions);
  }, 600_000);
});
