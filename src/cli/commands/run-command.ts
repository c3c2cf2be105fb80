/** `ghml run [options] -- <command...>` */
import type { Command } from 'commander';
import { UsageError } from '../../errors/ghml-error.js';
import { runAndRecord } from '../../tracking/run-session.js';
import { runJsonView } from '../../tracking/run-json-view.js';
import { plural } from '../../text/format-number.js';
import type { CommandContext } from '../program.js';

export function collectKeyValue(
  text: string,
  previous: Record<string, string> | undefined,
): Record<string, string> {
  const at = text.indexOf('=');
  if (at <= 0)
    throw new UsageError(`--param expects key=value, got '${text}'`, {
      hint: 'e.g. --param lr=0.01',
    });
  return { ...previous, [text.slice(0, at)]: text.slice(at + 1) };
}

interface RunOptions {
  experiment?: string;
  name?: string;
  param?: Record<string, string>;
  push: boolean;
  stdoutMetrics?: boolean;
  json?: boolean;
}

export function registerRunCommand(program: Command, context: CommandContext): void {
  program
    .command('run')
    .description('run a training command and record it as a run on the tracking branch')
    .argument('<command...>', 'the training command, after --')
    .option(
      '-e, --experiment <name>',
      'experiment to record the run in (default: GHML_EXPERIMENT, then ghml.yml)',
    )
    .option('-n, --name <name>', 'a human name for the run')
    .option(
      '-p, --param <key=value>',
      'log a param before the command starts (repeatable)',
      collectKeyValue,
    )
    .option('--stdout-metrics', 'parse key=value lines on stdout as metrics (Katib style)')
    .option('--no-stdout-metrics', 'do not parse stdout even if ghml.yml asks to')
    .option('--no-push', 'keep the run on the local tracking branch')
    .option('--json', 'print the recorded run as JSON on stdout when done')
    .passThroughOptions()
    .action(async (command: string[], options: RunOptions) => {
      const result = await runAndRecord(
        {
          command,
          experiment: options.experiment,
          name: options.name,
          params: options.param ?? {},
          push: options.push,
          stdoutMetrics: options.stdoutMetrics,
        },
        { cwd: context.cwd, env: context.env, log: (message) => context.io.err(message) },
      );
      const run = result.record;
      const counts = [
        plural(Object.keys(run.params).length, 'param'),
        plural(Object.keys(run.metrics).length, 'metric'),
        plural(run.artifacts.length, 'artifact'),
      ];
      context.io.err(
        `ghml: run ${run.id} ${run.status} (experiment ${run.experiment}, ${counts.join(', ')})`,
      );
      if (result.pushed) {
        const { pushed, attempts } = result.pushed;
        context.io.err(`ghml: pushed ${plural(pushed, 'run')} (${plural(attempts, 'attempt')})`);
      } else if (result.pushProblem) {
        context.io.err(`ghml: ${result.pushProblem}`);
      }
      if (options.json) context.io.out(JSON.stringify(runJsonView(run), null, 2));
      else context.io.out(run.id);
      context.setExitCode(result.exitStatus);
    });
}
