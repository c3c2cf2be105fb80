/**
 * Runs the user's training command as a child process: argument array, never a shell; output
 * streamed straight through; SIGINT/SIGTERM forwarded so the run can be recorded as KILLED.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { GhmlError } from '../errors/ghml-error.js';

export class CommandNotFoundError extends GhmlError {
  readonly command: string;
  constructor(command: string) {
    super(`command not found: '${command}'`, {
      hint: 'check its spelling and that it is on PATH (e.g. `ghml run -- python3 train.py`)',
      exitCode: 127,
    });
    this.name = 'CommandNotFoundError';
    this.command = command;
  }
}

export interface CommandOutcome {
  /** Exit code, or null when the command ended by a signal. */
  exitCode: number | null;
  /** The signal that ended the command, or that ghml received and forwarded. */
  signal: NodeJS.Signals | null;
  /** True when ghml itself was interrupted (SIGINT/SIGTERM) while the command ran. */
  interrupted: boolean;
}

export interface TrainingCommandOptions {
  command: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Receives stdout chunks when set (stdout is then piped and copied to ours). */
  onStdout?: (chunk: Buffer) => void;
  /**
   * Where the command's stdout goes: ours (default), or our stderr, so that our stdout
   * carries only what ghml prints (`ghml run --json`).
   */
  stdoutTo?: 'stdout' | 'stderr';
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds a command the way execvp does; undefined when it cannot be run. */
export function resolveCommand(
  command: string,
  cwd: string,
  pathVar: string | undefined,
): string | undefined {
  if (command.includes('/')) {
    const full = isAbsolute(command) ? command : resolve(cwd, command);
    return isExecutableFile(full) ? full : undefined;
  }
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Starts the command and resolves when it has ended; never rejects for a non-zero exit. */
export async function runTrainingCommand(options: TrainingCommandOptions): Promise<CommandOutcome> {
  const [program, ...args] = options.command;
  if (program === undefined)
    throw new GhmlError('no command given', {
      hint: 'usage: ghml run -- <command...>',
      exitCode: 2,
    });
  if (!resolveCommand(program, options.cwd, options.env.PATH))
    throw new CommandNotFoundError(program);

  // Handlers go in before the command starts: it may print (and the user react) at once.
  let interrupted: NodeJS.Signals | null = null;
  let forceKillTimer: NodeJS.Timeout | undefined;
  const running: { child?: ChildProcess } = {};
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      running.child?.kill('SIGKILL');
      return;
    }
    interrupted = signal;
    running.child?.kill(signal);
    // A command that ignores the signal is killed after a grace period.
    forceKillTimer = setTimeout(() => running.child?.kill('SIGKILL'), 10_000);
    forceKillTimer.unref();
  };
  for (const signal of FORWARDED) process.on(signal, onSignal);

  const toStderr = options.stdoutTo === 'stderr';
  const started = spawn(program, args, {
    cwd: options.cwd,
    env: options.env,
    // fd 2: the command writes straight to our stderr.
    stdio: ['inherit', options.onStdout ? 'pipe' : toStderr ? 2 : 'inherit', 'inherit'],
  });
  running.child = started;
  if (interrupted) started.kill(interrupted);

  if (options.onStdout && started.stdout) {
    const onStdout = options.onStdout;
    const copy = toStderr ? process.stderr : process.stdout;
    started.stdout.on('data', (chunk: Buffer) => {
      copy.write(chunk);
      onStdout(chunk);
    });
  }

  try {
    return await new Promise<CommandOutcome>((resolvePromise, reject) => {
      started.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') reject(new CommandNotFoundError(program));
        else
          reject(new GhmlError(`could not start '${program}': ${error.message}`, { cause: error }));
      });
      started.once('close', (code, signal) => {
        resolvePromise({
          exitCode: code,
          signal: interrupted ?? signal,
          interrupted: interrupted !== null,
        });
      });
    });
  } finally {
    if (forceKillTimer) clearTimeout(forceKillTimer);
    for (const signal of FORWARDED) process.off(signal, onSignal);
  }
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGTERM: 15,
};

/** The exit status a shell would report for this outcome (128 + signal number for signals). */
export function shellExitStatus(outcome: CommandOutcome): number {
  if (outcome.interrupted && outcome.signal) return 128 + (SIGNAL_NUMBERS[outcome.signal] ?? 15);
  if (outcome.exitCode !== null) return outcome.exitCode;
  return 128 + (outcome.signal ? (SIGNAL_NUMBERS[outcome.signal] ?? 15) : 1);
}
