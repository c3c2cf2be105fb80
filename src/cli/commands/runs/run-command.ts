/** `ghml run [options] -- <command...>` */
import type { Command } from 'commander';
import { UsageError } from '../../../errors/ghml-error.js';
import { parseParamOverride, type ParamOverride } from '../../../tracking/param-overrides.js';
import { runAndRecord } from '../../../tracking/run-session.js';
import { runJsonView } from '../../../tracking/run-json-view.js';
import { createGit } from '../../../git/git.js';
import { readPendingRuns, withPending } from './pending-uploads.js';
import { plural } from '../../../text/format-number.js';
import type { CommandContext } from '../../program.js';

/** Commander's collector for a repeatable `key=value` option (`--param`, `--matrix`). */
function keyValues(
  option: string,
  example: string,
): (text: string, previous: Record<string, string> | undefined) => Record<string, string> {
  return (text, previous) => {
    const at = text.indexOf('=');
    if (at <= 0)
      throw new UsageError(`${option} expects key=value, got '${text}'`, {
        hint: `e.g. ${option} ${example}`,
      });
    // defineProperty: a key such as "__proto__" stays a key (and is refused by name later).
    const out: Record<string, string> = { ...previous };
    Object.defineProperty(out, text.slice(0, at), {
      value: text.slice(at + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return out;
  };
}

const collectParam = keyValues('--param', 'lr=0.01');

function collectSetParam(text: string, previous: ParamOverride[] | undefined): ParamOverride[] {
  return [...(previous ?? []), parseParamOverride(text)];
}

interface RunOptions {
  mlflow: boolean;
  experiment?: string;
  name?: string;
  param?: Record<string, string>;
  setParam?: ParamOverride[];
  matrix?: Record<string, string>;
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
      'log a param the command does not read from a params file (repeatable)',
      collectParam,
    )
    .option(
      '-S, --set-param <[file:]key=value>',
      'set a param in params.yaml (or file) for this run, restored afterwards (repeatable)',
      collectSetParam,
    )
    .option(
      '--matrix <key=value>',
      'record a matrix value, as an Actions matrix job does, for local sweeps (repeatable)',
      keyValues('--matrix', 'model=rf'),
    )
    .option('--stdout-metrics', 'parse key=value lines on stdout as metrics (Katib style)')
    .option('--no-stdout-metrics', 'do not parse stdout even if ghml.yml asks to')
    .option('--no-push', 'keep the run on the local tracking branch')
    .option('--no-mlflow', "do not serve MLflow's tracking API to the command")
    .option(
      '--json',
      "print the recorded run as JSON on stdout when done (the command's stdout goes to stderr)",
    )
    .passThroughOptions()
    .action(async (command: string[], options: RunOptions) => {
      const result = await runAndRecord(
        {
          command,
          experiment: options.experiment,
          name: options.name,
          params: options.param ?? {},
          setParams: options.setParam,
          matrix: options.matrix,
          push: options.push,
          stdoutMetrics: options.stdoutMetrics,
          commandStdout: options.json ? 'stderr' : 'stdout',
          mlflow: options.mlflow,
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
      if (options.json) {
        // The same shape as `runs show --json`: files left waiting for the store say so.
        const pending = (await readPendingRuns(await gitDirOf(context.cwd, context.env))).get(
          run.id,
        );
        context.io.out(JSON.stringify(withPending(runJsonView(run), pending), null, 2));
      } else context.io.out(run.id);
      context.setExitCode(result.exitStatus);
    });
}

async function gitDirOf(cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return (await createGit(cwd, { env })).gitDir();
}
