import type { LoadedConfig } from '../../schemas/config.ts';
import type { BuildRun } from '../run-build.ts';
import type { ReviewCounts } from '../../schemas/review.ts';

/** The Temporal UI page of one workflow run. */
export function workflowUiLink(loaded: LoadedConfig, workflowId: string, runId: string): string {
  const { uiAddress, namespace } = loaded.config.temporal;
  return `${uiAddress}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

/** The human summary of a build: cases and images per stage, exclusions by reason, where things are. */
export function formatSummary(run: BuildRun, loaded: LoadedConfig): string {
  const { summary } = run;
  const sum = (pick: (c: BuildRun['summary']['centres'][number]) => number) => summary.centres.reduce((n, c) => n + pick(c), 0);
  const lines = [
    `Build ${run.workflowId} finished in ${(run.wallMs / 1000).toFixed(1)} s`,
    '',
    'Stage                         images  records/lesions',
    `retrieve (objects staged)     ${pad(sum((c) => c.retrieve.images))}  ${sum((c) => c.retrieve.objects)} objects`,
    `parse (rows harmonised)       ${pad(0, '')}  ${sum((c) => c.parse.records)} of ${sum((c) => c.parse.rows)} rows${sum((c) => c.parse.unknownColumns) ? `; ${sum((c) => c.parse.unknownColumns)} unmapped column(s), see private/lake/notes` : ''}`,
    `de-identify + QC measure      ${pad(sum((c) => c.images.processed))}`,
    `assemble (paired, QC passed)  ${pad(summary.assemble.images)}  ${summary.assemble.lesions} lesions`,
    `  QC warnings                 ${pad(summary.assemble.warned)}`,
    `  duplicate groups            ${pad(summary.assemble.duplicateGroups)}  ${summary.assemble.crossLesionDuplicateGroups} across lesions (review)`,
    ...(summary.assemble.review ? [reviewLine(summary.assemble.review)] : []),
    `benchmark split (frozen)      ${pad(0, '')}  ${summary.split.benchmark} benchmark / ${summary.split.train} train lesions; new ${summary.split.newlyAssigned.benchmark} / ${summary.split.newlyAssigned.train}; gone ${summary.split.removed.benchmark} / ${summary.split.removed.train}; ${summary.split.conflicts} conflicts; max share difference ${summary.split.maxDifferencePp.toFixed(1)} pp`,
    `concepts scored               ${pad(summary.concepts.images)}`,
    `released                      ${pad(summary.release.images)}  ${summary.release.lesions} lesions`,
    '',
    'Per centre: objects seen / new / changed / unchanged / deleted / failed; images retrieved -> processed',
    ...summary.centres.map(
      (c) =>
        `  ${c.centre.padEnd(12)} ${[c.retrieve.objects, c.retrieve.new, c.retrieve.changed, c.retrieve.unchanged, c.retrieve.deleted, c.retrieve.failed].join(' / ')}; ${c.retrieve.images} -> ${c.images.processed}`,
    ),
    '',
    'Exclusions by reason:',
    ...(Object.keys(summary.release.exclusionsByReason).length === 0
      ? ['  none']
      : Object.entries(summary.release.exclusionsByReason)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([reason, n]) => `  ${reason.padEnd(44)} ${n}`)),
    '',
    `Release:        ${summary.release.path}`,
    `Version:        ${summary.release.version}${summary.release.newVersion ? ` (new; previous ${summary.release.previousVersion ?? 'none'}; see CHANGES.md)` : ' (no change since that version: no new version)'}, content hash ${summary.release.contentHash}`,
    `Manifest:       sha256 ${summary.release.manifestSha256}`,
    `Leak scan:      ${summary.release.leakScan.hits} PHI hits in ${summary.release.leakScan.filesScanned} files (${summary.release.leakScan.phiValuesSearched} values searched), ${summary.release.leakScan.patternWarnings} pattern warnings`,
    `QC report:      ${summary.qcReport.path}`,
    `Concept model:  ${summary.release.conceptModel}`,
    `Stage timings:  ${summary.timings.map((t) => `${t.stage} ${(t.ms / 1000).toFixed(1)} s`).join(', ')}`,
    `Workflow:       ${run.workflowId} (run ${run.runId})`,
    `Temporal UI:    ${workflowUiLink(loaded, run.workflowId, run.runId)}`,
  ];
  return lines.join('\n');
}

/** What the curators' decisions did in this build, and what still waits for `milk review`. */
function reviewLine(review: ReviewCounts): string {
  return `  curator review              ${pad(review.decisions)}  decisions applied: ${review.excluded} excluded (curator-excluded), ${review.flagsCleared} flags cleared, ${review.pairsSplit} pairs split; open: ${review.openFlags} flags, ${review.openGroups} groups (milk review)`;
}

function pad(n: number, fallback?: string): string {
  return (fallback ?? String(n)).padStart(6);
}
