/** Builds the `ghml` command tree. Each command lives in src/cli/commands/<name>-command.ts. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { registerCompareCommand } from './commands/compare-command.js';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerDagCommand } from './commands/pipeline/dag-command.js';
import { registerDeployCommand } from './commands/deploy-command.js';
import { registerInitCommand } from './commands/init-command.js';
import { registerLogCommand } from './commands/runs/log-command.js';
import { registerGcCommand } from './commands/runs/gc-command.js';
import { registerMigrateCommand } from './commands/runs/migrate-command.js';
import { registerModelCommand } from './commands/model-command.js';
import { registerPipelineCommand } from './commands/pipeline/pipeline-command.js';
import { registerPushCommand } from './commands/runs/push-command.js';
import { registerReportCommand } from './commands/report-command.js';
import { registerReproCommand } from './commands/pipeline/repro-command.js';
import { registerRunCommand } from './commands/runs/run-command.js';
import { registerRunsCommand } from './commands/runs/runs-command.js';
import { registerServerCommand } from './commands/server-command.js';
import { registerStatusCommand } from './commands/pipeline/status-command.js';
import { registerUiCommand } from './commands/ui-command.js';

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
    .enablePositionalOptions()
    .exitOverride();
  // --repo applies to every command: it changes the folder commands run in.
  program.hook('preAction', (command) => {
    const repo = command.optsWithGlobals<{ repo?: string }>().repo;
    if (repo) context.cwd = resolve(context.cwd, repo);
  });
  registerRunCommand(program, context);
  registerLogCommand(program, context);
  registerRunsCommand(program, context);
  registerPushCommand(program, context);
  registerMigrateCommand(program, context);
  registerGcCommand(program, context);
  registerCompareCommand(program, context);
  registerModelCommand(program, context);
  registerDeployCommand(program, context);
  registerReproCommand(program, context);
  registerStatusCommand(program, context);
  registerDagCommand(program, context);
  registerPipelineCommand(program, context);
  registerReportCommand(program, context);
  registerUiCommand(program, context);
  registerInitCommand(program, context);
  registerDemoCommand(program, context);
  registerServerCommand(program, context);
  return program;
}
