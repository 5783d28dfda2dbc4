import { randomUUID } from 'node:crypto';
import { getText, type BlobStore } from './blob-store.ts';
import type { StorageLayout } from './layout.ts';
import { ReviewDecision, type ReviewRequest, type ReviewSubject } from '../../schemas/review.ts';

/** The key a decision supersedes earlier decisions of: one per flagged image and check, per image, per pair. */
export function subjectKey(subject: ReviewSubject): string {
  return subject.kind === 'image' ? `image:${subject.image}:${subject.check ?? ''}:${subject.isicId ?? ''}` : `pair:${subject.images[0]}:${subject.images[1]}`;
}

/** The pair subject of two images, in the sorted order the schema asks for. */
export function pairSubject(a: string, b: string): ReviewSubject {
  return { kind: 'pair', images: a < b ? [a, b] : [b, a] };
}

/**
 * Curators' decisions, append-only in the private part of storage: `milk review` adds one object
 * per decision (named by time and a random id, so two reviewers never overwrite each other), and
 * every build reads them all at assembly. Nothing is ever changed or removed: a later decision on
 * the same subject supersedes an earlier one, which stays on record for `milk audit`.
 */
export class ReviewLog {
  constructor(
    private readonly store: BlobStore,
    private readonly layout: StorageLayout,
  ) {}

  async append(request: ReviewRequest, reviewer: string, at = new Date()): Promise<ReviewDecision> {
    const decision = ReviewDecision.parse({ id: randomUUID(), at: at.toISOString(), reviewer, ...request });
    await this.store.put(this.layout.reviewDecision(`${decision.at.replace(/[:.]/g, '')}-${decision.id}.json`), `${JSON.stringify(decision)}\n`);
    return decision;
  }

  /** Every decision ever recorded, oldest first. */
  async read(): Promise<ReviewDecision[]> {
    const entries = (await this.store.list(this.layout.reviewDecision(''))).filter((e) => e.key.endsWith('.json'));
    const decisions = await Promise.all(
      entries.map(async (e) => {
        const parsed = ReviewDecision.safeParse(JSON.parse(await getText(this.store, e.key)));
        if (!parsed.success) throw new Error(`${this.store.where(e.key)}: not a review decision (${parsed.error.issues[0]?.message})`);
        return parsed.data;
      }),
    );
    return decisions.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1));
  }
}

/** The decision in effect for each subject: the latest. */
export function decisionsInEffect(decisions: readonly ReviewDecision[]): Map<string, ReviewDecision> {
  const latest = new Map<string, ReviewDecision>();
  for (const d of [...decisions].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))) latest.set(subjectKey(d.subject), d);
  return latest;
}
