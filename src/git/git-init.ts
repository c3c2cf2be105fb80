/** Creates a new repository (for `ghml demo` and `ghml init` in an empty folder). */
import { GitCommandError } from './git-errors.js';
import { execGitRaw } from './git-exec.js';
import { createGit, type Git } from './git.js';

/** `git init -b <branch>` in `dir` (which must exist), then opens it. */
export async function initRepository(
  dir: string,
  branch = 'main',
  env: NodeJS.ProcessEnv = process.env,
): Promise<Git> {
  const args = ['init', '-q', '-b', branch];
  const result = await execGitRaw(dir, args, env);
  if (result.exitCode !== 0) throw new GitCommandError(args, result.exitCode, result.stderr);
  return createGit(dir, { env });
}
