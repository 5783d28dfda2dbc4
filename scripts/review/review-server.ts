import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoadedConfig } from '../../schemas/config.ts';
import { ReviewRequest } from '../../schemas/review.ts';
import { qcReportHtml, type QcReportInput } from '../../activities/qc/qc-report.ts';
import { qcReportInput } from '../../activities/qc/report-input.ts';
import { Lake } from '../../activities/storage/lake.ts';
import { openStorage } from '../../activities/storage/open-store.ts';
import { pairSubject, ReviewLog, subjectKey } from '../../activities/storage/review-log.ts';
import type { OpenReview } from '../../schemas/payloads.ts';
import { connectClient, connectionOptions, isTemporalReachable } from '../../worker/connection.ts';
import { reviewRecordedUpdate } from '../../workflows/build-release.ts';
import { buildWorkflowId } from '../build-start.ts';

/**
 * Tells a build waiting for review (`milk build --await-review`) that a decision was recorded, by a
 * Temporal Update carrying the decision's id only (names and notes stay in the private log), and
 * returns what it still waits for; undefined when no build of the dataset waits (it applies the
 * decision next time).
 */
async function notifyAwaitingBuild(loaded: LoadedConfig, decisionId: string): Promise<OpenReview | undefined> {
  if (!(await isTemporalReachable(connectionOptions(loaded)))) return undefined;
  const client = await connectClient(loaded);
  try {
    return await client.workflow.getHandle(buildWorkflowId(loaded)).executeUpdate(reviewRecordedUpdate, { args: [decisionId] });
  } catch {
    return undefined; // no build running, or one that is not waiting for review
  } finally {
    await client.connection.close();
  }
}

export interface ReviewServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024;

/** The subjects the last build put up for review: its QC flags, duplicate-group members and their pairs. */
function reviewableSubjects(input: QcReportInput): Set<string> {
  const keys = new Set(input.flags.map((f) => subjectKey({ kind: 'image', image: f.deidSha256, check: f.check })));
  for (const group of input.duplicates) {
    group.members.forEach((a, i) => {
      keys.add(subjectKey({ kind: 'image', image: a }));
      for (const isicId of input.isicIds.get(a) ?? []) keys.add(subjectKey({ kind: 'image', image: a, isicId }));
      for (const b of group.members.slice(i + 1)) keys.add(subjectKey(pairSubject(a, b)));
    });
  }
  return keys;
}

/**
 * `milk review`: the QC report of the last build as a local page with decision controls. GET /
 * renders it with the decisions as they stand; POST /decisions records one decision of
 * `reviewer` in the private review log (append-only) and answers it as recorded. It listens on
 * the loopback interface only: the page shows thumbnails of unreleased images. A build waiting for
 * review hears of each decision at once.
 */
export async function serveReview(loaded: LoadedConfig, options: { reviewer: string; port: number; host?: string }): Promise<ReviewServer> {
  const reviewer = options.reviewer.trim();
  if (reviewer === '') throw new Error('--reviewer: give the name decisions are recorded under');
  const storage = openStorage(loaded);
  const lake = new Lake(storage.store);
  const log = new ReviewLog(storage.store, storage.layout);
  const thumbnails = new Map<string, Buffer>();
  const load = () => qcReportInput({ ...storage, lake }, loaded.config, thumbnails);
  let reviewable = reviewableSubjects(await load());

  const server: Server = createServer((request, response) => {
    const reply = (status: number, type: string, body: string) => response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    const json = (status: number, body: unknown) => reply(status, 'application/json', JSON.stringify(body));
    void (async () => {
      if (request.method === 'GET' && request.url === '/') {
        const input = await load();
        reviewable = reviewableSubjects(input);
        return reply(200, 'text/html; charset=utf-8', qcReportHtml({ ...input, reviewer }));
      }
      if (request.method === 'POST' && request.url === '/decisions') {
        let body: unknown;
        try {
          body = JSON.parse(await readBody(request));
        } catch (err) {
          return json(400, { error: `the body is not a JSON decision: ${(err as Error).message}` });
        }
        const parsed = ReviewRequest.safeParse(body);
        if (!parsed.success) return json(400, { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'decision'}: ${i.message}`).join('; ') });
        if (!reviewable.has(subjectKey(parsed.data.subject))) return json(404, { error: 'the last build put no such image, flag or pair up for review' });
        const decision = await log.append(parsed.data, reviewer);
        return json(201, { ...decision, awaitingBuild: (await notifyAwaitingBuild(loaded, decision.id)) ?? null });
      }
      json(404, { error: `no ${request.method} ${request.url}: the page is GET /, decisions POST /decisions` });
    })().catch((err: Error) => json(500, { error: err.message }));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > MAX_BODY) throw new Error(`longer than ${MAX_BODY} bytes`);
  }
  return body;
}
