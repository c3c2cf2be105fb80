/**
 * `ghml report build`: writes the report site (static HTML, JS, CSS and JSON data shards)
 * from the tracking branch and the registry tags, ready for GitHub Pages or any static host.
 * The site modules are loaded only when the command runs.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatBytes } from '../../text/format-number.js';
import { openRepository, refreshRuns } from '../open-repository.js';
import type { CommandContext } from '../program.js';

interface BuildOptions {
  output: string;
  main?: string;
  seriesRuns: string;
  seriesPoints: string;
  seriesRunPoints: string;
  fetch: boolean;
  json?: boolean;
}

export function registerReportCommand(program: Command, context: CommandContext): void {
  const report = program.command('report').description('build the report site of the runs');
  report
    .command('build')
    .description('write the report site (static files for GitHub Pages) from the tracking branch')
    .option('-o, --output <dir>', 'folder to write the site to', 'site')
    .option(
      '--main <rev>',
      "branch whose history the Trends view follows (default: the remote's default branch)",
    )
    .option('--series-runs <n>', 'at most this many runs get their full metric series', '1000')
    .option('--series-points <n>', 'at most this many metric points in all series files', '2000000')
    .option('--series-run-points <n>', 'a run with more points is reduced to this many', '250000')
    .option('--no-fetch', 'do not fetch the tracking branch first')
    .option('--json', 'print what was written as JSON')
    .action(async (options: BuildOptions) => {
      const { parseSeriesBudget } = await import('../../site/site-options.js');
      const { buildSiteData } = await import('../../site/data/site-data-build.js');
      const { readSiteAssets } = await import('../../site/site-assets.js');
      const { writeSite } = await import('../../site/site-writer.js');
      const series = parseSeriesBudget(options);
      const started = Date.now();
      const assets = await readSiteAssets();
      const repo = await openRepository(context.cwd);
      if (options.fetch) await refreshRuns(repo, (message) => context.io.err(message));
      const data = await buildSiteData({
        repo,
        env: context.env,
        series,
        ...(options.main === undefined ? {} : { mainRev: options.main }),
        onStep: (step) => {
          if (context.io.interactive) context.io.err(`ghml report: ${step}`);
        },
      });
      const dir = resolve(context.cwd, options.output);
      const written = await writeSite(dir, assets, data.files);
      const seconds = (Date.now() - started) / 1000;
      for (const warning of data.warnings) context.io.err(`ghml report: ${warning}`);
      if (options.json) {
        context.io.out(
          JSON.stringify({
            output: dir,
            runs: data.runs,
            seriesFiles: data.seriesFiles,
            dataFiles: written.dataFiles,
            dataBytes: written.dataBytes,
            pageBytes: written.pageBytes,
            seconds,
            warnings: data.warnings,
          }),
        );
      } else {
        context.io.out(
          `wrote ${options.output}: ${data.runs} run(s), ${data.seriesFiles} with full metric series, ` +
            `${written.dataFiles} data files (${formatBytes(written.dataBytes)}) in ${seconds.toFixed(1)} s`,
        );
      }
    });
}
