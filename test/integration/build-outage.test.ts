import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildSummary } from '../../schemas/payloads.ts';
import { freePort, startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { buildFixture, type BuildFixture } from '../helpers/build-fixture.ts';
import { milk, spawnMilk } from '../helpers/milk-cli.ts';

/** A `milk` process whose output is collected, with a way to wait for a line of its stderr. */
function watch(child: ChildProcess) {
  /** `log`: stderr without the worker's warnings, each line with the seconds since the process started (for failure messages) */
  const out = { stdout: '', stderr: '', log: '' };
  const waiters: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const match = out.stderr.split('\n').map((l) => w.pattern.exec(l)).find((m) => m);
      if (match) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(match);
      }
    }
  };
  child.stdout!.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  const t0 = Date.now();
  child.stderr!.on('data', (chunk: Buffer) => {
    out.log += chunk.toString().split('\n').filter((l) => l && !l.includes(' WARN ')).map((l) => `${((Date.now() - t0) / 1000).toFixed(1)} ${l}\n`).join('');
    out.stderr += chunk.toString();
    check();
  });
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve((code = c))));
  return {
    out,
    exited,
    get running() {
      return code === undefined;
    },
    kill: () => child.kill('SIGKILL'),
    /** the first stderr line matching `pattern`; rejects if the process exits first */
    line(pattern: RegExp): Promise<RegExpMatchArray> {
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        check();
        void exited.then((c) => reject(new Error(`milk exited with ${c} before printing ${pattern}:\n${out.log}`)));
      });
    },
  };
}

const STAGES = ['plan', 'ingest', 'assemble', 'split', 'qc-report', 'concepts', 'release', 'publish', 'done'];

/** The progress lines of a `milk build` stderr as (stage, done) pairs: `[ingest] centres 2/5, 40/160 images (25%)` -> ['ingest', 40]. */
const progressOf = (stderr: string) =>
  stderr
    .split('\n')
    .map((l) => /^\[([a-z-]+)\](?: step (\d+)\/\d+)?(?:.*?(\d+)\/\d+ (?:images|concept batches))?/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && STAGES.includes(m[1]!))
    // a count starts again at each step of the release writer: the step is part of the position
    .map((m) => [STAGES.indexOf(m[1]!) * 100 + Number(m[2] ?? 0), Number(m[3] ?? 0)] as const);

/**
 * A dedicated dev server (its state in a SQLite file, so it survives a restart on the same port),
 * killed for 60 s about 5 s into a build: the `milk build` process that started the build, and a
 * second one that attached to it, both wait the outage out, reconnect and print the build's summary.
 */
