/** `ghml push`: sends runs recorded offline (or whose push failed) to the remote. */
import type { Command } from 'commander';
import { GhmlError } from '../../errors/ghml-error.js';
import { openRepository } from '../open-repository.js';
import type { CommandContext } from '../program.js';

export function registerPushCommand(program: Command, context: CommandContext): void {
  program
    .command('push')
    .description('push runs recorded locally (offline, --no-push, or after a failed push)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const repo = await openRepository(context.cwd);
      const remote = repo.config.tracking.remote;
      if (!(await repo.git.hasRemote(remote))) {
        throw new GhmlError(`no remote '${remote}' to push to`, {
          hint: `add one with \`git remote add ${remote} <url>\`, or set tracking.remote in ghml.yml`,
        });
      }
      await repo.store.fetch();
      const pending = await repo.store.unpushedRunIds();
      const result = await repo.store.push();
      if (options.json) {
        context.io.out(
          JSON.stringify({
            pushed: result.pushed,
            runs: pending,
            attempts: result.attempts,
            tip: result.tip ?? null,
          }),
        );
      } else if (result.pushed === 0 && pending.length === 0) {
        context.io.out(`nothing to push: ${remote} has every run`);
      } else {
        context.io.out(
          `pushed ${result.pushed} run(s) to ${remote}/${repo.config.tracking.branch}`,
        );
      }
    });
}
