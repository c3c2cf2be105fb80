/**
 * `ghml ui`: serves the report site on 127.0.0.1 from the tracking branch, the `mlflow ui`
 * equivalent. The data is rebuilt in memory whenever the branch or the registry tags move; any
 * run's metric series and stored artifacts are read from git when the page asks. Runs until
 * Ctrl-C (or SIGTERM).
 */
import type { Command } from 'commander';
import { describeError } from '../../errors/ghml-error.js';
import { openRepository, refreshRuns } from '../open-repository.js';
import type { CommandContext } from '../program.js';

interface UiOptions {
  port: string;
  main?: string;
  poll: string;
  fetch: boolean;
}

export function registerUiCommand(program: Command, context: CommandContext): void {
  program
    .command('ui')
    .description('serve the report site locally (127.0.0.1) and rebuild it when runs are added')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', '5000')
    .option(
      '--main <rev>',
      "branch whose history the Trends view follows (default: the remote's default branch)",
    )
    .option('--poll <ms>', 'how often to look for new runs and tags, in milliseconds', '2000')
    .option('--no-fetch', 'do not fetch the tracking branch at start')
    .action(async (options: UiOptions) => {
      const { parsePort, wholeNumber } = await import('../../site/site-options.js');
      const { readSiteAssets } = await import('../../site/site-assets.js');
      const { LiveSite } = await import('../../site/site-live.js');
      const { SiteServer } = await import('../../site/site-server.js');
      const port = parsePort(options.port);
      const poll = wholeNumber('--poll', options.poll, 100, 3_600_000);
      const assets = await readSiteAssets();
      const repo = await openRepository(context.cwd);
      if (options.fetch) await refreshRuns(repo, (message) => context.io.err(message));
      const report = (error: unknown): void => context.io.err(`ghml ui: ${describeError(error)}`);
      const live = new LiveSite({
        repo,
        env: context.env,
        assets,
        ...(options.main === undefined ? {} : { mainRev: options.main }),
        onRebuild: (runs, ms) => context.io.err(`ghml ui: ${runs} run(s) loaded in ${ms} ms`),
      });
      await live.refresh();
      const server = new SiteServer({
        port,
        files: () => live.files(),
        dynamic: (path) => live.dynamic(path),
        onError: report,
      });
      const url = await server.start();
      context.io.out(`ghml ui: serving ${url} (Ctrl-C to stop)`);
      let timer: NodeJS.Timeout | undefined;
      const tick = (): void => {
        timer = setTimeout(() => {
          live.refresh().then(tick, (error: unknown) => {
            report(error);
            tick();
          });
        }, poll);
      };
      tick();
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      clearTimeout(timer);
      await server.close();
    });
}
