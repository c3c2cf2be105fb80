/**
 * The porcelain half of the git door, on simple-git: remotes, fetch (with its error parsing),
 * and log. simple-git refuses to run at all when the environment holds variables such as
 * EDITOR, PAGER, GIT_ASKPASS, GIT_SSH_COMMAND or GIT_EXEC_PATH, unless told otherwise; CI
 * runners, IDEs and git hooks set exactly those. They are the user's own choices, which git
 * would honour anyway, and ghml never puts a value from a pull request into git's config or
 * options, so the checks for them are turned off here (and only those).
 *
 * Pushes stay on the raw door (git.ts): simple-git's push result keeps only the refs that were
 * accepted, and the tracking-branch protocol needs each refused ref with its reason.
 */
import { simpleGit, type SimpleGit } from 'simple-git';
import { gitEnvironment } from './git-exec.js';

/** A simple-git instance for `cwd` with ghml's environment (no prompts, C locale). */
export function porcelainGit(cwd: string, env: NodeJS.ProcessEnv): SimpleGit {
  return simpleGit({
    baseDir: cwd,
    trimmed: false,
    unsafe: {
      allowUnsafeEditor: true,
      allowUnsafePager: true,
      allowUnsafeAskPass: true,
      allowUnsafeSshCommand: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeConfigEnvCount: true,
    },
  }).env(gitEnvironment(env));
}

/** Why simple-git failed, as git said it (its errors carry git's stderr as their message). */
export function porcelainErrorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
