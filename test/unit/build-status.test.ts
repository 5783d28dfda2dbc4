import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { failureMessage, formatStatus, statusJson } from '../../scripts/progress/build-status.ts';
import { repoConfig } from '../helpers/config.ts';

describe('milk status text', () => {
  const loaded = repoConfig();
  const ids = { dataset: 'milk10k', workflowId: 'build-milk10k', runId: 'run-1', startTime: '2026-01-05T10:00:00.000Z' };
  const link = `Temporal UI: ${loaded.config.temporal.uiAddress}/namespaces/default/workflows/build-milk10k/run-1/history`;

  it('says when nothing ever ran, what a running build is doing, and why the last build failed', () => {
    expect(formatStatus({ state: 'none', dataset: 'milk10k', workflowId: 'build-milk10k' }, loaded)).toBe(
      `No build of milk10k has run on Temporal at ${loaded.config.temporal.address} (workflow build-milk10k).`,
    );
    expect(formatStatus({ state: 'running', ...ids, line: '[ingest] centres 2/5, 40/160 images (25%)' }, loaded, Date.parse(ids.startTime) + 75_000)).toBe(
      `Build build-milk10k (run run-1) running since 2026-01-05T10:00:00.000Z (1 min 15 s): [ingest] centres 2/5, 40/160 images (25%)\n${link}`,
    );
    expect(formatStatus({ state: 'failed', ...ids, closeTime: '2026-01-05T10:02:00.000Z', failure: 'writeRelease (activity): leak scan found 3 PHI value(s)' }, loaded)).toBe(
      `Last build build-milk10k (run run-1) failed at 2026-01-05T10:02:00.000Z, 2 min after it started: writeRelease (activity): leak scan found 3 PHI value(s)\n${link}`,
    );
    expect(statusJson({ state: 'none', dataset: 'milk10k', workflowId: 'build-milk10k' }, loaded)).toEqual({ state: 'none', dataset: 'milk10k', workflowId: 'build-milk10k' });
    expect(statusJson({ state: 'running', ...ids, line: '[plan]' }, loaded)).toMatchObject({ state: 'running', uiLink: link.replace('Temporal UI: ', '') });
  });

  it('names where a build failed and its innermost reason, on one line', () => {
    const reason = ApplicationFailure.create({ message: 'storage full\nENOSPC: no space left on device' });
    const activity = new ActivityFailure('Activity task failed', 'processImageBatch', '7', 'MAXIMUM_ATTEMPTS_REACHED', 'worker@host', reason);
    const child = new ChildWorkflowFailure('default', { workflowId: 'build-milk10k/ingest-vienna', runId: 'r' }, 'ingestCentre', 'NON_RETRYABLE_FAILURE', activity);
    expect(failureMessage(new WorkflowFailedError('Workflow execution failed', child, 'NON_RETRYABLE_FAILURE'))).toBe(
      'processImageBatch (activity) in build-milk10k/ingest-vienna (child workflow): storage full; ENOSPC: no space left on device ' +
        '(failed on every attempt temporal.retry allows: fix the cause and run `milk build` again, which keeps the work already done)',
    );
    // a non-retryable failure says itself what to do; the causes of the activity's error follow its message
    const leak = ApplicationFailure.nonRetryable('leak scan found 1 PHI value(s) in the release: find its source and build again', 'LeakFound');
    const caused = new ActivityFailure('Activity task failed', 'writeRelease', '9', 'NON_RETRYABLE_FAILURE', 'worker@host', leak);
    expect(failureMessage(new WorkflowFailedError('Workflow execution failed', caused, 'NON_RETRYABLE_FAILURE'))).toBe(
      'writeRelease (activity): leak scan found 1 PHI value(s) in the release: find its source and build again',
    );
    const wrapped = ApplicationFailure.create({ message: 'lake shard x.jsonl line 1 is not JSON', cause: ApplicationFailure.create({ message: 'Unexpected token' }) });
    expect(failureMessage(new WorkflowFailedError('Workflow execution failed', new ActivityFailure('Activity task failed', 'retrieveCentre', '1', 'MAXIMUM_ATTEMPTS_REACHED', 'w', wrapped), 'NON_RETRYABLE_FAILURE'))).toMatch(
      /^retrieveCentre \(activity\): lake shard x\.jsonl line 1 is not JSON: Unexpected token \(failed on every attempt/,
    );
    expect(failureMessage(new WorkflowFailedError('Workflow execution failed', undefined, 'NON_RETRYABLE_FAILURE'))).toBe('Workflow execution failed');
  });
});
