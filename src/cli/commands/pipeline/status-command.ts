/** `ghml status [stage...]`: why pipeline stages would run, as `dvc status` says it. */
import type { Command } from 'commander';
import { pipelineStatus } from '../../../pipeline/pipeline-service.js';
import { formatStatus } from '../../../pipeline/state/status-report.js';
import type { CommandContext } from '../../program.js';

export function registerStatusCommand(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description('show which pipeline stages changed and why (changed command, deps, params, outs)')
    .argument('[stages...]', 'stages to check (default: all)')
    .option('--json', 'print the changes as JSON on stdout')
    .option('-q, --quiet', 'print nothing; exit 1 when a stage changed')
    .action(async (stages: string[], options: { json?: boolean; quiet?: boolean }) => {
      const status = await pipelineStatus(stages, {
        cwd: context.cwd,
        env: context.env,
        log: (message) => context.io.err(message),
      });
      const changed = status.filter(([, entries]) => entries.length > 0);
      if (options.quiet) {
        context.setExitCode(changed.length > 0 ? 1 : 0);
        return;
      }
      if (options.json) {
        context.io.out(JSON.stringify(Object.fromEntries(changed), null, 2));
        return;
      }
      context.io.out(
        changed.length > 0 ? formatStatus(changed) : 'Data and pipelines are up to date.',
      );
    });
}
