/**
 * A tiny test-only GitRunner over execFile (no shell), for services tested before or without
 * the real git door (src/git/git.ts). Same environment rules: no prompts, C locale.
 */
import { execFile } from 'node:child_process';
import type { GitExecOptions, GitResult, GitRunner } from '../../src/git/git-runner.js';
import { TEST_GIT_ENV } from './temp-repo.js';

export class ExecGitRunner implements GitRunner {
  /** Every argument list run, in order, for asserting which commands were used. */
  readonly calls: string[][] = [];

  constructor(readonly cwd: string) {}

  async exec(args: readonly string[], options: GitExecOptions = {}): Promise<string> {
    const result = await this.tryExec(args, options);
    if (result.exitCode !== 0) {
      throw new Error(`git ${args.join(' ')} failed (${result.exitCode}): ${result.stderr.trim()}`);
    }
    return result.stdout;
  }

  tryExec(args: readonly string[], options: GitExecOptions = {}): Promise<GitResult> {
    this.calls.push([...args]);
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        [...args],
        {
          cwd: this.cwd,
          env: { ...process.env, ...TEST_GIT_ENV, LC_ALL: 'C', ...options.env },
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') {
            reject(error);
            return;
          }
          resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  }
}
