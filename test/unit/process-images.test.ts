import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processImages } from '../../activities/deidentify/process-images.ts';
import { metadataSegments } from '../../activities/storage/jpeg/jpeg-segments.ts';
import type { Storage } from '../../activities/storage/storage.ts';
import { folderStorage } from '../helpers/folder-storage.ts';
import { flatGreyJpeg } from '../helpers/hostile-jpeg.ts';
import { ProcessedImage, type SourceObject } from '../../schemas/records.ts';
import { TextConfig } from '../../schemas/config.ts';

/** De-identification is under test here, not text detection (test/unit/burned-in-text.test.ts). */
const NO_TEXT = TextConfig.parse({ enabled: false });

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let tmp: string;
let storage: Storage;
const file = (key: string) => storage.store.where(key);
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'milk-process-'));
  storage = folderStorage(tmp);
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** Stages `bytes` the way retrieve does (content-addressed) and returns its inventory row. */
function stage(key: string, bytes: Buffer): SourceObject {
  const digest = sha256(bytes);
  mkdirSync(path.dirname(file(storage.layout.staged(digest))), { recursive: true });
  writeFileSync(file(storage.layout.staged(digest)), bytes);
  return { centre: 'vienna', key, size: bytes.length, sha256: digest, etag: 'e', kind: 'image' };
}

const jpeg = (colour: string, orientation = 1) =>
  sharp({ create: { width: 320, height: 240, channels: 3, background: colour } })
    .withExif({ IFD0: { Artist: 'Dr Jane Smith' } })
    .withMetadata({ orientation })
    .jpeg()
    .toBuffer();

describe('processImages', () => {
  it('de-identifies and measures every decodable image, and excludes the rest as undecodable-image or unsupported-format', async () => {
    const objects = [
      stage('bilder/a.jpg', await jpeg('#a06040', 6)),
      stage('bilder/broken.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(2048)])),
      stage('bilder/drawn.jpg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><text>Jane Smith</text></svg>')),
      stage('bilder/c.png', await sharp({ create: { width: 300, height: 200, channels: 3, background: '#406080' } }).png().toBuffer()),
    ];
    let done = 0;
    const batch = await processImages(objects, storage, { imagesInFlight: 2, threads: 2, timeoutMs: 60_000, location: { kind: 'folder', root: tmp }, formats: ['jpeg', 'png', 'tiff'], text: NO_TEXT }, () => done++);

    expect(done).toBe(4);
    expect(batch.images.map((i) => i.key).sort()).toEqual(['bilder/a.jpg', 'bilder/c.png']);
    expect(batch.exclusions).toEqual([
      expect.objectContaining({ centre: 'vienna', stage: 'deidentify', entity: 'image', reason: 'undecodable-image', key: 'bilder/broken.jpg', sha256: objects[1]!.sha256 }),
      expect.objectContaining({ reason: 'unsupported-format', key: 'bilder/drawn.jpg', detail: expect.stringContaining('content is svg') }),
    ]);

    for (const image of batch.images) {
      expect(ProcessedImage.parse(image)).toEqual(image);
      const source = objects.find((o) => o.key === image.key)!;
      expect(image.sourceSha256).toBe(source.sha256);
      // the de-identified JPEG is stored content-addressed, outside private/
      const written = readFileSync(file(storage.layout.deidImage(image.deidSha256)));
      expect(sha256(written)).toBe(image.deidSha256);
      expect(written.length).toBe(image.deidBytes);
      expect(storage.layout.deidImage(image.deidSha256).startsWith('private/')).toBe(false);
      expect(metadataSegments(written)).toEqual([]);
    }
    const a = batch.images.find((i) => i.key === 'bilder/a.jpg')!;
    expect(a.orientation).toBe(6);
    expect(a.removedSegments).toContain('APP1:Exif');
    expect([a.qc.width, a.qc.height]).toEqual([240, 320]); // measured upright
  });

  it('excludes an image whose processing throws (decoder-crash) or overruns the time limit twice (decoder-timeout); the batch goes on', async () => {
    // 16000 × 3 px: every header check passes, then the QC thumbnail (128 × 1) is too small to measure.
    const objects = [stage('strip.jpg', flatGreyJpeg(16000, 3)), stage('fine.jpg', await jpeg('#806040'))];
    const location = { kind: 'folder', root: tmp } as const;
    const batch = await processImages(objects, storage, { imagesInFlight: 2, threads: 1, timeoutMs: 60_000, location, formats: ['jpeg'], text: NO_TEXT }, () => {});
    expect(batch.images.map((i) => i.key)).toEqual(['fine.jpg']);
    expect(batch.exclusions).toEqual([expect.objectContaining({ reason: 'decoder-crash', key: 'strip.jpg', detail: expect.stringContaining('too small') })]);

    // A limit no decode meets: each image is stopped, run again alone, stopped again, and excluded; nothing throws.
    const slow = [stage('slow.jpg', await jpeg('#204060'))];
    const late = await processImages(slow, storage, { imagesInFlight: 1, threads: 1, timeoutMs: 1, location, formats: ['jpeg'], text: NO_TEXT }, () => {});
    expect(late.exclusions).toEqual([expect.objectContaining({ reason: 'decoder-timeout', key: 'slow.jpg', detail: expect.stringContaining('twice') })]);
  });

  it('gives the same result when a batch is retried, from its cache', async () => {
    const objects = [stage('x.jpg', await jpeg('#806040')), stage('y.jpg', await jpeg('#204060', 8))];
    const location = { kind: 'folder', root: tmp } as const;
    const first = await processImages(objects, storage, { imagesInFlight: 2, threads: 2, timeoutMs: 60_000, location, formats: ['jpeg', 'png', 'tiff'], text: NO_TEXT }, () => {});
    const again = await processImages(objects, storage, { imagesInFlight: 1, threads: 1, timeoutMs: 60_000, location, formats: ['jpeg', 'png', 'tiff'], text: NO_TEXT }, () => {});
    expect({ images: again.images, exclusions: again.exclusions }).toEqual({ images: first.images, exclusions: first.exclusions });
    expect(first.computed).toHaveLength(2);
    expect(again.computed).toEqual([]); // nothing decoded again
  });
});
