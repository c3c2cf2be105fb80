/**
 * A test-only GitRunner over execFile (the real one lives in src/git), plus helpers to make
 * registry tags directly with git for setting up scenarios.
 */
import { execFile, execFileSync } from 'node:child_process';
import type { GitExecOptions, GitResult, GitRunner } from '../../../src/git/git-runner.js';
import { TEST_GIT_ENV, git } from '../../support/temp-repo.js';

export class ExecGitRunner implements GitRunner {
  /** Every argument list run, for tests that count git calls. */
  readonly calls: string[][] = [];

  constructor(
    readonly cwd: string,
    private readonly env: Record<string, string> = {},
  ) {}

  tryExec(args: readonly string[], options: GitExecOptions = {}): Promise<GitResult> {
    this.calls.push([...args]);
    return new Promise((resolve) => {
      const child = execFile(
        'git',
        [...args],
        {
          cwd: this.cwd,
          env: { ...process.env, ...TEST_GIT_ENV, ...this.env, ...options.env },
          maxBuffer: 1 << 30,
          encoding: 'utf8',
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ exitCode: code, stdout, stderr });
        },
      );
      // git may exit before reading stdin; that is not an error here.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.input ?? '');
    });
  }

  async exec(args: readonly string[], options: GitExecOptions = {}): Promise<string> {
    const result = await this.tryExec(args, options);
    if (result.exitCode !== 0) {
      throw new Error(`git ${args.join(' ')} failed (${result.exitCode}): ${result.stderr.trim()}`);
    }
    return result.stdout;
  }
}

/** Creates an annotated tag with git directly, with a fixed tagger date (unix seconds). */
export function annotatedTag(
  repo: string,
  tag: string,
  commit: string,
  date: number,
  message = `by hand ${tag}`,
): void {
  execFileSync('git', ['tag', '-a', '--no-sign', '-m', message, tag, commit], {
    cwd: repo,
    env: { ...process.env, ...TEST_GIT_ENV, GIT_COMMITTER_DATE: `${date} +0000` },
    stdio: 'ignore',
  });
}

/** All tags of a repo as 'name object' lines, sorted (to compare two repos). */
export function tagListing(repo: string): string {
  return git(
    repo,
    'for-each-ref',
    '--format=%(refname:short) %(objecttype) %(*objectname)',
    'refs/tags',
  );
}
