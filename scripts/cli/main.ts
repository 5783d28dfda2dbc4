import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_CONFIG_FILE, loadConfig, type LoadedConfig } from '../../schemas/config.ts';
import { describeOptionIssues, WorkerProcessOptions } from '../../schemas/worker-process.ts';
import { checkTemporal, connectClient, connectionOptions, isTemporalReachable } from '../../worker/connection.ts';
import type { BuildOptions, BuildRun } from '../run-build.ts';
import { ProgressOutput } from '../progress/progress-output.ts';
import { DEFAULT_MAX_OUTAGE_MS, formatDuration, formatOutageNotice, parseDuration } from '../progress/temporal-link.ts';
import { parseS3Url } from '../synth/upload-drops.ts';
import { formatSummary, workflowUiLink } from './summary.ts';
import { releaseCommand } from './release-command.ts';
import { auditCommand } from './audit-command.ts';
import { scheduleCommand } from './schedule-command.ts';
import { codeVersion } from '../../activities/storage/provenance/code-version.ts';
import { gcCommand } from './gc-command.ts';
import { validateCommand } from './validate-command.ts';
import { benchmarkCommand } from './benchmark-command.ts';
import { reviewCommand } from './review-command.ts';
import { BENCH_PARTS, type BenchPart } from '../bench/bench-parts.ts';

const PROJECT = path.resolve(import.meta.dirname, '..', '..');

// The heavy parts (Temporal worker, sharp, servers) load only for the commands that use them, so
// `milk audit`, `milk release ...` and `--help` start fast.
const startWorker = async (...args: Parameters<typeof import('../../worker/worker.ts').startWorker>) => (await import('../../worker/worker.ts')).startWorker(...args);
const bundleWorkflows = async () => (await import('../../worker/worker.ts')).bundleWorkflows();
const serveHealth = async (...args: Parameters<typeof import('../../worker/health-server.ts').serveHealth>) => (await import('../../worker/health-server.ts')).serveHealth(...args);
const startDevServer = async (...args: Parameters<typeof import('../dev-server.ts').startDevServer>) => (await import('../dev-server.ts')).startDevServer(...args);
const startS3Server = async (...args: Parameters<typeof import('../s3-server.ts').startS3Server>) => (await import('../s3-server.ts')).startS3Server(...args);
const runBuild = async (...args: Parameters<typeof import('../run-build.ts').runBuild>) => (await import('../run-build.ts')).runBuild(...args);
const synthesise = async (...args: Parameters<typeof import('../synth/synth.ts').synthesise>) => (await import('../synth/synth.ts')).synthesise(...args);
const integer = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
};

const duration = (value: string) => {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

/** A repeatable option that also takes a comma list: `--from-milk10k a --from-milk10k b` or `--from-milk10k a,b`. */
const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];

const program = new Command('milk')
  .description('MILK10k release pipeline: Temporal workflows that turn five centre drops into a MILK10k release')
  .version(codeVersion(), '-V, --version', 'print the package version and git commit (what provenance records as the code version)')
  .showHelpAfterError();

program
  .command('dev-server')
  .description('run a local Temporal server (temporal server start-dev) with its SQLite file under data/')
  .option('--port <port>', 'frontend port', integer, 7233)
  .option('--ui-port <port>', 'web UI port', integer, 8233)
  .option('--db <file>', 'SQLite file of the server state', path.join(PROJECT, 'data', 'temporal', 'dev.sqlite'))
  .action(async (opts: { port: number; uiPort: number; db: string }) => {
    const server = await startDevServer({ dbFile: path.resolve(opts.db), port: opts.port, uiPort: opts.uiPort });
    console.log(`Temporal dev server on ${server.address}, UI ${server.uiAddress}, state in ${opts.db}. Ctrl-C stops it.`);
    console.log(`Builds print UI links for the config's temporal.uiAddress; for this server: export TEMPORAL_ADDRESS=${server.address} TEMPORAL_UI_ADDRESS=${server.uiAddress}`);
    await stopOnSignal(() => server.stop());
  });

