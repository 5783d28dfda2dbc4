import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { buildWorkflowId } from '../../scripts/build-start.ts';
import { connectClient } from '../../worker/connection.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { historyText } from '../helpers/history-text.ts';
import { plantedForms } from '../helpers/hostile-corpus.ts';
import { milk } from '../helpers/milk-cli.ts';
import { temporalAddress } from '../helpers/temporal.ts';

describe('a build whose activity fails with PHI in its error, message, stack and cause', () => {
  it('ends in one line (activity, reason, what to do), and no history of the build, no output and no log line holds a planted value', async () => {
    const fixture = await buildFixture('failure-phi', { seed: 64, lesions: 4 });
    const row = fixture.key.find((r) => r.patient_name.includes(' ') && r.birth_date && r.patient_id.length >= 5)!;
    const planted = [row.patient_name, ...row.patient_name.split(' '), row.patient_id, row.birth_date];
    // The store lives in a folder named after a patient, with their local id and birth date, spaces and
    // all, and holds a damaged lake shard quoting their row: retrieval fails on every attempt, and its
    // error names the folder unquoted (message and stack) and quotes the row (its cause).
    const root = path.join(fixture.dir, `${row.patient_name} ${row.patient_id} ${row.birth_date}`, 'store');
    const raw = parseYaml(readFileSync(fixture.loaded.file, 'utf8'));
    raw.storage = { ...raw.storage, root };
    raw.temporal.retry = { maximumAttempts: 2, maximumIntervalSeconds: 1 };
    writeFileSync(fixture.loaded.file, toYaml(raw));
    const centre = fixture.loaded.config.centres[0]!.id;
    mkdirSync(path.join(root, 'private', 'lake', 'inventory', centre), { recursive: true });
    writeFileSync(path.join(root, 'private', 'lake', 'inventory', centre, 'damaged.jsonl'), `${row.patient_name};${row.patient_id};${row.birth_date}\n`);

    // The most verbose logs first, for the search; then the default output, for what a person reads.
    const env = { TEMPORAL_ADDRESS: temporalAddress() };
    const verbose = await milk(['build', '--config', fixture.loaded.file], { ...env, MILK_LOG_LEVEL: 'debug' });
    const plain = await milk(['build', '--config', fixture.loaded.file], env);
    for (const run of [verbose, plain]) {
      expect(run.status).toBe(1);
      expect(run.stderr.trim().split('\n').at(-1)).toMatch(
        new RegExp(
          `^milk: retrieveCentre \\(activity\\) in build-[\\w-]+/ingest-${centre} \\(child workflow\\): lake shard private/lake/inventory/${centre}/damaged\\.jsonl line 1 is not JSON: ` +
            'the shard is damaged; delete it \\(<redacted>\\) and build again, which writes it afresh: .*<redacted>.* \\(failed on every attempt temporal\\.retry allows: fix the cause and run `milk build` again, which keeps the work already done\\)$',
        ),
      );
    }
    // Without MILK_LOG_LEVEL=debug: each failed attempt is one line, and no stack trace is printed.
    expect(plain.stderr).not.toMatch(/^\s+at /m);
    expect(plain.stderr).toMatch(new RegExp(`^.*Activity retrieveCentre failed on attempt 1: lake shard private/lake/inventory/${centre}/damaged\\.jsonl line 1 is not JSON`, 'm'));
    console.info(`failed build, default output: ${plain.stderr.trim().split('\n').length} stderr lines; last: ${plain.stderr.trim().split('\n').at(-1)}`);

    // Every history of the build: the parent and each centre's child.
    const loaded = fixture.reload();
    const client = await connectClient(loaded);
    const workflowId = buildWorkflowId(loaded);
    const histories = new Map<string, string>();
    for (const id of [workflowId, ...loaded.config.centres.map((c) => `${workflowId}/ingest-${c.id}`)]) {
      histories.set(id, historyText(await client.workflow.getHandle(id).fetchHistory()));
    }
    await client.connection.close();
    expect(histories.get(`${workflowId}/ingest-${centre}`)).toContain(`lake shard private/lake/inventory/${centre}/damaged.jsonl line 1 is not JSON`);
    const places: [string, string][] = [...histories, ['stdout and stderr (debug)', verbose.stdout + verbose.stderr], ['stdout and stderr', plain.stdout + plain.stderr]];
    const found = planted.flatMap((value) => places.filter(([, text]) => plantedForms(value).some((form) => Buffer.from(text).includes(form))).map(([where]) => `${value} in ${where}`));
    expect(found).toEqual([]);
  }, 300_000);
});
