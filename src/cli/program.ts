/**
 * Builds the `ghml` command tree. Each command lives in src/cli/commands/…/<name>-command.ts and
 * is loaded only when asked for: `ghml model list` loads the model command's code and not the
 * MLflow server's, the pipeline's or the report site's, so a short command starts fast. Help,
 * or a command line naming no known command, loads them all.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { CliIo } from './cli-io.js';

export interface CommandContext {
  io: CliIo;
  /** Environment the command sees (process.env in production). */
  env: NodeJS.ProcessEnv;
  /** Working directory (process.cwd() in production). */
  cwd: string;
  /** Set by a command to choose the process exit status (e.g. the training command's). */
  setExitCode(code: number): void;
}

type Register = (program: Command, context: CommandContext) => void;

/** Every command, by name, with the loader of its module (one chunk each in dist/). */
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./commands/runs/run-command.js')).registerRunCommand,
  log: async () => (await import('./commands/runs/log-command.js')).registerLogCommand,
  runs: async () => (await import('./commands/runs/runs-command.js')).registerRunsCommand,
  push: async () => (await import('./commands/runs/push-command.js')).registerPushCommand,
  migrate: async () => (await import('./commands/runs/migrate-command.js')).registerMigrateCommand,
  gc: async () => (await import('./commands/runs/gc-command.js')).registerGcCommand,
  compare: async () => (await import('./commands/compare-command.js')).registerCompareCommand,
  model: async () => (await import('./commands/model-command.js')).registerModelCommand,
  deploy: async () => (await import('./commands/deploy-command.js')).registerDeployCommand,
  repro: async () => (await import('./commands/pipeline/repro-command.js')).registerReproCommand,
  status: async () => (await import('./commands/pipeline/status-command.js')).registerStatusCommand,
  dag: async () => (await import('./commands/pipeline/dag-command.js')).registerDagCommand,
  pipeline: async () =>
    (await import('./commands/pipeline/pipeline-command.js')).registerPipelineCommand,
  report: async () => (await import('./commands/report-command.js')).registerReportCommand,
  ui: async () => (await import('./commands/ui-command.js')).registerUiCommand,
  init: async () => (await import('./commands/init-command.js')).registerInitCommand,
  demo: async () => (await import('./commands/demo-command.js')).registerDemoCommand,
  server: async () => (await import('./commands/server-command.js')).registerServerCommand,
};

/** Global options that take a value (their value is not the command's name). */
const VALUE_OPTIONS = new Set(['-C', '--repo']);

/**
 * The commands a command line needs: the one it names, or every command when it names none
 * (help, an unknown command); none for a bare `--version`.
 */
export function commandsFor(argv: readonly string[]): string[] {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) {
      if ((arg === '-V' || arg === '--version') && args.length === 1) return [];
      continue;
    }
    return Object.hasOwn(COMMANDS, arg) ? [arg] : Object.keys(COMMANDS);
  }
  return Object.keys(COMMANDS);
}

export async function buildProgram(
  context: CommandContext,
  version: string,
  argv?: readonly string[],
): Promise<Command> {
  const program = new Command('ghml')
    .description('A GitHub repository as the whole ML platform.')
    .version(version)
    .option('-C, --repo <dir>', 'run as if ghml was started in <dir>')
    .showHelpAfterError('(run ghml --help for usage)')
    .configureOutput({
      writeOut: (text) => context.io.out(text.replace(/\n$/, '')),
      writeErr: (text) => context.io.err(text.replace(/\n$/, '')),
    })
    .enablePositionalOptions()
    .exitOverride();
  // --repo applies to every command: it changes the folder commands run in.
  program.hook('preAction', (command) => {
    const repo = command.optsWithGlobals<{ repo?: string }>().repo;
    if (repo) context.cwd = resolve(context.cwd, repo);
  });
  const names = argv === undefined ? Object.keys(COMMANDS) : commandsFor(argv);
  const registers = await Promise.all(
    names.map((name) => (COMMANDS[name] as () => Promise<Register>)()),
  );
  for (const register of registers) register(program, context);
  return program;
}
