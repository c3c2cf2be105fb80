/**
 * `ghml log metric|param|tag|artifact`: logs into the run that `ghml run` opened, from a shell
 * step of the training command (it appends to GHML_EVENTS like ghml_log.py does).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GhmlError, UsageError } from '../../../errors/ghml-error.js';
import { appendEvents, loggedParam, type LogEvent } from '../../../tracking/ingest/event-file.js';
import { ParamChangedError } from '../../../tracking/ingest/ingest-errors.js';
import { copyArtifact } from '../../../tracking/ingest/ingest-artifact-copy.js';
import { parseNumberText } from '../../../tracking/run-limits.js';
import type { CommandContext } from '../../program.js';

class NoOpenRunError extends GhmlError {
  constructor() {
    super('no open run: GHML_EVENTS is not set', {
      hint: 'call `ghml log` from inside the command of `ghml run -- <command>` (e.g. a script it runs)',
      exitCode: 2,
    });
    this.name = 'NoOpenRunError';
  }
}

function eventsFile(env: NodeJS.ProcessEnv): string {
  const path = env.GHML_EVENTS;
  if (!path) throw new NoOpenRunError();
  return path;
}

function parseInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new UsageError(`${name} expects a whole number, got '${text}'`);
  return value;
}

export function registerLogCommand(program: Command, context: CommandContext): void {
  const log = program
    .command('log')
    .description('log into the open run (inside `ghml run -- ...`)');

  log
    .command('metric')
    .description('log one metric point')
    .argument('<key>')
    .argument('<value>', 'a number; NaN, Infinity and -Infinity are kept')
    .option('--step <n>', 'step (default: the next step of this key)')
    .option('--timestamp <ms>', 'milliseconds since the epoch (default: now)')
    .action(
      async (key: string, valueText: string, options: { step?: string; timestamp?: string }) => {
        const value = parseNumberText(valueText);
        if (value === undefined) {
          throw new UsageError(`metric '${key}' must be a number, got '${valueText}'`, {
            hint: 'log numbers only; use `ghml log tag` for text',
          });
        }
        const event: LogEvent = { type: 'metric', key, value };
        const step = parseInteger('--step', options.step);
        const timestamp = parseInteger('--timestamp', options.timestamp);
        if (step !== undefined) event.step = step;
        event.timestamp = timestamp ?? Date.now();
        await appendEvents(eventsFile(context.env), [event]);
      },
    );

  log
    .command('param')
    .description('log a param (params cannot change once logged: another value is an error)')
    .argument('<key>')
    .argument('<value>')
    .action(async (key: string, value: string) => {
      const events = eventsFile(context.env);
      // As ghml_log.log_param raises: a changed param fails here, not as a warning at the end.
      const previous = await loggedParam(events, key);
      if (previous !== undefined && previous !== value) {
        throw new ParamChangedError(key, previous, value);
      }
      await appendEvents(events, [{ type: 'param', key, value }]);
    });

  log
    .command('tag')
    .description('set a tag')
    .argument('<key>')
    .argument('<value>')
    .action(async (key: string, value: string) => {
      await appendEvents(eventsFile(context.env), [{ type: 'tag', key, value }]);
    });

  log
    .command('artifact')
    .description("copy a file or folder into the run's artifacts")
    .argument('<path>')
    .option('--path <folder>', 'folder inside the artifacts to put it in')
    .action(async (path: string, options: { path?: string }) => {
      const events = eventsFile(context.env);
      const dir = context.env.GHML_ARTIFACTS_DIR;
      if (!dir) throw new NoOpenRunError();
      const copied = await copyArtifact(resolve(context.cwd, path), dir, options.path);
      await appendEvents(
        events,
        copied.map((artifact): LogEvent => ({ type: 'artifact', path: artifact })),
      );
    });
}
