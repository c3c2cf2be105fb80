/**
 * Real git repositories in temp folders for tests: `git init` with `main`, a test identity,
 * no gpg signing and no auto-gc. Everything is removed by `cleanup()`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const TEST_GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test User',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test User',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
} as const;

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...TEST_GIT_ENV },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

const created: string[] = [];

export function tempDir(prefix = 'ghml-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

function configure(dir: string): void {
  git(dir, 'config', 'user.name', 'Test User');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'commit.gpgsign', 'false');
  git(dir, 'config', 'tag.gpgsign', 'false');
  git(dir, 'config', 'gc.auto', '0');
}

/** A work-tree repository on `main`, optionally with a first commit. */
export function makeRepo(options: { commit?: boolean } = {}): string {
  const dir = tempDir('ghml-repo-');
  git(dir, 'init', '-q', '-b', 'main');
  configure(dir);
  if (options.commit ?? true) {
    writeFileSync(join(dir, 'README.md'), '# test\n');
    git(dir, 'add', 'README.md');
    git(dir, 'commit', '-q', '-m', 'initial');
  }
  return dir;
}

/** A bare repository that serves as `origin`, allowing partial-clone filters like GitHub. */
export function makeBareRemote(): string {
  const dir = tempDir('ghml-origin-');
  git(dir, 'init', '-q', '--bare', '-b', 'main');
  git(dir, 'config', 'uploadpack.allowFilter', 'true');
  git(dir, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  return dir;
}

/** Clones `remote` into a new folder and configures it for tests. */
export function cloneRepo(remote: string, extraArgs: string[] = []): string {
  const dir = tempDir('ghml-clone-');
  execFileSync('git', ['clone', '-q', ...extraArgs, `file://${remote}`, dir], {
    env: { ...process.env, ...TEST_GIT_ENV },
    stdio: 'ignore',
  });
  configure(dir);
  return dir;
}

/** Writes a file (creating folders) and commits it; returns the new commit sha. */
export function commitFile(
  repo: string,
  path: string,
  content: string,
  message = `edit ${path}`,
): string {
  const full = join(repo, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
  git(repo, 'add', path);
  git(repo, 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

/** Removes every folder made through this module; call from afterAll. */
export function cleanupTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
