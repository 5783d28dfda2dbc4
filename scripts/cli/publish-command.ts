import { Command } from 'commander';
import { publishRelease, type PublishProgress, type PublishResult } from '../../activities/release/publish-release.ts';
import { openStorage } from '../../activities/storage/open-store.ts';
import { DEFAULT_CONFIG_FILE, loadConfig, PublishTarget, type LoadedConfig } from '../../schemas/config.ts';
import { parseS3Url } from '../synth/upload-drops.ts';

interface PublishCommandOptions {
  config: string;
  to?: string;
  endpoint?: string;
  json?: boolean;
}

/** `milk release publish`: uploads the current release folder to S3, MANIFEST.sha256 last. */
export function publishCommand(): Command {
  return new Command('publish')
    .description('upload the current release to S3 under <prefix><name>-<version>/: files verified by SHA-256, MANIFEST.sha256 last, then <prefix><name>-latest.json')
    .option('-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE)
    .option('--to <s3url>', 's3://bucket/prefix/ to publish to, instead of release.publish of the config')
    .option('--endpoint <url>', 'S3-compatible endpoint (default: the config target\'s, else AWS)')
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: PublishCommandOptions) => {
      const loaded = loadConfig(opts.config);
      const { store, layout } = openStorage(loaded);
      const local = await store.localFolder(layout.release);
      const result = await publishRelease({ releaseDir: local.dir, target: publishTarget(loaded, opts), onProgress: progressPrinter() }).finally(() => local.release());
      console.log(opts.json ? JSON.stringify(result) : describeResult(result));
    });
}

/** The config's target, with --to and --endpoint taking precedence; credentials stay the config's (or the AWS standard chain). */
function publishTarget(loaded: LoadedConfig, opts: PublishCommandOptions): PublishTarget {
  const configured = loaded.config.release.publish;
  if (!configured && !opts.to) throw new Error(`nowhere to publish: set release.publish in ${loaded.file} or pass --to s3://bucket/prefix/`);
  const endpoint = opts.endpoint ?? configured?.endpoint;
  const parsed = PublishTarget.safeParse({
    ...configured,
    ...(opts.to ? parseS3Url(opts.to) : {}),
    endpoint,
    // most S3-compatible stores want path-style addresses; AWS itself takes either
    forcePathStyle: configured?.forcePathStyle ?? endpoint !== undefined,
  });
  if (!parsed.success) throw new Error(`publish target: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function describeResult(r: PublishResult): string {
  if (r.outcome === 'already-published') {
    return `${r.name} ${r.version} is already published at ${r.location} with the same content: nothing to do (latest pointer ${r.pointer}).`;
  }
  const mib = (r.bytes / 1024 / 1024).toFixed(1);
  return `Published ${r.name} ${r.version} to ${r.location}: ${r.uploaded} files uploaded (${mib} MiB, ${r.multipartFiles} in parts), ${r.skipped} already there; manifest ${r.manifestKey}; latest pointer ${r.pointer}.`;
}

function progressPrinter() {
  let lastTenth = -1;
  return (p: PublishProgress) => {
    const percent = p.bytes === 0 ? 100 : Math.floor((p.bytesDone / p.bytes) * 100);
    // one line per tenth of the bytes, so a release of thousands of files prints a dozen lines
    if (Math.floor(percent / 10) !== lastTenth) process.stderr.write(`[publish] ${p.filesDone}/${p.files} files, ${percent}% of the bytes\n`);
    lastTenth = Math.floor(percent / 10);
  };
}
