import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Browser } from 'puppeteer-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuild, type BuildRun } from '../../scripts/run-build.ts';
import { formatSummary } from '../../scripts/cli/summary.ts';
import { serveReview, type ReviewServer } from '../../scripts/review/review-server.ts';
import { buildFixture, type BuildFixture } from '../helpers/build-fixture.ts';
import { CHROMIUM, CHROMIUM_MISSING, launchBrowser, renderedDom, screenshot } from '../helpers/chromium.ts';
import { milk } from '../helpers/milk-cli.ts';
import { BuiltRelease } from '../helpers/release-reader.ts';
import { buildWorkflowId } from '../../scripts/build-start.ts';
import { progressQuery } from '../../workflows/build-release.ts';
import { connectClient } from '../../worker/connection.ts';

const REVIEWER = 'Dr Test Curator';

async function imagesTable(release: BuiltRelease): Promise<{ isic_id: string; sha256: string; duplicate_group: number | null }[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const rows = (await connection.runAndReadAll(`SELECT isic_id, sha256, duplicate_group FROM read_parquet('${path.join(release.dir, 'tables', 'images.parquet')}')`)).getRowObjects();
    return rows.map((r) => ({ isic_id: String(r.isic_id), sha256: String(r.sha256), duplicate_group: r.duplicate_group === null ? null : Number(r.duplicate_group) }));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * The curator's loop end to end: a build flags a too-small image and finds two exact duplicates
 * across lesions; a curator, in headless Chromium on the `milk review` page, accepts the flag,
 * splits one duplicate pair and excludes a member of the other; the next build applies all three,
 * and the release, `milk audit`, the summary and CHANGES.md show it.
 */
describe.skipIf(!CHROMIUM)(`review loop: milk review decisions applied by the next build${CHROMIUM_MISSING}`, () => {
  let fixture: BuildFixture;
  let first: BuildRun;
  let second: BuildRun;
  let server: ReviewServer;
  let browser: Browser;
  const picked = { accepted: '', split: [] as string[], excluded: '', note: 'same lesion photographed twice; keep the first' };
  let pageImages = { total: 0, loaded: 0 };
  let firstImages: Awaited<ReturnType<typeof imagesTable>>;
  let firstReport: string;

  beforeAll(async () => {
    fixture = await buildFixture('review', { seed: 21, lesions: 12 });
    const file = (i: number) => path.join(fixture.dir, fixture.key[i]!.centre, fixture.key[i]!.file);
    const lesions = [...new Set(fixture.key.map((k) => k.source_lesion_id))];
    const dermoscopic = (lesion: string) => fixture.key.findIndex((k) => k.source_lesion_id === lesion && k.image_type === 'dermoscopic');
    // lesion 0's clinical image too small; lesions 2-3 and 4-5 each share a dermoscopic image (exact copies)
    const small = fixture.key.findIndex((k) => k.source_lesion_id === lesions[0] && k.image_type === 'clinical: close-up');
    writeFileSync(file(small), await sharp(readFileSync(file(small))).resize(120, 90).jpeg({ quality: 90 }).toBuffer());
    for (const [from, to] of [[2, 3], [4, 5]] as const) writeFileSync(file(dermoscopic(lesions[to]!)), readFileSync(file(dermoscopic(lesions[from]!))));
    first = await runBuild(fixture.reload(), { embeddedWorker: true });
    firstImages = await imagesTable(new BuiltRelease(fixture.loaded.storageRoot));
    firstReport = path.join(fixture.dir, 'qc-report-first.html');
    copyFileSync(first.summary.qcReport.path, firstReport);

    server = await serveReview(fixture.reload(), { reviewer: REVIEWER, port: 0 });
    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(server.url, { waitUntil: 'load' });
    pageImages = await page.evaluate(() => {
      const images = [...document.querySelectorAll('img')];
      return { total: images.length, loaded: images.filter((i) => i.complete && i.naturalWidth > 0).length };
    });
    const decide = async (block: string, decision: string, note = '') => {
      if (note) await page.type(`${block} input.note`, note);
      await page.click(`${block} button[data-decision="${decision}"]`);
      await page.waitForSelector(`${block}[data-decision="${decision}"]`, { timeout: 10_000 });
    };
    picked.accepted = await page.$eval('#check-too-small .tile', (t) => (t as HTMLElement).dataset.sha!);
    await decide('#check-too-small .tile .review', 'accept', 'small but sharp and usable');
    // a too-small image is also far from the build's typical size: its odd-size warning is accepted too
    await decide(`#check-odd-size .tile[data-sha="${picked.accepted}"] .review`, 'accept', 'small on purpose');
    const exact = await page.$$eval('.group.cross', (groups) => groups.filter((g) => g.querySelector('h4')!.textContent!.includes('exact')).map((g) => g.id));
    expect(exact).toHaveLength(2);
    picked.split = await page.$$eval(`#${exact[0]} .tiles .tile`, (tiles) => tiles.map((t) => (t as HTMLElement).dataset.isicId!));
    await decide(`#${exact[0]} table.pairs tbody tr:first-child .review`, 'not-a-duplicate', 'different lesions');
    picked.excluded = await page.$eval(`#${exact[1]} .tiles .tile`, (t) => (t as HTMLElement).dataset.isicId!);
    await decide(`#${exact[1]} .tiles .tile:first-child .review`, 'exclude', picked.note);

    second = await runBuild(fixture.reload(), { embeddedWorker: true });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows every thumbnail of the review page loaded', () => {
    expect(pageImages.total).toBeGreaterThanOrEqual(5);
    expect(pageImages.loaded).toBe(pageImages.total);
  });

  it('records each decision privately with who, when and why, one object per decision', () => {
    const dir = path.join(fixture.loaded.storageRoot, 'private', 'review', 'decisions');
    const decisions = readdirSync(dir).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
    expect(decisions.map((d) => d.decision).sort()).toEqual(['accept', 'accept', 'exclude', 'not-a-duplicate']);
    for (const d of decisions) {
      expect(d.reviewer).toBe(REVIEWER);
      expect(Date.parse(d.at)).toBeGreaterThan(Date.now() - 3_600_000);
    }
    expect(decisions.find((d) => d.decision === 'exclude').note).toBe(picked.note);
  });

  it('applies them at assembly: the excluded image is gone, the accepted one released, the split pair no longer a group', async () => {
    expect(firstImages.map((i) => i.isic_id)).toContain(picked.excluded);
    for (const id of picked.split) expect(firstImages.find((i) => i.isic_id === id)?.duplicate_group).not.toBeNull();
    const images = await imagesTable(new BuiltRelease(fixture.loaded.storageRoot));
    expect(images.map((i) => i.isic_id)).not.toContain(picked.excluded);
    // the accepted image has an ISIC id now: the next report labels its tile with it, and the release holds it
    const acceptedId = new RegExp(`data-sha="${picked.accepted}" data-isic-id="(ISIC_\\d{7})"`).exec(await renderedDom(second.summary.qcReport.path))?.[1];
    expect(acceptedId).toBeDefined();
    expect(images.map((i) => i.isic_id)).toContain(acceptedId);
    for (const id of picked.split) expect(images.find((i) => i.isic_id === id)?.duplicate_group).toBeNull();
    const exclusions = new BuiltRelease(fixture.loaded.storageRoot).exclusions();
    expect(exclusions.filter((e) => e.reason === 'curator-excluded')).toHaveLength(1);
    expect(exclusions.filter((e) => e.reason === 'too-small')).toHaveLength(0);
  });

  it('counts them in the build summary and in CHANGES.md', () => {
    expect(first.summary.assemble.review).toMatchObject({ decisions: 0, openFlags: 2, openGroups: 2 });
    expect(second.summary.assemble.review).toMatchObject({ decisions: 4, excluded: 1, flagsCleared: 2, pairsSplit: 1, openFlags: 0, openGroups: 0 });
    expect(second.summary.release.exclusionsByReason['image:curator-excluded']).toBe(1);
    expect(formatSummary(second, fixture.loaded)).toMatch(/curator review\s+4\s+decisions applied: 1 excluded \(curator-excluded\), 2 flags cleared, 1 pairs split; open: 0 flags, 0 groups/);
    const changes = readFileSync(path.join(new BuiltRelease(fixture.loaded.storageRoot).dir, 'CHANGES.md'), 'utf8');
    expect(changes).toContain('## Curator review');
    expect(changes).toContain('4 curator decision(s) in effect: 1 image(s) excluded (curator-excluded), 2 QC flag(s) cleared, 1 duplicate pair(s) split');
    expect(changes).toMatch(/\| lesion \| removed \| excluded-by-curator \| 1 \|/);
    expect(changes).not.toContain(REVIEWER);
  });

  it('shows the decision and its effect in milk audit', async () => {
    const audit = await milk(['audit', picked.excluded, '--config', fixture.loaded.file]);
    expect(audit.stderr).toBe('');
    expect(audit.status).toBe(0);
    expect(audit.stdout).toContain(`review     exclude (image) by ${REVIEWER}`);
    expect(audit.stdout).toContain(picked.note);
    expect(audit.stdout).toMatch(/excluded\s+assemble: curator-excluded/);
  });

  it('renders the QC report in Chromium as a screenshot, every image loaded, every histogram with its axes and threshold', async () => {
    const report = firstReport;
    const dom = await renderedDom(report);
    const total = Number(/data-images="(\d+)"/.exec(dom)?.[1]);
    expect(total).toBeGreaterThanOrEqual(5);
    expect(Number(/data-images-loaded="(\d+)"/.exec(dom)?.[1])).toBe(total);
    expect(dom.match(/<svg class="histogram"/g)?.length).toBeGreaterThanOrEqual(8);
    expect(dom).toContain('threshold 150 (exclude)');
    expect(dom).toContain('blurry score (luma levels²)');

    const png = path.join(fixture.dir, 'qc-report.png');
    await screenshot(report, png);
    expect(existsSync(png)).toBe(true);
    const { width, height } = await sharp(png).metadata();
    expect([width, height]).toEqual([1400, 3000]);
    // the page is not blank: the screenshot has more than one colour
    const { channels } = await sharp(png).stats();
    expect(channels[0]!.min).toBeLessThan(channels[0]!.max);
  });

  it("shows in the next build's QC report what was decided and when, but not who or why", async () => {
    const dom = await renderedDom(second.summary.qcReport.path);
    expect(dom).toContain('accept (curator decision, ');
    expect(dom).not.toContain(REVIEWER);
    expect(dom).not.toContain('small but sharp');
  });
});

/** `milk build --await-review`: the build pauses after QC, hears of each decision by a Temporal Update, and goes on by itself once nothing is open. */
describe('milk build --await-review', () => {
  let fixture: BuildFixture;
  let run: BuildRun;
  let answer: { awaitingBuild: { openFlags: number; openGroups: number } | null };
  let server: ReviewServer | undefined;

  beforeAll(async () => {
    fixture = await buildFixture('await-review', { seed: 22, lesions: 6 });
    const small = fixture.key.findIndex((k) => k.image_type === 'clinical: close-up');
    const file = path.join(fixture.dir, fixture.key[small]!.centre, fixture.key[small]!.file);
    writeFileSync(file, await sharp(readFileSync(file)).resize(120, 90).jpeg({ quality: 90 }).toBuffer());
    const building = runBuild(fixture.reload(), { embeddedWorker: true, awaitReview: true });
    const client = await connectClient(fixture.loaded);
    try {
      const handle = client.workflow.getHandle(buildWorkflowId(fixture.loaded));
      for (let stage = '', waited = 0; stage !== 'awaiting-review'; waited += 1000) {
        if (waited > 300_000 || stage === 'done') throw new Error(`the build never awaited review (stage ${stage})`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        stage = await handle.query(progressQuery).then((p) => p.stage, () => '');
      }
    } finally {
      await client.connection.close();
    }
    server = await serveReview(fixture.reload(), { reviewer: REVIEWER, port: 0 });
    const page = await (await fetch(server.url)).text();
    const image = /id="check-too-small">[^]*?data-sha="([0-9a-f]{64})"/.exec(page)![1]!;
    // the image is too small and, so, far from the typical size: both flags are open until accepted
    for (const check of ['too-small', 'odd-size']) {
      const response = await fetch(new URL('decisions', server.url), { method: 'POST', body: JSON.stringify({ subject: { kind: 'image', image, check }, decision: 'accept', note: 'usable' }) });
      expect(response.status).toBe(201);
      answer = await response.json();
    }
    run = await building;
  }, 420_000);

  afterAll(async () => {
    await server?.close();
  });

  it('goes on by itself once the decision resolved the last open flag, and applies it', () => {
    expect(answer.awaitingBuild).toEqual({ openFlags: 0, openGroups: 0 });
    expect(run.summary.timings.map((t) => t.stage)).toContain('awaiting-review');
    expect(run.summary.assemble.review).toMatchObject({ flagsCleared: 2, openFlags: 0 });
    expect(run.summary.release.exclusionsByReason['image:too-small']).toBeUndefined();
  });
});
