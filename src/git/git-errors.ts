/** Typed errors of the git door. Everything git reports reaches the user through these. */
import { GhmlError } from '../errors/ghml-error.js';
import { stripTerminalEscapes } from '../text/plain-text.js';

/**
 * Trims git's stderr to its meaningful last lines, for messages. It carries what a remote's
 * hooks print, so terminal escapes and other control characters are removed from each line.
 */
export function summarizeStderr(stderr: string, maxLines = 4): string {
  const lines = stderr
    .split('\n')
    .map((line) => stripTerminalEscapes(line).trimEnd())
    .filter((line) => line.length > 0);
  return lines.slice(-maxLines).join('\n');
}

/** A git command exited with a non-zero status (or could not be started). */
export class GitCommandError extends GhmlError {
  /** Arguments git was called with (without the leading `git`). */
  readonly args: readonly string[];
  /** git's exit status; null when git could not be started. (`exitCode` is the CLI's.) */
  readonly gitExitCode: number | null;
  readonly stderr: string;

  constructor(
    args: readonly string[],
    exitCode: number | null,
    stderr: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    const reason = summarizeStderr(stderr) || `exit status ${String(exitCode)}`;
    super(`git ${args[0] ?? ''} failed: ${reason}`, {
      hint: options.hint ?? `the full command was: git ${args.join(' ')}`,
      cause: options.cause,
    });
    this.name = 'GitCommandError';
    this.args = args;
    this.gitExitCode = exitCode;
    this.stderr = stderr;
  }
}

/** The folder is not inside a git repository. */
export class NotARepositoryError extends GhmlError {
  readonly dir: string;
  constructor(dir: string) {
    super(`not a git repository: '${dir}'`, {
      hint: 'run ghml inside a repository or pass --repo',
    });
    this.name = 'NotARepositoryError';
    this.dir = dir;
  }
}

/** HEAD does not point at a commit yet. */
export class NoCommitsError extends GhmlError {
  constructor() {
    super('this repository has no commits yet', {
      hint: 'commit your code first: ghml records the commit a run trained on',
    });
    this.name = 'NoCommitsError';
  }
}

/** A value that would be unsafe to hand to git (e.g. a newline in an object name). */
export class InvalidGitArgumentError extends GhmlError {
  readonly value: string;
  constructor(what: string, value: string) {
    super(`invalid ${what}: '${value}'`, {
      hint: 'object names, paths and ref names may not contain newlines or NUL bytes',
      exitCode: 2,
    });
    this.name = 'InvalidGitArgumentError';
    this.value = value;
  }
}
