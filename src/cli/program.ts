/** Builds the `ghml` command tree. Each command lives in src/cli/commands/<name>-command.ts. */
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

export function buildProgram(context: CommandContext, version: string): Command {
  const program = new Command('ghml')
    .description('A GitHub repository as the whole ML platform.')
    .version(version)
    .option('-C, --repo <dir>', 'run as if ghml was started in <dir>')
    .showHelpAfterError('(run ghml --help for usage)')
    .configureOutput({
      writeOut: (text) => context.io.out(text.replace(/\n$/, '')),
      writeErr: (text) => context.io.err(text.replace(/\n$/, '')),
    })
    .exitOverride();
  void program;
  return program;
}
