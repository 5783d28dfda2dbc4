import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJpegSegments } from '../../activities/storage/jpeg/jpeg-segments.ts';
import { connectClient } from '../../worker/connection.ts';
import { runBuild } from '../../scripts/run-build.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { BuiltRelease, fileSha256 } from '../helpers/release-reader.ts';
import { historyText } from '../helpers/history-text.ts';
import { captureOutput } from '../helpers/capture-output.ts';
import { exiftoolTags } from '../helpers/exiftool.ts';

/** What exiftool may report for a released image: file facts, JFIF, and the rights XMP allowlist. */
const RELEASED_TAG =
  /^(SourceFile|ExifTool:ExifToolVersion|System:.*|File:(FileType|FileTypeExtension|MIMEType|ImageWidth|ImageHeight|EncodingProcess|BitsPerSample|ColorComponents|YCbCrSubSampling)|Composite:(ImageSize|Megapixels)|JFIF:.*|XMP-dc:Title|XMP-plus:(ImageSupplierImageID|LicensorName)|XMP-photoshop:(Credit|Source)|XMP-xmpRights:(UsageTerms|WebStatement))$/;

const exiftool = exiftoolTags;

// The most verbose worker logs, so the PHI scan of the output below covers everything a deployment could log.
process.env.MILK_LOG_LEVEL = 'debug';

describe('buildRelease workflow on synthetic drops', () => {
  it('turns five centre drops into a release, records bad input as exclusions, and keeps PHI out of histories', async () => {
    const fixture = await buildFixture('workflow', { seed: 7, lesions: 15 });
    const vienna = fixture.loaded.config.centres[0]!;
    const metadataFile = path.join(fixture.dir, vienna.id, vienna.dialect.metadataFile!);
    // A broken drop: a ragged row, a row with an unknown diagnosis, a stray file, an image with no row, a corrupt JPEG.
    const raggedRow = readFileSync(metadataFile, 'latin1').trimEnd().split('\r\n').length; // header is row 0
    appendFileSync(metadataFile, Buffer.from('PAT-1;L1;bilder/x.jpg\r\n', 'latin1'));
    const firstDataRow = readFileSync(metadataFile, 'latin1').split('\r\n')[1]!;
    const unknownDx = firstDataRow.split(';').map((cell, i) => (i === 4 ? 'Warze am Fuss' : i === 2 ? 'bilder/unknown.jpg' : cell)).join(';');
    appendFileSync(metadataFile, Buffer.from(`${unknownDx}\r\n`, 'latin1'));
    const elsewhere = fixture.key.find((k) => k.centre !== vienna.id)!;
    writeFileSync(path.join(fixture.dir, vienna.id, 'bilder', 'unknown.jpg'), readFileSync(path.join(fixture.dir, elsewhere.centre, elsewhere.file)));
    writeFileSync(path.join(fixture.dir, vienna.id, 'Thumbs.db'), 'not an image');
    writeFileSync(path.join(fixture.dir, vienna.id, 'bilder', 'orphan.jpg'), readFileSync(path.join(fixture.dir, vienna.id, fixture.key[2]!.file)).subarray(0, 300));

    const logs = captureOutput();
    const run = await runBuild(fixture.loaded, { embeddedWorker: true }).finally(() => logs.stop());
    const { summary } = run;
    const imagesIn = summary.centres.reduce((n, c) => n + c.retrieve.images, 0);
    const excluded = summary.release.exclusionsByReason;

    expect(summary.centres.map((c) => c.centre)).toEqual(fixture.loaded.config.centres.map((c) => c.id));
    expect(summary.release.lesions).toBe(15);
    expect(summary.release.images).toBe(30);
    expect(excluded['record:malformed-row']).toBe(1);
    expect(excluded['record:unknown-diagnosis']).toBe(1);
    expect(excluded['object:unrecognised-object']).toBe(1);
    expect(excluded['image:undecodable-image']).toBe(1);
    expect(excluded['image:no-usable-row']).toBe(1);
    // Conservation: every image that came in was released or excluded.
    const imageExclusions = Object.entries(excluded).filter(([k]) => k.startsWith('image:')).reduce((n, [, v]) => n + v, 0);
    expect(summary.release.images + imageExclusions).toBe(imagesIn);

    const release = new BuiltRelease(fixture.loaded.storageRoot);
    const report = release.exclusions();
    expect(report.find((e) => e.reason === 'malformed-row')).toMatchObject({ centre: vienna.id, key: vienna.dialect.metadataFile, row: String(raggedRow) });
    for (const jpeg of release.jpegs()) {
      const names = readJpegSegments(readFileSync(jpeg)).map((s) => s.name);
      expect(names.filter((n) => /^APP([2-9]|1[0-5])$/.test(n) || n === 'COM')).toEqual([]);
      expect(names.filter((n) => n === 'APP1')).toHaveLength(1); // the rights XMP (checked tag by tag in the exiftool test)
    }

    // An outside tool agrees: exiftool sees no EXIF, GPS, ICC, IPTC, Photoshop, maker note or comment,
    // and no XMP tag outside the rights allowlist, though the sources carried all of the first kind.
    const source = exiftool([path.join(fixture.dir, vienna.id, fixture.key[0]!.file)])[0]!;
    expect(Object.keys(source)).toEqual(expect.arrayContaining(['GPS:GPSLatitude', 'IFD0:Artist', 'ExifIFD:DateTimeOriginal']));
    const unexpected = exiftool(release.jpegs()).flatMap((tags) => Object.keys(tags).filter((tag) => !RELEASED_TAG.test(tag)));
    expect([...new Set(unexpected)]).toEqual([]);

    // No PHI in any payload of the parent's or the children's histories.
    const client = await connectClient(fixture.loaded);
    const histories = [];
    for (const id of [run.workflowId, ...fixture.loaded.config.centres.map((c) => `${run.workflowId}/ingest-${c.id}`)]) {
      histories.push(historyText(await client.workflow.getHandle(id).fetchHistory()));
    }
    await client.connection.close();
    const text = histories.join('\n');
    const phi = fixture.key.flatMap((k) => [k.file, path.basename(k.file), k.patient_id, k.patient_name, k.birth_date, k.exam_date]).filter((v) => v.length > 3);
    expect(text).toContain(fixture.loaded.config.centres[1]!.id); // the scan does see payload text
    const leaks = phi.filter((value) => text.includes(value));
    expect(leaks).toEqual([]);
    const loggedLeaks = phi.filter((value) => logs.text().includes(value));
    expect(loggedLeaks).toEqual([]);

    // A rebuild of the same inputs gives the same release, byte for byte.
    const manifest = release.manifest();
    const second = await runBuild(fixture.reload(), { embeddedWorker: true });
    expect(second.summary.release.manifestSha256).toBe(summary.release.manifestSha256);
    // ... and a no-change rebuild fetches, decodes and writes nothing again
    expect(second.summary.centres.map((c) => c.retrieve.fetched)).toEqual(second.summary.centres.map(() => 0));
    expect(second.summary.centres.map((c) => [c.retrieve.new, c.retrieve.changed, c.retrieve.deleted])).toEqual(second.summary.centres.map(() => [0, 0, 0]));
    expect(second.summary.release.reused).toBe(true);
    expect(release.manifest()).toBe(manifest);
    expect(fileSha256(path.join(release.dir, 'MILK10k_Training_Metadata.csv'))).toBe(manifest.match(/^(\w+) {2}MILK10k_Training_Metadata\.csv$/m)![1]);
  });
});

