import type { ReviewCounts, ReviewDecision } from '../../schemas/review.ts';
import type { QcOutcome } from '../../schemas/qc-checks.ts';
import { groupDuplicates } from '../storage/group-duplicates.ts';
import { decisionsInEffect, pairSubject, subjectKey } from '../storage/review-log.ts';
import type { DuplicateGroup } from './duplicate-groups.ts';

/**
 * Curators' decisions (the latest per subject) as assembly applies them: an image excluded, a QC
 * flag cleared, a duplicate pair split. Images are named by de-identified sha256. Counts what it
 * applied, for the summary and CHANGES.md.
 */
export class ReviewPolicy {
  private readonly latest: Map<string, ReviewDecision>;
  private readonly exclusions = new Map<string, ReviewDecision[]>();
  private readonly excludedImages = new Set<string>();
  private readonly clearedFlags = new Set<string>();
  private pairsSplit = 0;

  constructor(decisions: readonly ReviewDecision[]) {
    this.latest = decisionsInEffect(decisions);
    for (const d of this.latest.values()) if (d.decision === 'exclude' && d.subject.kind === 'image') this.exclusions.set(d.subject.image, [...(this.exclusions.get(d.subject.image) ?? []), d]);
  }

  /**
   * The decision that excludes an image (on any of its flags or as a duplicate member), if one does;
   * `isicId`, the id an earlier build released it under, tells byte-identical copies apart.
   */
  exclusionOf(image: string, isicId: string | undefined): ReviewDecision | undefined {
    const found = this.exclusions.get(image)?.find((d) => d.subject.kind === 'image' && (d.subject.isicId === undefined || d.subject.isicId === isicId));
    if (found) this.excludedImages.add(`${image}:${isicId ?? ''}`);
    return found;
  }

  /** The QC outcome without the checks a curator accepted for this image. */
  clear(outcome: QcOutcome, image: string): QcOutcome {
    const keep = (check: string) => {
      const accepted = this.accepted(image, check);
      if (accepted) this.clearedFlags.add(`${image}:${check}`);
      return !accepted;
    };
    return { exclude: outcome.exclude.filter(keep), warn: outcome.warn.filter(keep) };
  }

  accepted(image: string, check: string): boolean {
    return this.latest.get(subjectKey({ kind: 'image', image, check }))?.decision === 'accept';
  }

  private decisionOnPair(a: string, b: string): ReviewDecision | undefined {
    return this.latest.get(subjectKey(pairSubject(a, b)));
  }

  /**
   * Groups without the pairs a curator split. A group's members are linked by its confirmed pairs;
   * a split pair no longer links them, what stays connected stays a group, an image left alone
   * leaves it. `imageOf` gives a member's de-identified sha256.
   */
  splitGroups(groups: readonly DuplicateGroup[], imageOf: (member: string) => string): DuplicateGroup[] {
    return groups.flatMap((group) => {
      const kept = group.pairs.filter((p) => this.decisionOnPair(imageOf(p.a), imageOf(p.b))?.decision !== 'not-a-duplicate');
      const split = group.pairs.length - kept.length;
      if (split === 0) return [group];
      this.pairsSplit += split;
      // what stays linked by confirmed pairs stays a group
      return groupDuplicates(kept).map((members) => {
        const pairs = kept.filter((p) => members.includes(p.a));
        return { ...group, members, pairs, maxDistance: Math.max(...pairs.map((p) => p.distance)), minScore: Math.min(...pairs.map((p) => p.score)) };
      });
    });
  }

  /** Whether every confirmed pair of a group (de-identified sha256s) has a decision. */
  decided(pairs: readonly { a: string; b: string }[]): boolean {
    return pairs.every((p) => this.decisionOnPair(p.a, p.b) !== undefined);
  }

  counts(flags: readonly { deidSha256: string; check: string }[], crossLesionGroups: readonly (readonly { a: string; b: string }[])[]): ReviewCounts {
    return {
      decisions: this.latest.size,
      excluded: this.excludedImages.size,
      flagsCleared: this.clearedFlags.size,
      pairsSplit: this.pairsSplit,
      openFlags: flags.filter((f) => !this.latest.has(subjectKey({ kind: 'image', image: f.deidSha256, check: f.check })) && !this.exclusions.has(f.deidSha256)).length,
      openGroups: crossLesionGroups.filter((pairs) => !this.decided(pairs)).length,
    };
  }
}
