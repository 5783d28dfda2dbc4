import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../schemas/config.ts';

const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0: any free port)');
  return n;
};

/** `milk review --reviewer NAME`: serves the last build's QC report as a page where a curator records decisions. */
export function reviewCommand(): Command {
  return new Command('review')
    .description("serve the last build's QC report as a local page where a named curator accepts or excludes flagged images and splits duplicate pairs; the next build applies the decisions")
    .requiredOption('--reviewer <name>', 'who decides: recorded with every decision (private)')
    .option('-c, --config <file>', 'deployment config (its storage root holds the build and the review log)', DEFAULT_CONFIG_FILE)
    .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', port, 8350)
    .action(async (opts: { reviewer: string; config: string; port: number }) => {
      const { serveReview } = await import('../review/review-server.ts');
      const server = await serveReview(loadConfig(opts.config), { reviewer: opts.reviewer, port: opts.port });
      console.log(`Review page for ${opts.reviewer}: ${server.url} (decisions are recorded under the private storage root and applied by the next milk build). Ctrl-C stops it.`);
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
