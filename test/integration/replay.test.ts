import { readFileSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures', 'histories');
const WORKFLOWS = path.resolve(import.meta.dirname, '..', '..', 'workflows', 'index.ts');

/**
 * Recorded histories (scripts/record-histories.ts) replayed against today's workflow code: a change
 * that would break executions already running fails here, not in production.
 */
describe('workflow determinism', () => {
  for (const [name, workflowId] of [
    ['build-release', 'build-milk10k'],
    ['ingest-centre', 'build-milk10k/ingest-vienna'],
    ['scheduled-build', 'build-milk10k-scheduled'],
  ]) {
    it(`replays the recorded ${name} history`, async () => {
      const history = proto.temporal.api.history.v1.History.decode(readFileSync(path.join(FIXTURES, `${name}.pb`)));
      expect(history.events?.length).toBeGreaterThan(10);
      await Worker.runReplayHistory({ workflowsPath: WORKFLOWS }, history, workflowId);
    });
  }
});
