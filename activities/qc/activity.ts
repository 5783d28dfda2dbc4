import type { QcReportResult } from '../../schemas/payloads.ts';
import type { ActivityDeps } from '../deps.ts';
import { qcReportHtml } from './qc-report.ts';
import { qcReportInput } from './report-input.ts';

export function qcActivities(deps: ActivityDeps) {
  return {
    /** Writes the build's QC report (HTML, self-contained) next to the release: reports/qc-report.html. */
    async writeQcReport(): Promise<QcReportResult> {
      const input = await qcReportInput(deps, deps.config);
      const key = deps.layout.report('qc-report.html');
      await deps.store.put(key, qcReportHtml(input));
      return { path: deps.store.where(key), flaggedImages: new Set(input.flags.map((f) => f.deidSha256)).size, duplicateGroups: input.duplicates.length };
    },
  };
}
