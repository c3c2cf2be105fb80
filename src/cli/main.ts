/** Entry point of the `ghml` command. The only place that sets the process exit status. */
import { CommanderError } from 'commander';
import { describeError, GhmlError } from '../errors/ghml-error.js';
import { processIo } from './cli-io.js';
import { buildProgram } from './program.js';

declare const GHML_VERSION: string | undefined;

async function main(argv: string[]): Promise<number> {
  const io = processIo();
  let exitCode = 0;
  const program = await buildProgram(
    { io, env: process.env, cwd: process.cwd(), setExitCode: (code) => (exitCode = code) },
    typeof GHML_VERSION === 'string' ? GHML_VERSION : '0.0.0-dev',
    argv,
  );
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    io.err(`ghml: ${describeError(error)}`);
    return error instanceof GhmlError ? error.exitCode : 1;
  }
}

process.exitCode = await main(process.argv);
