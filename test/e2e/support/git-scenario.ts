/**
 * A bare "origin" shaped like a GitHub repository (main, PR head refs, PR merge refs) and the
 * checkout `actions/checkout` makes of it with its defaults: a depth-1 fetch of one commit,
 * checked out detached (the PR merge commit on pull_request events).
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { git, makeBareRemote, tempDir } from '../../support/temp-repo.js';

export interface Origin {
  /** Path of the bare repository. */
  bare: string;
  /** A full clone used to make commits, as developers would push them. */
  dev: string;
}

/** A bare origin whose main holds `files` (plus what `copyDir` adds). */
export function makeOrigin(files: Record<string, string>, copyDir?: string): Origin {
  const bare = makeBareRemote();
  const dev = tempDir('ghml-dev-');
  git(dev, 'init', '-q', '-b', 'main');
  for (const [key, value] of [
    ['user.name', 'Dev'],
    ['user.email', 'dev@example.com'],
    ['commit.gpgsign', 'false'],
    ['gc.auto', '0'],
  ] as const) {
    git(dev, 'config', key, value);
  }
  if (copyDir) cpSync(copyDir, dev, { recursive: true, dereference: true });
  writeFiles(dev, files);
  git(dev, 'add', '-A');
  git(dev, 'commit', '-q', '-m', 'initial');
  git(dev, 'remote', 'add', 'origin', `file://${bare}`);
  git(dev, 'push', '-q', 'origin', 'main');
  return { bare, dev };
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

export function head(origin: Origin, ref = 'HEAD'): string {
  return git(origin.dev, 'rev-parse', ref);
}

/** A push to main; returns the new sha. */
export function pushToMain(
  origin: Origin,
  files: Record<string, string>,
  message = 'change',
): string {
  git(origin.dev, 'checkout', '-q', 'main');
  writeFiles(origin.dev, files);
  git(origin.dev, 'add', '-A');
  git(origin.dev, 'commit', '-q', '-m', message);
  git(origin.dev, 'push', '-q', 'origin', 'main');
  return head(origin);
}

export interface PullRequestCommits {
  number: number;
  branch: string;
  baseSha: string;
  headSha: string;
  /** `refs/pull/N/merge`: head merged into base, what actions/checkout checks out. */
  mergeSha: string;
}

/**
 * Commits `files` on `branch` (created from main the first time), pushes it and updates
 * `refs/pull/N/head` and `refs/pull/N/merge` as GitHub does on opened/synchronize.
 */
export function pushPullRequest(
  origin: Origin,
  number: number,
  branch: string,
  files: Record<string, string>,
): PullRequestCommits {
  const { dev } = origin;
  const exists = git(dev, 'branch', '--list', branch) !== '';
  git(dev, 'checkout', '-q', exists ? branch : '-b', ...(exists ? [] : [branch, 'main']));
  writeFiles(dev, files);
  git(dev, 'add', '-A');
  git(dev, 'commit', '-q', '-m', `change on ${branch}`);
  const headSha = head(origin);
  const baseSha = head(origin, 'main');
  git(
    dev,
    'push',
    '-q',
    '-f',
    'origin',
    `${branch}:refs/heads/${branch}`,
    `${branch}:refs/pull/${number}/head`,
  );
  git(dev, 'checkout', '-q', '--detach', 'main');
  git(dev, 'merge', '-q', '--no-ff', '-m', `Merge ${headSha} into ${baseSha}`, branch);
  const mergeSha = head(origin);
  git(dev, 'push', '-q', '-f', 'origin', `HEAD:refs/pull/${number}/merge`);
  git(dev, 'checkout', '-q', 'main');
  return { number, branch, baseSha, headSha, mergeSha };
}

/**
 * What actions/checkout@v4 does with its defaults (fetch-depth 1): init, a depth-1 fetch of
 * the one commit into `refs/remotes/<ref>`, then a detached/forced checkout of it.
 */
export function checkout(origin: Origin, sha: string, ref: string): string {
  const dir = tempDir('ghml-workspace-');
  git(dir, 'init', '-q');
  git(dir, 'remote', 'add', 'origin', `file://${origin.bare}`);
  git(dir, 'config', 'gc.auto', '0');
  const remoteRef = ref.startsWith('refs/pull/')
    ? `refs/remotes/${ref.slice('refs/'.length)}`
    : `refs/remotes/origin/${ref.replace(/^refs\/heads\//, '')}`;
  git(
    dir,
    '-c',
    'protocol.version=2',
    'fetch',
    '--no-tags',
    '--prune',
    '--no-recurse-submodules',
    '--depth=1',
    'origin',
    `+${sha}:${remoteRef}`,
  );
  if (ref.startsWith('refs/heads/')) {
    const branch = ref.slice('refs/heads/'.length);
    git(dir, 'checkout', '-q', '--force', '-B', branch, remoteRef);
  } else {
    git(dir, 'checkout', '-q', '--force', remoteRef);
  }
  return dir;
}

/** Runs on the remote tracking branch: `<run-id>` → run.json text. */
export function remoteRuns(
  origin: Origin,
  branch = 'ghml/runs',
): Map<string, Record<string, unknown>> {
  const runs = new Map<string, Record<string, unknown>>();
  let listing: string;
  try {
    listing = git(origin.bare, 'ls-tree', '-r', '--name-only', `refs/heads/${branch}`);
  } catch {
    return runs;
  }
  for (const path of listing.split('\n')) {
    if (!path.endsWith('/run.json')) continue;
    const record = JSON.parse(git(origin.bare, 'show', `refs/heads/${branch}:${path}`)) as Record<
      string,
      unknown
    >;
    runs.set(String(record['id']), record);
  }
  return runs;
}
