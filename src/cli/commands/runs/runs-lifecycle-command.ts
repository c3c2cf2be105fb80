/**
 * `ghml runs delete|restore|tag|rename`: MLflow's run lifecycle on the tracking branch. Each
 * change is an event (history is never rewritten); `runs list` hides deleted runs unless
 * `--view deleted|all` asks for them.
 */
import type { Command } from 'commander';
import { UsageError } from '../../../errors/ghml-error.js';
import { changeRun, type RunChange } from '../../../tracking/run-change.js';
import { runJsonView } from '../../../tracking/run-json-view.js';
import { openRepository, refreshRuns } from '../../open-repository.js';
import type { CommandContext } from '../../program.js';

interface ChangeOptions {
  json?: boolean;
  push: boolean;
  fetch: boolean;
}

function describe(change: RunChange, id: string): [done: string, already: string] {
  switch (change.kind) {
    case 'delete':
      return [
        `deleted run ${id} (\`ghml runs restore ${id}\` brings it back)`,
        `run ${id} is already deleted`,
      ];
    case 'restore':
      return [`restored run ${id}`, `run ${id} is not deleted`];
    case 'tag':
      return change.value === null
        ? [`removed tag '${change.key}' from run ${id}`, `run ${id} has no tag '${change.key}'`]
        : [
            `tagged run ${id}: ${change.key}=${change.value}`,
            `run ${id} already has ${change.key}=${change.value}`,
          ];
    case 'rename':
      return [
        `renamed run ${id} to '${change.name}'`,
        `run ${id} is already named '${change.name}'`,
      ];
  }
}

function addChangeOptions(command: Command): Command {
  return command
    .option('--json', 'print the run as JSON afterwards')
    .option('--no-push', 'record the change locally only (`ghml push` sends it later)')
    .option('--no-fetch', 'do not fetch the tracking branch first');
}

export function registerRunsLifecycleCommands(runs: Command, context: CommandContext): void {
  const apply = async (query: string, change: RunChange, options: ChangeOptions): Promise<void> => {
    const repo = await openRepository(context.cwd);
    if (options.fetch) await refreshRuns(repo, (message) => context.io.err(message));
    const result = await changeRun(repo, query, change, { push: options.push });
    const [done, already] = describe(change, result.run.id);
    if (result.push?.problem) context.io.err(`ghml: warning: ${result.push.problem}`);
    if (options.json) {
      context.io.out(
        JSON.stringify(
          {
            ...runJsonView(result.run.record),
            deleted: result.run.deleted ?? false,
            changed: result.changed,
          },
          null,
          2,
        ),
      );
    } else {
      context.io.out(result.changed ? done : already);
    }
  };

  addChangeOptions(
    runs
      .command('delete')
      .description('hide a run from listings (MLflow delete_run); restorable')
      .argument('<run-id>', 'run id or a unique prefix of it'),
  ).action((id: string, options: ChangeOptions) => apply(id, { kind: 'delete' }, options));

  addChangeOptions(
    runs
      .command('restore')
      .description('bring back a deleted run (MLflow restore_run)')
      .argument('<run-id>', 'run id or a unique prefix of it'),
  ).action((id: string, options: ChangeOptions) => apply(id, { kind: 'restore' }, options));

  addChangeOptions(
    runs
      .command('tag')
      .description('set a tag on a run, or remove it with --delete (MLflow set_tag / delete_tag)')
      .argument('<run-id>', 'run id or a unique prefix of it')
      .argument('<key>', 'tag key')
      .argument('[value]', 'tag value (omit with --delete)')
      .option('--delete', 'remove the tag instead of setting it'),
  ).action(
    (
      id: string,
      key: string,
      value: string | undefined,
      options: ChangeOptions & { delete?: boolean },
    ) => {
      if (options.delete === true && value !== undefined) {
        throw new UsageError(`--delete removes tag '${key}': give no value`, {
          hint: `ghml runs tag ${id} ${key} --delete`,
        });
      }
      if (options.delete !== true && value === undefined) {
        throw new UsageError(`no value for tag '${key}'`, {
          hint: `ghml runs tag ${id} ${key} <value>, or --delete to remove it`,
        });
      }
      return apply(
        id,
        { kind: 'tag', key, value: options.delete === true ? null : (value as string) },
        options,
      );
    },
  );

  addChangeOptions(
    runs
      .command('rename')
      .description("set a run's name (MLflow's run name)")
      .argument('<run-id>', 'run id or a unique prefix of it')
      .argument('<name>', 'the new name'),
  ).action((id: string, name: string, options: ChangeOptions) =>
    apply(id, { kind: 'rename', name }, options),
  );
}
