/** `ghml repro [stage...]`: bring pipeline stages up to date (DVC's `dvc repro`). */
import type { Command } from 'commander';
import { UsageError } from '../../../errors/ghml-error.js';
import { reproducePipeline } from '../../../pipeline/pipeline-service.js';
import { plural } from '../../../text/format-number.js';
import type { CommandContext } from '../../program.js';

interface ReproOptions {
  jobs: string;
  force?: boolean;
  dry?: boolean;
  keepGoing?: boolean;
  singleItem?: boolean;
  push: boolean;
  pipelineRunId?: string;
}

export function parseJobs(text: string): number {
  const jobs = Number(text);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) {
    throw new UsageError(
      `--jobs must be a whole number from 1 to 256, got '${text.slice(0, 40)}'`,
      {
        hint: 'e.g. ghml repro -j 4',
      },
    );
  }
  return jobs;
}

export function registerReproCommand(program: Command, context: CommandContext): void {
  program
    .command('repro')
    .description('run the pipeline stages whose command, deps or params changed, in DAG order')
    .argument(
      '[stages...]',
      'stages to bring up to date, with their upstream stages (default: all)',
    )
    .option('-j, --jobs <n>', 'run up to n independent stages at once', '1')
    .option('-f, --force', 'run the stages even when nothing changed')
    .option('--dry', 'say what would run or be restored, run nothing')
    .option('-k, --keep-going', 'after a failure, go on with the stages that do not depend on it')
    .option(
      '-s, --single-item',
      'run only the named stages; their upstream stages are restored from the cache, never run',
    )
    .option('--no-push', 'keep the stage runs on the local tracking branch')
    .option(
      '--pipeline-run-id <id>',
      'group the stage runs under this id (default: GHML_PIPELINE_RUN_ID, else new)',
    )
    .action(async (stages: string[], options: ReproOptions) => {
      const result = await reproducePipeline(
        {
          stages,
          jobs: parseJobs(options.jobs),
          force: options.force ?? false,
          dry: options.dry ?? false,
          keepGoing: options.keepGoing ?? false,
          singleItem: options.singleItem ?? false,
          push: options.push,
          pipelineRunId: options.pipelineRunId,
        },
        { cwd: context.cwd, env: context.env, log: (message) => context.io.err(message) },
      );
      const counts = new Map<string, number>();
      for (const stage of result.stages)
        counts.set(stage.outcome, (counts.get(stage.outcome) ?? 0) + 1);
      const summary = [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
      context.io.err(
        `ghml: pipeline run ${result.pipelineRunId}: ${plural(result.stages.length, 'stage')} (${summary})`,
      );
      if (result.interrupted) context.setExitCode(130);
      else if (result.failed) context.setExitCode(1);
    });
}
