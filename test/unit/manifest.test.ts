import { stripJpeg } from '../../activities/storage/jpeg/strip-jpeg.ts';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST, manifestEntries, manifestOf } from '../../activities/release/manifest.ts';
import { keptRelease, markBuilt, releaseInputHash, scanStaged, stageRelease, swapRelease, writeDeidentificationReport, writeManifest } from '../../activities/release/write-release.ts';
import type { Storage } from '../../activities/storage/storage.ts';
import { folderStorage } from '../helpers/folder-storage.ts';
import { fixture, type Fixture } from '../helpers/release-fixture.ts';

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const hasSha256sum = spawnSync('sha256sum', ['--version']).status === 0;

/** Every regular file under `dir`, relative, with '/' separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

function sha256sumCheck(dir: string) {
  return spawnSync('sha256sum', ['--check', '--strict', MANIFEST], { cwd: dir, encoding: 'utf8' });
}

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'milk-manifest-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('manifestOf', () => {
  function populate(dir: string) {
    const files: Record<string, string> = {
      'MILK10k_Training_Metadata.csv': 'lesion_id\n',
      'MILK10k_Training_GroundTruth.csv': 'lesion_id,AKIEC\n',
      'tables/lesions.parquet': 'PAR1...',
      'MILK10k_Training_Input/IL_0000002/ISIC_0000004.jpg': 'jpeg b',
      'MILK10k_Training_Input/IL_0000001/ISIC_0000001.jpg': 'jpeg a',
      'MILK10k_Training_Input/IL_0000001/ISIC_0000002.jpg': 'jpeg a2',
      'a file with spaces.txt': 'spaces',
      // outside the manifest
      'milk10k.duckdb': 'changes between identical builds',
      'milk10k.duckdb.wal': 'write-ahead log',
      [MANIFEST]: 'an old manifest',
    };
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), content);
    }
    return files;
  }

  it('lists every file but the manifest and the DuckDB index, sorted, as sha256sum lines', async () => {
    const files = populate(tmp);
    const manifest = await manifestOf(tmp);
    expect(manifest.endsWith('\n')).toBe(true);
    const lines = manifest.trimEnd().split('\n');
    const listed = lines.map((l) => l.slice(66));
    const expected = Object.keys(files)
      .filter((f) => ![MANIFEST, 'milk10k.duckdb', 'milk10k.duckdb.wal'].includes(f))
      .sort();
    expect(listed).toEqual(expected);
    for (const line of lines) {
      expect(line).toMatch(/^[0-9a-f]{64} {2}\S/);
      expect(line.slice(0, 64)).toBe(sha256(files[line.slice(66)]!));
    }
  });

  it.skipIf(!hasSha256sum)('verifies with sha256sum -c, and stops verifying once a file changes', async () => {
    populate(tmp);
    writeFileSync(path.join(tmp, MANIFEST), await manifestOf(tmp));
    const ok = sha256sumCheck(tmp);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout.trimEnd().split('\n')).toHaveLength(7);

    appendFileSync(path.join(tmp, 'MILK10k_Training_Input/IL_0000001/ISIC_0000002.jpg'), 'tampered');
    const bad = sha256sumCheck(tmp);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain('MILK10k_Training_Input/IL_0000001/ISIC_0000002.jpg: FAILED');
  });

  it('depends on file names and contents only, not on the DuckDB index or where the folder is', async () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'elsewhere', 'b');
    populate(a);
    populate(b);
    writeFileSync(path.join(b, 'milk10k.duckdb'), 'a different storage header');
    expect(await manifestOf(b)).toBe(await manifestOf(a));
    writeFileSync(path.join(b, 'tables/lesions.parquet'), 'PAR1!!!');
    expect(await manifestOf(b)).not.toBe(await manifestOf(a));
  });
});

describe('the release steps', () => {
  /** Stores one small de-identified JPEG per image, and points the image rows at it. */
  async function withImages(storage: Storage, content: Fixture): Promise<Fixture> {
    const images = [];
    for (const [n, image] of content.images.entries()) {
      const jpeg = await sharp({ create: { width: 40 + n, height: 30, channels: 3, background: { r: 20 * n, g: 100, b: 150 } } })
        .jpeg()
        .toBuffer();
      const digest = sha256(jpeg);
      await storage.store.put(storage.layout.deidImage(digest), jpeg);
      images.push({ ...image, sha256: digest, width: 40 + n, height: 30 });
    }
    return { ...content, images };
  }

  /** The steps in the release activity's order, without its documents; `commit` runs where it records the version. */
  async function writeRelease(content: Fixture, storage: Storage, commit: (manifest: string) => Promise<void> = async () => {}) {
    const inputHash = releaseInputHash(content, [], undefined);
    const kept = await keptRelease(storage, inputHash);
    const where = storage.store.where(storage.layout.release);
    if (kept) return { path: where, manifestSha256: kept.manifestSha256, reused: true };
    const staged = await stageRelease(storage, content);
    const scan = await scanStaged(staged, []);
    await writeDeidentificationReport(staged, {});
    const manifest = await writeManifest(staged, await manifestEntries(staged.dir));
    await swapRelease(storage, staged);
    await commit(manifest);
    await markBuilt(storage, { inputHash, manifestSha256: sha256(manifest), scan });
    return { path: where, manifestSha256: sha256(manifest), reused: false };
  }

  it.skipIf(!hasSha256sum)('writes the official layout and a manifest that sha256sum -c verifies', async () => {
    const storage = folderStorage(path.join(tmp, 'data'));
    const content = await withImages(storage, fixture());
    const written = await writeRelease(content, storage);

    expect(written.path).toBe(path.join(tmp, 'data', 'release'));
    const files = filesUnder(written.path).sort();
    for (const image of content.images) {
      const folder = content.benchmark.has(image.lesion_id) ? 'MILK10k_Test_Input' : 'MILK10k_Training_Input';
      expect(files).toContain(`${folder}/${image.lesion_id}/${image.isic_id}.jpg`);
    }
    for (const name of ['MILK10k_Training_Metadata.csv', 'MILK10k_Training_GroundTruth.csv', 'MILK10k_Training_Supplement.csv', 'MILK10k_Test_Metadata.csv', 'tables/lesions.parquet', 'tables/benchmark_lesions.parquet', 'tables/images.parquet', 'tables/exclusions.parquet', 'milk10k.duckdb', MANIFEST]) {
      expect(files).toContain(name);
    }
    // the benchmark's labels are written under private/ only
    const heldOut = [...content.benchmark];
    expect(readFileSync(path.join(written.path, 'MILK10k_Test_Metadata.csv'), 'utf8')).toContain(heldOut[0]);
    for (const name of ['MILK10k_Training_GroundTruth.csv', 'MILK10k_Training_Supplement.csv']) {
      expect(readFileSync(path.join(written.path, name), 'utf8')).not.toContain(heldOut[0]);
    }
    const truth = readFileSync(storage.store.where(storage.layout.benchmarkTruth('MILK10k_Test_GroundTruth.csv')), 'utf8');
    expect(truth.trimEnd().split('\n').slice(1).map((l) => l.split(',')[0])).toEqual(heldOut);
    // the released JPEG is the de-identified file plus the rights XMP, nothing else
    const one = content.images.find((i) => !content.benchmark.has(i.lesion_id))!;
    const released = readFileSync(path.join(written.path, 'MILK10k_Training_Input', one.lesion_id, `${one.isic_id}.jpg`));
    expect(sha256(stripJpeg(released).jpeg)).toBe(one.sha256);
    expect(stripJpeg(released).removed).toEqual(['APP1:http://ns.adobe.com/xap/1.0/']);
    expect(released.toString('latin1')).toContain(one.isic_id);

    const manifest = readFileSync(path.join(written.path, MANIFEST), 'utf8');
    expect(written.manifestSha256).toBe(sha256(manifest));
    expect(manifest.trimEnd().split('\n').map((l) => l.slice(66))).toEqual(files.filter((f) => f !== MANIFEST && !f.startsWith('milk10k.duckdb')));
    const check = sha256sumCheck(written.path);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it('commits a release again when the previous attempt stopped between putting it in place and committing it', async () => {
    const storage = folderStorage(path.join(tmp, 'data'));
    const content = await withImages(storage, fixture());
    const commits: string[] = [];
    const crash = writeRelease(content, storage, async () => { throw new Error('worker killed'); });
    await expect(crash).rejects.toThrow('worker killed');
    // The release is in place, but not marked as built: the retry writes it again and commits it.
    const retry = await writeRelease(content, storage, async (manifest) => void commits.push(manifest));
    expect(retry.reused).toBe(false);
    expect(commits).toEqual([readFileSync(path.join(retry.path, MANIFEST), 'utf8')]);
    const again = await writeRelease(content, storage, async (manifest) => void commits.push(manifest));
    expect(again.reused).toBe(true);
    expect(commits).toHaveLength(1);
  });

  it('gives the same manifest when the same content is written again, and replaces the previous release whole', async () => {
    const storage = folderStorage(path.join(tmp, 'data'));
    const content = await withImages(storage, fixture());
    const first = await writeRelease(content, storage);
    writeFileSync(path.join(first.path, 'stale.txt'), 'left over from an older build');

    const second = await writeRelease(content, storage);
    expect(second.manifestSha256).toBe(first.manifestSha256);
    expect(second.reused).toBe(false); // the folder no longer matched its manifest
    expect(existsSync(path.join(second.path, 'stale.txt'))).toBe(false);
    const third = await writeRelease(content, storage);
    expect(third.reused).toBe(true); // untouched and built from the same inputs: kept as it is
    // no staging or previous folders are left beside the release
    expect(readdirSync(path.join(tmp, 'data')).filter((d) => d.startsWith('release'))).toEqual(['release']);
  });
});