const workerCommand = program
  .command('worker')
  .description('run a worker: polls the task queues of temporal.yml (all four, or --queues) until SIGTERM or Ctrl-C, then stops gracefully')
  .option('-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE)
  .option('--queues <list>', 'task queues to poll, a comma list of workflow, io, cpu, inference (default: all)')
  .option('--io-slots <n>', 'concurrent io activities (default: temporal.yml)')
  .option('--cpu-slots <n>', 'concurrent cpu activities (default: temporal.yml)')
  .option('--inference-slots <n>', 'concurrent inference activities (default: temporal.yml)')
  .option('--workflow-bundle <file>', 'workflow bundle written by `milk worker bundle` (default: bundle the workflows at start)')
  .option('--shutdown-grace <duration>', 'on SIGTERM or Ctrl-C, how long running activities may take before they are cancelled, e.g. 30s, 2m (default 30s)')
  .option('--health-port <port>', 'serve GET /healthz on this port: 200 while every queue polls, 503 otherwise')
  .action(async (opts: Record<string, unknown>) => {
    const parsed = WorkerProcessOptions.safeParse(opts);
    if (!parsed.success) throw new Error(describeOptionIssues(parsed.error));
    const { config, queues, ioSlots, cpuSlots, inferenceSlots, workflowBundle, shutdownGrace, healthPort } = parsed.data;
    if (workflowBundle !== undefined && !existsSync(workflowBundle)) throw new Error(`--workflow-bundle: no file ${path.resolve(workflowBundle)} (write one with \`milk worker bundle --out FILE\`)`);
    const loaded = loadConfig(config);
    await requireTemporal(loaded);
    const worker = await startWorker(loaded, {
      queues,
      slots: { io: ioSlots, cpu: cpuSlots, inference: inferenceSlots },
      workflowBundle: workflowBundle && path.resolve(workflowBundle),
      shutdownGraceMs: shutdownGrace,
    });
    const health = healthPort === undefined ? undefined : await serveHealth(worker, healthPort);
    const names = worker.queues.map((q) => loaded.config.temporal.taskQueues[q].name);
    console.log(`Worker polling ${names.join(', ')} on ${loaded.config.temporal.address}${health ? `, health on port ${healthPort} (/healthz)` : ''}. SIGTERM or Ctrl-C stops it.`);
    try {
      await Promise.race([worker.done, stopOnSignal(() => worker.shutdown())]);
    } finally {
      health?.close();
    }
    // Activities cancelled at the end of the grace time may still be working (and holding image
    // threads); the worker has stopped, so their work is abandoned, and must not keep the process up.
    process.exit(0);
  });

workerCommand
  .command('bundle')
  .description('bundle the workflows once, for `milk worker --workflow-bundle FILE` (a production worker then starts without bundling)')
  .requiredOption('--out <file>', 'where to write the bundle')
  .action(async (opts: { out: string }) => {
    const out = path.resolve(opts.out);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, await bundleWorkflows());
    console.log(`Wrote the workflow bundle to ${out}`);
  });

