/**
 * The smallest view of the one door to git: run a git command in a repository. Services that
 * only need plain commands depend on this; `src/git/git.ts` implements it (with more methods).
 */
export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface GitExecOptions {
  /** Written to git's stdin. */
  input?: string | Buffer;
  /** Extra environment variables for this call. */
  env?: Record<string, string>;
}

export interface GitRunner {
  /** Absolute path of the work tree (or of the git dir for a bare repository). */
  readonly cwd: string;
  /** Runs git; returns stdout. Throws a GitCommandError (src/git) on a non-zero exit. */
  exec(args: readonly string[], options?: GitExecOptions): Promise<string>;
  /** Runs git and never throws for a non-zero exit. */
  tryExec(args: readonly string[], options?: GitExecOptions): Promise<GitResult>;
}
