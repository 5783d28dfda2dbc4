import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleCases } from '../../activities/assemble/assemble-cases.ts';
import { processImages } from '../../activities/deidentify/process-images.ts';
import { qcReportHtml } from '../../activities/qc/qc-report.ts';
import { FolderStore } from '../../activities/storage/folder-store.ts';
import { PublicIds } from '../../activities/storage/public-ids.ts';
import type { Storage } from '../../activities/storage/storage.ts';
import { QcConfig } from '../../schemas/config.ts';
import { QC_CHECKS } from '../../schemas/qc-checks.ts';
import { PrivateRecord, type ProcessedImage, type SourceObject } from '../../schemas/records.ts';
import { drawText } from '../../scripts/synth/drawn-text.ts';
import { folderStorage } from '../helpers/folder-storage.ts';
import { sampleAvailable, sampleImages, sampleSkipReason } from '../helpers/sample.ts';

const CENTRE = 'vienna';
const qc = QcConfig.parse({});
const burnedInText = QC_CHECKS.find((c) => c.name === 'burned-in-text')!;
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

let tmp: string;
let storage: Storage;
/** the sample's first lesion: its clinical image with a name burned in, its dermoscopic image as it is */
let drawn: ProcessedImage;
let clean: ProcessedImage;

function stage(key: string, bytes: Buffer): SourceObject {
  const digest = sha256(bytes);
  const file = storage.store.where(storage.layout.staged(digest));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return { centre: CENTRE, key, size: bytes.length, sha256: digest, etag: 'e', kind: 'image' };
}

const record = (imageKey: string, imageType: PrivateRecord['imageType'], patientName: string, row: number) =>
  PrivateRecord.parse({ centre: CENTRE, metadataKey: 'export.csv', row, imageKey, patientId: 'P-0042', lesionId: 'L-7', patientName, birthDate: '1961-03-12', age: 62, sex: 'female', site: 'trunk', imageType, diagnosis: 'Nevus, Acral', confirmType: 'histopathology' });

/** Assembles the lesion with the patient's name as its records give it. */
async function assemble(patientName: string) {
  const records = [record('img/clinical.jpg', 'clinical: close-up', patientName, 1), record('img/dermoscopic.jpg', 'dermoscopic', patientName, 2)];
  const inventory = [drawn, clean].map((i) => ({ centre: CENTRE, key: i.key, size: i.deidBytes, sha256: i.sourceSha256, etag: 'e', kind: 'image' as const }));
  const ids = await PublicIds.open(new FolderStore(tmp), `ids-${sha256(patientName)}.json`, Buffer.from('a test id key of at least thirty-two characters'));
  return assembleCases({ inventory, records, images: [drawn, clean], excludedImageKeys: new Set(), qc, centres: [], review: [] }, ids);
}

describe.skipIf(!sampleAvailable)(`burned-in text${sampleAvailable ? '' : ` (${sampleSkipReason})`}`, () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'milk-text-'));
    storage = folderStorage(tmp);
    const [clinical, dermoscopic] = sampleImages(2).map((f) => readFileSync(f));
    const withName = await drawText(clinical!, 'Maria Schmidt', { size: 0.06, x: 0.05, y: 0.94, colour: 'white', outline: 'black' });
    const objects = [stage('img/clinical.jpg', withName), stage('img/dermoscopic.jpg', dermoscopic!)];
    const batch = await processImages(objects, storage, { imagesInFlight: 2, threads: 1, timeoutMs: 60_000, location: { kind: 'folder', root: tmp }, formats: ['jpeg'], text: qc.text }, () => {});
    drawn = batch.images.find((i) => i.key === 'img/clinical.jpg')!;
    clean = batch.images.find((i) => i.key === 'img/dermoscopic.jpg')!;
  }, 60_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('flags the image with a drawn name and boxes the name; the real image is not flagged', () => {
    expect(burnedInText.fails(drawn.qc.burnedInText!, burnedInText.threshold)).toBe(true);
    expect(burnedInText.fails(clean.qc.burnedInText!, burnedInText.threshold)).toBe(false);
    // The name was drawn from 5% of the width along the bottom edge: a box there holds it.
    const [left, top, , bottom] = drawn.text!.regions[drawn.text!.texts.findIndex((t) => t.includes('Schmidt'))]!.box;
    expect(left).toBeLessThan(0.1);
    expect(top).toBeGreaterThan(0.8);
    expect(bottom).toBeGreaterThan(0.9);
  });

  it("excludes the case as phi-in-pixels when the name is among the centre's PHI values, and only warns otherwise", async () => {
    const named = await assemble('Schmidt, Maria');
    expect(named.lesions).toEqual([]);
    expect(named.exclusions).toContainEqual(expect.objectContaining({ entity: 'image', key: 'img/clinical.jpg', stage: 'qc', reason: 'phi-in-pixels' }));
    expect(named.exclusions).toContainEqual(expect.objectContaining({ entity: 'lesion', reason: 'unpaired-lesion' }));
    expect(named.flags).toContainEqual(expect.objectContaining({ deidSha256: drawn.deidSha256, check: 'phi-in-pixels', action: 'exclude' }));

    const other = await assemble('Jones, Peter');
    expect(other.lesions).toHaveLength(1);
    expect(other.images.find((i) => i.sha256 === drawn.deidSha256)!.qc_warnings).toBe('burned-in-text');
    expect(other.images.find((i) => i.sha256 === clean.deidSha256)!.qc_warnings).toBe('');
  });

  it('draws the boxes in the QC report, never the text read', async () => {
    const { flags } = await assemble('Schmidt, Maria');
    const html = qcReportHtml({
      title: 'QC',
      checks: QC_CHECKS,
      settings: {},
      images: [drawn, clean].map((i) => ({ deidSha256: i.deidSha256, centre: CENTRE, imageType: 'clinical: close-up', scores: i.qc, textRegions: i.text!.regions })),
      flags,
      duplicates: [],
      thumbnails: new Map(),
      isicIds: new Map(),
    });
    expect(html).toContain('id="check-phi-in-pixels"');
    expect(html).toMatch(/<rect class="text-box"/);
    expect(html).not.toMatch(/schmidt|maria/i);
  });
});