program
  .command('health')
  .description('check that the Temporal frontend of temporal.yml answers (with its TLS and API key) and serves its namespace; exit 0 or 1, one line')
  .option('-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE)
  .action(async (opts: { config: string }) => {
    const loaded = loadConfig(opts.config);
    const { address, namespace } = loaded.config.temporal;
    const options = connectionOptions(loaded);
    await checkTemporal(options, namespace).catch((err: Error) => {
      throw new Error(`Temporal at ${address} (namespace ${namespace}) is not healthy: ${err.message}`);
    });
    console.log(`ok: Temporal at ${address} answers and serves namespace ${namespace}${options.tls ? ' over TLS' : ''}`);
  });

program
  .command('synth')
  .description('generate raw centre drops (PHI, EXIF, each centre its own dialect) and a temporal.yml that builds them')
  .option('-c, --config <file>', 'config whose centres and dialects the drops follow', DEFAULT_CONFIG_FILE)
  .option('--from-milk10k <dir>', 'spread the real lesions of an official MILK10k layout over the centres (repeatable, or a comma list: lesion ids must differ between folders)', list)
  .option('--lesions <n>', 'number of source lesions (default: all of --from-milk10k, else 100)', integer)
  .option('--scale <k>', 'write k copies of every source lesion: the original and k-1 new patients with cropped, mirrored, colour-jittered, re-encoded images', integer, 1)
  .option('--seed <s>', 'random seed; the same seed gives the same drops', integer, 10_000)
  .option('--out <dir>', 'output folder: <dir>/<centre>/, <dir>/temporal.yml, <dir>/synth-key.csv (private)', path.join(PROJECT, 'data', 'drops'))
  .option('--to <s3url>', 'also upload the drops to s3://bucket/prefix/<centre>/ and point <dir>/temporal.yml there (credentials: the AWS standard chain)')
  .option('--s3-endpoint <url>', 'S3-compatible endpoint for --to (default: AWS)')
  .option('--s3-region <region>', 'region for --to', 'us-east-1')
  .action(async (opts: { config: string; fromMilk10k?: string[]; lesions?: number; scale: number; seed: number; out: string; to?: string; s3Endpoint?: string; s3Region: string }) => {
    const to = opts.to ? { ...parseS3Url(opts.to), endpoint: opts.s3Endpoint, region: opts.s3Region } : undefined;
    const result = await synthesise({ config: opts.config, out: path.resolve(opts.out), seed: opts.seed, lesions: opts.lesions, scale: opts.scale, fromMilk10k: opts.fromMilk10k, to });
    console.log(`Wrote ${result.lesions} lesions (${result.images} images) to ${result.out}: ${Object.entries(result.perCentre).map(([c, n]) => `${c} ${n}`).join(', ')}`);
    console.log(`Build them with: milk build --config ${result.config}`);
  });

program
  .command('build')
  .description('build a release: starts the buildRelease workflow, or attaches to the build of the dataset already running, and prints its summary')
  .option('-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE)
  .option('--json', 'print one JSON summary on stdout instead of the table')
  .option('--no-worker', 'do not start an embedded worker (a `milk worker` with the same config serves the queues)')
  .option('--wait-for-server <duration>', 'how long to wait through one Temporal outage while following the build, e.g. 90s, 10m, 1h (0: give up at once)', duration, DEFAULT_MAX_OUTAGE_MS)
  .option('--dry-run', 'start nothing: check the config and every drop as `milk validate` does, and count per centre what a build would fetch (new, changed) and drop (deleted)')
  .option('--await-review', 'after QC, wait until curators have resolved every open flag with `milk review` (at most qc.review.awaitMinutes), then go on with their decisions')
  .action(async (opts: { config: string; json?: boolean; worker: boolean; waitForServer: number; dryRun?: boolean; awaitReview?: boolean }) => {
    const loaded = loadConfig(opts.config);
    if (opts.dryRun) {
      const { formatPreflight, preflight } = await import('../validate/preflight.ts');
      const centres = await preflight(loaded, { details: false, changes: true });
      console.log(opts.json ? JSON.stringify({ config: loaded.file, dryRun: true, centres }) : `${loaded.file}: config ok; dry run, nothing started\n${formatPreflight(centres)}`);
      if (centres.some((c) => c.error)) process.exitCode = 1;
      return;
    }
    await requireTemporal(loaded);
    const printer = progressPrinter(loaded, opts.waitForServer);
    const run = await runBuild(loaded, { embeddedWorker: opts.worker, maxOutageMs: opts.waitForServer, awaitReview: opts.awaitReview, ...printer }).finally(printer.end);
    printRun(run, loaded, opts.json);
  });

program
  .command('status')
  .description("the dataset's running build and its progress, or how its last build ended (its summary or its failure); starts nothing")
  .option('-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE)
  .option('--json', 'print one JSON object on stdout')
  .action(async (opts: { config: string; json?: boolean }) => {
    const loaded = loadConfig(opts.config);
    await requireTemporal(loaded);
    const { buildStatus, formatStatus, statusJson } = await import('../progress/build-status.ts');
    const client = await connectClient(loaded);
    try {
      const status = await buildStatus(client, loaded);
      console.log(opts.json ? JSON.stringify(statusJson(status, loaded)) : formatStatus(status, loaded));
    } finally {
      await client.connection.close();
    }
  });

program
  .command('demo')
  .description('the quick start: a dev server if none answers, an embedded worker, sample drops if absent, a build, a summary')
  .option('-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE)
  .option('--from-milk10k <dir>', 'generate the drops from a MILK10k layout instead of synthetic images (repeatable, or a comma list)', list)
  .option('--lesions <n>', 'lesions to generate when drops are absent', integer, 200)
  .option('--s3', 'serve the drops from a local S3 server (SeaweedFS) started for the demo, and build from there')
  .action(async (opts: { config: string; fromMilk10k?: string[]; lesions: number; s3?: boolean }) => {
    let loaded = loadConfig(opts.config);
    const started: { stop(): Promise<void> }[] = [];
    try {
      let config = opts.config;
      const synthOptions = { config: opts.config, seed: 10_000, lesions: opts.fromMilk10k ? undefined : opts.lesions, fromMilk10k: opts.fromMilk10k };
      if (opts.s3) {
        const s3 = await startS3Server({ dir: path.join(loaded.storageRoot, 's3') });
        started.push(s3);
        process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
        process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
        const out = path.join(loaded.storageRoot, 'drops-s3');
        console.log(`Serving sample drops from a local S3 server at ${s3.endpoint} (bucket milk-drops) ...`);
        config = (await synthesise({ ...synthOptions, out, to: { bucket: 'milk-drops', prefix: '', endpoint: s3.endpoint, region: s3.region } })).config;
      } else {
        const missing = loaded.config.centres.filter((c) => c.source.type === 'folder' && !existsSync(loaded.centreFolder(c)));
        if (missing.length > 0) {
          const out = path.dirname(loaded.centreFolder(missing[0]!));
          console.log(`Generating sample drops for ${loaded.config.centres.length} centres in ${out} ...`);
          await synthesise({ ...synthOptions, out });
        }
      }
      if (!(await isTemporalReachable(connectionOptions(loaded)))) {
        const [host, port] = loaded.config.temporal.address.split(':');
        if (host !== 'localhost' && host !== '127.0.0.1') throw new Error(`no Temporal server answers at ${loaded.config.temporal.address}`);
        console.log(`Starting a Temporal dev server on ${loaded.config.temporal.address} ...`);
        const server = await startDevServer({ dbFile: path.join(loaded.storageRoot, 'temporal', 'dev.sqlite'), port: Number(port), uiPort: Number(port) + 1000 });
        started.push(server);
        process.env.TEMPORAL_ADDRESS = server.address;
        process.env.TEMPORAL_UI_ADDRESS = server.uiAddress;
      }
      loaded = loadConfig(config);
      console.log('Building the release (an embedded worker polls every task queue) ...');
      const printer = progressPrinter(loaded, DEFAULT_MAX_OUTAGE_MS);
      const run = await runBuild(loaded, { embeddedWorker: true, ...printer }).finally(printer.end);
      printRun(run, loaded, false);
      if (started.length > 0) console.log('\nThe servers this demo started are stopping; run `milk dev-server` to keep a Temporal server (and its UI) up.');
    } finally {
      for (const server of started.reverse()) await server.stop();
    }
  });

program
  .command('bench')
  .description('measure the concept model against MONET, then whole builds of MILK10k layouts and a scale-up of them: images/s against a full decode, rebuild share, memory per process, stages, parity with the official CSVs, QC calibration')
  .option('--from-milk10k <dir>', 'MILK10k layout to build (repeatable, or a comma list)', list, [])
  .option('--scale <k>', 'also build a `milk synth --scale k` copy (1: only the real lesions)', integer, 10)
  .option('--work <dir>', 'keep drops and builds here, reusing drops generated by an earlier run (default: a temporary folder, removed)')
  .option('-c, --config <file>', "deployment config whose concept model (concepts.model, batchSize, device) is measured", DEFAULT_CONFIG_FILE)
  .option('--only <part>', "run one part only: concepts (agreement with MONET per concept and image type, concept stage throughput, model size), qc (the project's QC beside cleanvision on the real images plus seeded defects), text (burned-in text: flag rate on the real images, recall on drawn names and dates, ms per image) or deid (lossless strip + verify beside exiftool, and the leak scan, on the real images)")
  .option('--qc-images <n>', 'real images the QC comparison runs on (default: all)', integer)
  .action(async (opts: { fromMilk10k: string[]; scale: number; work?: string; config: string; only?: string; qcImages?: number }) => {
    const shared = ['milk10k-sample', 'milk10k-extra'].map((d) => path.join(PROJECT, '..', 'shared', d)).filter((d) => existsSync(d));
    const milk10k = opts.fromMilk10k.length > 0 ? opts.fromMilk10k : shared;
    if (milk10k.length === 0) throw new Error('no MILK10k layout: pass --from-milk10k (the shared sample and extra lesions were not found beside the project)');
    const parts = ['concepts', ...BENCH_PARTS];
    if (opts.only !== undefined && !parts.includes(opts.only)) throw new Error(`--only ${opts.only}: the parts are: ${parts.join(', ')}`);
    if (opts.only === undefined || opts.only === 'concepts') {
      const { benchConcepts } = await import('../bench/concept-bench.ts');
      await benchConcepts(loadConfig(opts.config), milk10k);
    }
    if (opts.only === 'concepts') return;
    const { runBench } = await import('../bench/bench.ts');
    await runBench({ milk10k, scale: Math.max(1, opts.scale), work: opts.work, only: opts.only as BenchPart | undefined, qcImages: opts.qcImages });
  });

program.addCommand(releaseCommand());
program.addCommand(auditCommand());
program.addCommand(reviewCommand());
program.addCommand(scheduleCommand());
program.addCommand(benchmarkCommand());
program.addCommand(gcCommand());
program.addCommand(validateCommand());

function printRun(run: BuildRun, loaded: LoadedConfig, json?: boolean): void {
  if (json) {
    console.log(JSON.stringify({ workflowId: run.workflowId, runId: run.runId, wallMs: run.wallMs, ...run.summary }));
  } else {
    console.log(formatSummary(run, loaded));
  }
}

/**
 * Live progress on stderr (a bar on a terminal, else a line per change; counts and ETA), the Temporal
 * UI link as soon as the build starts (or is attached to), and a line per Temporal outage notice.
 * `end` clears the bar before the summary prints.
 */
function progressPrinter(loaded: LoadedConfig, maxOutageMs: number): Pick<BuildOptions, 'onProgress' | 'onStart' | 'onAttach' | 'onOutage'> & { end: () => void } {
  const output = new ProgressOutput();
  return {
    onStart: (workflowId, runId) => output.notice(`Build ${workflowId} started; follow it in the Temporal UI: ${workflowUiLink(loaded, workflowId, runId)}`),
    onAttach: (workflowId, runId, startedAt) =>
      output.notice(
        `Build ${workflowId} is already running (run ${runId}, started ${formatDuration(Date.now() - startedAt.getTime())} ago): attached to it, following it to its summary; Temporal UI: ${workflowUiLink(loaded, workflowId, runId)}`,
      ),
    onProgress: (snapshot) => output.progress(snapshot),
    onOutage: (notice) => {
      output.notice(formatOutageNotice(notice, maxOutageMs));
      if (notice.kind === 'up') output.restartRate();
    },
    end: () => output.end(),
  };
}

async function requireTemporal(loaded: LoadedConfig): Promise<void> {
  await checkTemporal(connectionOptions(loaded)).catch((err: Error) => {
    throw new Error(`no Temporal server answers at ${loaded.config.temporal.address} (${err.message}): start one with \`milk dev-server\` or set TEMPORAL_ADDRESS`);
  });
}

function stopOnSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const handler = () => void stop().then(resolve);
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // A failed build says where it failed and why (the innermost cause), not "Workflow execution failed".
  if ((err as Error).name === 'WorkflowFailedError') (err as Error).message = (await import('../progress/build-status.ts')).failureMessage(err as Error);
  console.error(`milk: ${(err as Error).message.split('\n').map((l) => l.trim()).filter(Boolean).join('; ').replaceAll(':; ', ': ')}`);
  process.exit(1);
}
