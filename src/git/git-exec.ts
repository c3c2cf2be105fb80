/**
 * The single place git processes are started. No shell is ever involved: arguments go to
 * git as an array, so names and paths from pull requests cannot inject commands.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { GitCommandError } from './git-errors.js';

/** What a finished git process produced. stdout stays binary: blobs are bytes. */
export interface RawGitResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}

export interface RawExecOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
}

/**
 * The environment every git call gets: never prompt for credentials (CI would hang),
 * and C locale so messages can be matched.
 */
export function gitEnvironment(
  base: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  return { ...env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...extra };
}

/** Starts a long-lived git process with piped stdio (for cat-file --batch, mktree --batch). */
export function spawnGit(
  cwd: string,
  args: readonly string[],
  baseEnv: NodeJS.ProcessEnv,
  extraEnv: Record<string, string> = {},
): ChildProcess {
  return spawn('git', [...args], {
    cwd,
    env: gitEnvironment(baseEnv, extraEnv),
    stdio: ['pipe', 'pipe', 'pipe'],
    shell: false,
    windowsHide: true,
  });
}

/** Runs git to completion. Never throws for a non-zero exit; throws if git cannot start. */
export function execGitRaw(
  cwd: string,
  args: readonly string[],
  baseEnv: NodeJS.ProcessEnv,
  options: RawExecOptions = {},
): Promise<RawGitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...args], {
      cwd,
      env: gitEnvironment(baseEnv, options.env),
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      reject(
        new GitCommandError(args, null, error.message, {
          hint: 'make sure git is installed and on PATH, and that the folder exists',
          cause: error,
        }),
      );
    });
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out),
        stderr: signal ? `${stderr}killed by ${signal}` : stderr,
      });
    });
    if (options.input !== undefined && child.stdin) {
      // git may exit before reading all input (e.g. on a bad argument): ignore EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

/** A long-lived git process (see `startBatchGit`). */
export interface BatchGit {
  child: ChildProcess;
  /** Settles when the process has ended (or could not start); never rejects. */
  exited: Promise<void>;
}

/**
 * Starts a long-lived plumbing process (cat-file --batch, mktree --batch): stdout goes to
 * `onStdout`, stderr is kept for the error, and `onEnd` gets a GitCommandError once the
 * process ends or fails to start. Pending requests are the caller's to reject there.
 */
export function startBatchGit(
  cwd: string,
  args: readonly string[],
  baseEnv: NodeJS.ProcessEnv,
  onStdout: (chunk: Buffer) => void,
  onEnd: (error: GitCommandError) => void,
): BatchGit {
  const child = spawnGit(cwd, args, baseEnv);
  let stderr = '';
  child.stdout?.on('data', onStdout);
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  // Writes after git exited (EPIPE) surface through onEnd, not as unhandled errors.
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      onEnd(new GitCommandError(args, null, error.message, { cause: error }));
      resolve();
    });
    child.on('close', (code) => {
      onEnd(new GitCommandError(args, code, stderr || `git ${args[0] ?? ''} exited early`));
      resolve();
    });
  });
  return { child, exited };
}
