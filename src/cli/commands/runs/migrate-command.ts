/** `ghml migrate`: converts a format-1 tracking branch to format 2 (docs/storage-format.md). */
import type { Command } from 'commander';
import { openRepository } from '../../open-repository.js';
import type { CommandContext } from '../../program.js';

export function registerMigrateCommand(program: Command, context: CommandContext): void {
  program
    .command('migrate')
    .description('convert the tracking branch to storage format 2, in one atomic push')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const repo = await openRepository(context.cwd);
      const { remote, branch } = repo.config.tracking;
      const hasRemote = await repo.git.hasRemote(remote);
      const result = await repo.store.migrate(hasRemote);
      if (options.json) {
        context.io.out(JSON.stringify(result));
        return;
      }
      if (!result.migrated) {
        context.io.out(
          result.tip === undefined
            ? `there is no tracking branch '${branch}' yet: new branches start in format 2`
            : `'${branch}' already uses format 2: nothing to do`,
        );
        return;
      }
      const where = result.pushed ? `${remote}/${branch}` : branch;
      context.io.out(
        `migrated ${where} to format 2: ${result.runs} runs and ${result.events} events in ${result.segments} segment(s)` +
          (result.attempts > 1
            ? ` (started again ${result.attempts - 1} time(s): others were pushing)`
            : ''),
      );
      if (result.leftOpen > 0) {
        context.io.out(
          `${result.leftOpen} run folder(s) could not be read and were kept as they are (see the warnings above)`,
        );
      }
    });
}