describe('the leak scan on a real build', () => {
  it('refuses to publish a release that would carry a patient name, and says where it is', async () => {
    const fixture = await buildFixture('leak', { seed: 11, lesions: 5 });
    const name = fixture.key[0]!.patient_name;
    // A misconfiguration puts a patient's name into every metadata row through release.attribution.
    writeFileSync(fixture.loaded.file, readFileSync(fixture.loaded.file, 'utf8').replace(/attribution: .*/, `attribution: "${name}"`));
    const error = await runBuild(fixture.reload(), { embeddedWorker: true }).then(
      () => undefined,
      (err: Error & { cause?: Error & { cause?: Error } }) => err,
    );
    const message = [error?.message, error?.cause?.message, error?.cause?.cause?.message].join(' | ');
    expect(message).toMatch(/leak scan found \d+ PHI value\(s\)/);
    // it goes into the rights XMP of every image and into every metadata row; the message names places
    expect(message).toMatch(/MILK10k_Training_(Input\/IL_\d{7}\/ISIC_\d{7}\.jpg \(segments byte \d+ \(latin1\)\)|Metadata\.csv \(line \d+ \(latin1\)\)): name/);
    expect(message).not.toContain(name); // the error says where, never what
    expect(existsSync(path.join(fixture.loaded.storageRoot, 'release'))).toBe(false);
    // the name is every case's attribution, not one case's own leak: withholding its owner's case cannot clear the release
    expect(readdirSync(path.join(fixture.loaded.storageRoot, 'private', 'quarantine'))).toHaveLength(1);
  });
});