describe('milk build survives the Temporal server', () => {
  let dir: string;
  let fixture: BuildFixture;
  let server: DevServer;
  let ports: { port: number; uiPort: number };
  let env: NodeJS.ProcessEnv;
  const startServer = async () => (server = await startDevServer({ dbFile: path.join(dir, 'temporal.db'), ...ports }));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'milk-outage-'));
    const port = await freePort();
    let uiPort = await freePort();
    while (uiPort === port) uiPort = await freePort();
    ports = { port, uiPort };
    const [, built] = await Promise.all([startServer(), buildFixture('outage', { seed: 31, lesions: 120 })]);
    fixture = built;
    env = { TEMPORAL_ADDRESS: server.address };
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
  });

  it('attaches a second milk build to the running one, answers milk status, and both outlive a 60 s outage', { timeout: 240_000 }, async () => {
    const config = fixture.loaded.file;
    const workflowId = `build-${fixture.loaded.config.dataset}`;
    const first = watch(spawnMilk(['build', '--config', config], env));
    let second: ReturnType<typeof watch> | undefined;
    try {
      const [, runId] = await first.line(/^Build \S+ started; follow it in the Temporal UI: .*\/([0-9a-f-]{36})\/history$/);
      const startedAt = Date.now();

      // a second `milk build` of the dataset (here without a worker of its own) attaches instead of refusing,
      // and `milk status` answers with the progress line at once
      second = watch(spawnMilk(['build', '--json', '--no-worker', '--config', config], env));
      const statusAt = Date.now();
      const status = await milk(['status', '--config', config, '--json'], env);
      // node and tsx start in about 4 s here; the progress query has a 5 s deadline
      expect(Date.now() - statusAt, 'milk status answers in seconds').toBeLessThan(25_000);
      expect(status.status, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ state: 'running', workflowId, runId, line: expect.stringMatching(/^\[(plan|ingest)\]/) });
      const [attached] = await second.line(/^Build .* already running.*$/);
      expect(attached).toMatch(new RegExp(`^Build ${workflowId} is already running \\(run ${runId}, started \\d+ s ago\\): attached to it, following it to its summary; Temporal UI: http://\\S+/workflows/${workflowId}/${runId}/history$`));

      // about 5 s into the build, the server goes away for 60 s
      await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 5_000 - Date.now())));
      expect(first.running && second.running, 'the build is still running when the server stops').toBe(true);
      // killed (a graceful stop would keep the port open, not answering, for 10 s more); its SQLite state survives
      const killed = new Promise((r) => server.process.once('exit', r));
      server.process.kill('SIGKILL');
      await killed;
      await new Promise((r) => setTimeout(r, 60_000));
      expect(first.running, `the first milk build is still waiting:\n${first.out.log}`).toBe(true);
      expect(second.running, `the second milk build is still waiting:\n${second.out.log}`).toBe(true);
      await startServer();

      expect(await first.exited, first.out.log).toBe(0);
      expect(await second.exited, second.out.log).toBe(0);
      for (const { out } of [first, second]) {
        expect(out.stderr).toMatch(new RegExp(`^\\[temporal\\] server unreachable at ${server.address}, retrying in \\d+ s \\(down \\d+ s, giving up after 10 min\\)\\.\\.\\.$`, 'm'));
        expect(out.stderr).toMatch(new RegExp(`^\\[temporal\\] reconnected to ${server.address} after \\d+ (min|s)`, 'm'));
      }
      // the embedded worker waited the outage out too, and said so in a few lines, not in hundreds of retry warnings
      const warnings = first.out.stderr.split('\n').filter((l) => /\[WARN\]/.test(l));
      expect(warnings.length, warnings.join('\n')).toBeLessThan(10);
      // the same summary in both: the table and the JSON
      const summary = JSON.parse(second.out.stdout) as BuildSummary & { runId: string };
      expect(summary.runId).toBe(runId);
      expect(summary.release.lesions).toBe(120);
      expect(first.out.stdout).toContain(`Workflow:       ${workflowId} (run ${runId})`);
      expect(first.out.stdout).toMatch(new RegExp(`^released +${summary.release.images}  ${summary.release.lesions} lesions$`, 'm'));
      expect(first.out.stdout).toContain(`content hash ${summary.release.contentHash}`);
      // progress never went backwards, across the reconnects (the second process may have had no time to print any)
      expect(progressOf(first.out.stderr).length, first.out.log).toBeGreaterThan(0);
      for (const { out } of [first, second]) {
        const progress = progressOf(out.stderr);
        for (let i = 1; i < progress.length; i++) {
          const [stage, done] = progress[i]!;
          const [before, doneBefore] = progress[i - 1]!;
          expect(stage).toBeGreaterThanOrEqual(before);
          if (stage === before) expect(done).toBeGreaterThanOrEqual(doneBefore);
        }
      }

      // and `milk status` now reports the finished build and its summary
      const after = await milk(['status', '--config', config, '--json'], env);
      expect(JSON.parse(after.stdout)).toMatchObject({ state: 'completed', workflowId, runId, summary: { release: { contentHash: summary.release.contentHash } } });
      const afterText = await milk(['status', '--config', config], env);
      expect(afterText.stdout).toMatch(new RegExp(`^Last build ${workflowId} \\(run ${runId}\\) completed at \\S+, .+ after it started\\.\n\nBuild ${workflowId} finished in`));
      expect(afterText.stdout).toContain(`content hash ${summary.release.contentHash}`);
    } finally {
      for (const p of [first, second]) if (p?.running) p.kill();
    }
  });
});
