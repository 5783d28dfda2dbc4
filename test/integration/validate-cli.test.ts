import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { CentrePreflight } from '../../scripts/validate/preflight.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { milk } from '../helpers/milk-cli.ts';
import { temporalAddress } from '../helpers/temporal.ts';

describe('milk validate', () => {
  it('reports every centre in seconds without Temporal: bad rows grouped by reason with their rows, a missing folder in one line, exit 1', async () => {
    const fixture = await buildFixture('validate', { seed: 61, lesions: 12 });
    const [first, second] = fixture.loaded.config.centres;
    // one row whose diagnosis no vocabulary or dialect map knows
    const metadataFile = path.join(fixture.dir, first!.id, first!.dialect.metadataFile!);
    const text = readFileSync(metadataFile, first!.dialect.encoding === 'latin1' ? 'latin1' : 'utf8');
    const delimiter = first!.dialect.delimiter ?? ',';
    const header = text.split(/\r?\n/)[0]!.split(delimiter);
    const row = text.split(/\r?\n/)[1]!.split(delimiter);
    row[header.indexOf(first!.dialect.columns.diagnosis)] = 'Morbus Unbekannt';
    appendFileSync(metadataFile, `${row.join(delimiter)}\r\n`, first!.dialect.encoding === 'latin1' ? 'latin1' : 'utf8');
    // the other centre's folder mistyped
    const raw = parseYaml(readFileSync(fixture.loaded.file, 'utf8'));
    raw.centres[1].source.path = `${raw.centres[1].source.path}-typo`;
    writeFileSync(fixture.loaded.file, toYaml(raw));

    const started = Date.now();
    const run = await milk(['validate', '--config', fixture.loaded.file, '--json'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as { centres: CentrePreflight[] };
    const byId = new Map(report.centres.map((c) => [c.centre, c]));
    expect(byId.get(second!.id)?.error).toMatch(/-typo' does not exist or is not a folder \(ENOENT\): check the path in temporal\.yml$/);
    const checked = byId.get(first!.id)!;
    expect(checked.error).toBeUndefined();
    expect(checked.images).toBeGreaterThan(0);
    expect(checked.problems.map((p) => p.reason)).toContain('unknown-diagnosis');
    // without --details the examples name rows, never the centre's own words
    expect(JSON.stringify(checked.problems)).not.toContain('Morbus Unbekannt');
    expect(report.centres.filter((c) => c.centre !== second!.id).every((c) => c.error === undefined)).toBe(true);

    // a build's dry run: the same report, and what it would fetch, without Temporal
    const dry = await milk(['build', '--dry-run', '--json', '--config', fixture.loaded.file], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(dry.status).toBe(1);
    const planned = (JSON.parse(dry.stdout) as { centres: CentrePreflight[] }).centres.find((c) => c.centre === first!.id)!;
    expect(planned.changes).toEqual({ new: planned.objects, changed: 0, deleted: 0, unchanged: 0 });

    const text2 = await milk(['validate', '--config', fixture.loaded.file, '--details'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(text2.stdout).toContain('Morbus Unbekannt');
    expect(text2.stdout).toMatch(new RegExp(`^${first!.id} \\(.*\\): 1 problem\\(s\\)$`, 'm'));
  }, 120_000);
});

describe('milk build on a config error', () => {
  it('fails at once with one line naming where and why, not after five retries', async () => {
    const fixture = await buildFixture('config-error', { seed: 62, lesions: 4 });
    const raw = parseYaml(readFileSync(fixture.loaded.file, 'utf8'));
    raw.centres[1].source.path = `${raw.centres[1].source.path}-typo`;
    writeFileSync(fixture.loaded.file, toYaml(raw));
    const started = Date.now();
    const run = await milk(['build', '--config', fixture.loaded.file], { TEMPORAL_ADDRESS: temporalAddress() });
    expect(run.status).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    const last = run.stderr.trim().split('\n').at(-1)!;
    // the path itself stays out of Temporal: the failure converter redacts paths (they may name patients)
    expect(last).toMatch(/^milk: retrieveCentre \(activity\) in .*\/ingest-[a-z]+ \(child workflow\): .*<redacted>.* does not exist or is not a folder \(ENOENT\): check the path in temporal\.yml$/);
    expect(last).not.toContain('-typo');
    console.info(`milk build on a mistyped folder: ${run.stderr.trim().split('\n').length} stderr lines; last: ${last}`);
  }, 120_000);
});
