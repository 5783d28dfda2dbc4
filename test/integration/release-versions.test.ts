import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ReleaseCatalog } from '../../activities/release/versions/release-catalog.ts';
import { runBuild, type BuildRun } from '../../scripts/run-build.ts';
import { buildFixture, type BuildFixture } from '../helpers/build-fixture.ts';
import { folderStorage } from '../helpers/folder-storage.ts';
import { BuiltRelease } from '../helpers/release-reader.ts';
import type { SynthKeyRow } from '../../scripts/synth/write-centre-drop.ts';

/**
 * Seven successive builds of one dataset: lesions held back and then delivered, a lesion deleted at
 * its centre and then sent again, a build with no change, a corrected site and a corrected diagnosis.
 * Versions, CHANGES.md and the frozen benchmark must follow.
 */
describe('release versions and the frozen benchmark over successive rebuilds', () => {
  let fixture: BuildFixture;
  let release: BuiltRelease;
  const lesionKey = (k: SynthKeyRow) => `${k.centre}/${k.patient_id}/${k.local_lesion_id}`;
  const brisbane = () => path.join(fixture.dir, 'brisbane', 'cases.tsv');
  const aside = () => path.join(fixture.dir, 'aside');

  /** The rows of the Brisbane export and its line ending. */
  function exportLines(): { lines: string[]; eol: string } {
    const text = readFileSync(brisbane(), 'utf8');
    return { lines: text.split(/\r?\n/).filter((line) => line.length > 0), eol: text.includes('\r\n') ? '\r\n' : '\n' };
  }
  /** Takes a Brisbane lesion out of the drop (its rows and image files), keeping them aside to send again later. */
  function withdraw(lesion: SynthKeyRow[]): string[] {
    const { lines, eol } = exportLines();
    const rows = lines.filter((line) => lesion.some((k) => line.includes(`\t${k.file}\t`)));
    writeFileSync(brisbane(), `${lines.filter((line) => !rows.includes(line)).join(eol)}${eol}`);
    for (const k of lesion) {
      mkdirSync(path.dirname(path.join(aside(), k.file)), { recursive: true });
      renameSync(path.join(fixture.dir, 'brisbane', k.file), path.join(aside(), k.file));
    }
    return rows;
  }
  function sendAgain(lesion: SynthKeyRow[], rows: string[]): void {
    const { lines, eol } = exportLines();
    writeFileSync(brisbane(), `${[...lines, ...rows].join(eol)}${eol}`);
    for (const k of lesion) renameSync(path.join(aside(), k.file), path.join(fixture.dir, 'brisbane', k.file));
  }
  /** The split of every released lesion: benchmark lesions are those of MILK10k_Test_Metadata.csv. */
  function splits(): Map<string, string> {
    return new Map(release.metadata().map((row) => [row.lesion_id!, row.split]));
  }
  const build = async (): Promise<BuildRun> => runBuild(fixture.reload(), { embeddedWorker: true });

  let lesions: SynthKeyRow[][];
  beforeAll(async () => {
    fixture = await buildFixture('versions', { seed: 23, lesions: 30 });
    const config = parseYaml(readFileSync(fixture.loaded.file, 'utf8'));
    config.benchmark = { fraction: 0.25, seed: 'versions-test' };
    writeFileSync(fixture.loaded.file, toYaml(config));
    release = new BuiltRelease(fixture.loaded.storageRoot);
    const byLesion = new Map<string, SynthKeyRow[]>();
    for (const k of fixture.key.filter((k) => k.centre === 'brisbane')) byLesion.set(lesionKey(k), [...(byLesion.get(lesionKey(k)) ?? []), k]);
    lesions = [...byLesion.values()];
    expect(lesions.length).toBeGreaterThanOrEqual(3);
  });

  it('versions each build by what changed, keeps every lesion on its side, and writes why into CHANGES.md', { timeout: 300_000 }, async () => {
    const heldBack = lesions.slice(0, 2).map((lesion) => ({ lesion, rows: withdraw(lesion) }));
    const first = await build();
    expect(first.summary.release).toMatchObject({ version: '1.0.0', previousVersion: null, newVersion: true });
    const firstSplits = splits();
    expect([...firstSplits.values()].filter((s) => s === 'benchmark')).toHaveLength(first.summary.split.benchmark);
    expect(first.summary.split.benchmark).toBe(Math.round(0.25 * first.summary.release.lesions));

    // Two lesions arrive: a minor version; everything released before keeps its side.
    for (const { lesion, rows } of heldBack) sendAgain(lesion, rows);
    const second = await build();
    expect(second.summary.release).toMatchObject({ version: '1.1.0', previousVersion: '1.0.0', newVersion: true });
    expect(second.summary.release.lesions).toBe(first.summary.release.lesions + 2);
    const secondSplits = splits();
    for (const [id, split] of firstSplits) expect(`${id} ${secondSplits.get(id)}`).toBe(`${id} ${split}`);
    const ids = release.idMap().lesions;
    const arrived = heldBack.map(({ lesion }) => ids[lesionKey(lesion[0]!)]!);
    const changes = readFileSync(path.join(release.dir, 'CHANGES.md'), 'utf8');
    expect(changes).toContain('1.1.0');
    expect(changes).toMatch(/minor/);
    for (const id of arrived) expect(changes).toMatch(new RegExp(`new-at-centre[\\s\\S]*${id}`));

    // A released lesion is deleted at its centre: a major version, the lesion reported as removed.
    const gone = lesions[2]!;
    const goneId = ids[lesionKey(gone[0]!)]!;
    const goneSplit = secondSplits.get(goneId)!;
    const goneRows = withdraw(gone);
    const third = await build();
    expect(third.summary.release).toMatchObject({ version: '2.0.0', previousVersion: '1.1.0', newVersion: true });
    expect(third.summary.split.removed[goneSplit as 'train' | 'benchmark']).toBe(1);
    expect(readFileSync(path.join(release.dir, 'CHANGES.md'), 'utf8')).toMatch(new RegExp(`removed-at-centre[\\s\\S]*${goneId}`));
    expect(splits().has(goneId)).toBe(false);

    // Nothing changed: the same version, the release kept as it is.
    const fourth = await build();
    expect(fourth.summary.release).toMatchObject({ version: '2.0.0', newVersion: false, reused: true, manifestSha256: third.summary.release.manifestSha256 });

    // The lesion is sent again: it comes back on the side it had.
    sendAgain(gone, goneRows);
    const fifth = await build();
    expect(fifth.summary.release).toMatchObject({ version: '2.1.0', newVersion: true });
    expect(splits().get(goneId)).toBe(goneSplit);
    for (const [id, split] of secondSplits) expect(`${id} ${splits().get(id)}`).toBe(`${id} ${split}`);

    // The centre corrects a training lesion's site, then its diagnosis: a patch, then a major version.
    const corrected = lesions.find((lesion) => splits().get(ids[lesionKey(lesion[0]!)]!) === 'train')!;
    const correctedId = ids[lesionKey(corrected[0]!)]!;
    const edit = (column: number, value: (old: string) => string) => {
      const { lines, eol } = exportLines();
      const edited = lines.map((line) => (corrected.some((k) => line.includes(`\t${k.file}\t`)) ? line.split('\t').map((cell, i) => (i === column ? value(cell) : cell)).join('\t') : line));
      writeFileSync(brisbane(), `${edited.join(eol)}${eol}`);
    };
    edit(9, (site) => (site === 'trunk' ? 'foot' : 'trunk')); // BodySite
    const sixth = await build();
    expect(sixth.summary.release).toMatchObject({ version: '2.1.1', newVersion: true });
    expect(readFileSync(path.join(release.dir, 'CHANGES.md'), 'utf8')).toMatch(new RegExp(`metadata-corrected[\\s\\S]*${correctedId}.*\\[site\\]`));
    edit(4, (dx) => (dx === 'Dermatofibroma' ? 'Nevus' : 'Dermatofibroma')); // Dx
    const seventh = await build();
    expect(seventh.summary.release).toMatchObject({ version: '3.0.0', newVersion: true });
    expect(readFileSync(path.join(release.dir, 'CHANGES.md'), 'utf8')).toMatch(new RegExp(`diagnosis-corrected[\\s\\S]*${correctedId}`));
    expect(splits().get(correctedId)).toBe('train');

    const catalog = new ReleaseCatalog(folderStorage(fixture.loaded.storageRoot));
    expect((await catalog.versions()).map((v) => [v.version, v.bump])).toEqual([
      ['1.0.0', 'initial'],
      ['1.1.0', 'minor'],
      ['2.0.0', 'major'],
      ['2.1.0', 'minor'],
      ['2.1.1', 'patch'],
      ['3.0.0', 'major'],
    ]);
    // The benchmark's labels never reached a public file of any version; the private ground truth holds them.
    const heldOut = new Set(release.benchmarkTruth('groundTruth').map((r) => r.lesion_id));
    expect(heldOut.size).toBe(fifth.summary.split.benchmark);
    for (const row of release.csv('MILK10k_Training_GroundTruth.csv')) expect(heldOut.has(row.lesion_id!)).toBe(false);
  });
});
