/**
 * Base class of every error ghml reports to a user. The message says what went wrong and
 * quotes the bad value; `hint` says what to do about it. Entry points print both and map
 * `exitCode` to the process exit status.
 */
export class GhmlError extends Error {
  /** What the user should do next, e.g. "run ghml inside a repository or pass --repo". */
  readonly hint: string | undefined;
  /** Exit status the CLI uses for this error (2 = usage/input, 1 = everything else). */
  readonly exitCode: number;

  constructor(
    message: string,
    options: { hint?: string; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GhmlError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Bad input from the user: a malformed flag, name, value or file. Exit status 2. */
export class UsageError extends GhmlError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
    this.name = 'UsageError';
  }
}

/** Formats an error for a terminal or a log: the message, then the hint on its own line. */
export function describeError(error: unknown): string {
  if (error instanceof GhmlError) {
    return error.hint ? `${error.message}\n  hint: ${error.hint}` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
