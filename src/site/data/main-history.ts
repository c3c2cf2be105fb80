/**
 * The main branch's first-parent history for the Trends view, through the one door to git.
 * Which branch is "main": `--main <rev>` when given, else the remote's default branch
 * (refs/remotes/<remote>/HEAD), else a local or remote-tracking `main` or `master`, else HEAD.
 */
import type { Git } from '../../git/git.js';
import type { MainCommit } from './trend-points.js';

/** Commits walked at most (newest first, then returned oldest first). */
export const MAX_TREND_COMMITS = 2000;

/** The rev the trends follow, or undefined when the repository has no commit at all. */
export async function resolveMainRev(
  git: Git,
  remote: string,
  explicit: string | undefined,
): Promise<string | undefined> {
  if (explicit !== undefined) return explicit;
  const remoteHead = await git.tryExec([
    'symbolic-ref',
    '--quiet',
    '--short',
    `refs/remotes/${remote}/HEAD`,
  ]);
  const candidates = [
    ...(remoteHead.exitCode === 0 && remoteHead.stdout.trim() !== ''
      ? [remoteHead.stdout.trim()]
      : []),
    'refs/heads/main',
    `refs/remotes/${remote}/main`,
    'refs/heads/master',
    `refs/remotes/${remote}/master`,
    'HEAD',
  ];
  for (const rev of candidates)
    if ((await git.tryRevParse(`${rev}^{commit}`)) !== undefined) return rev;
  return undefined;
}

/** Up to `max` first-parent commits of `rev`, oldest first; empty when `rev` does not resolve. */
export async function readMainHistory(
  git: Git,
  rev: string,
  max = MAX_TREND_COMMITS,
): Promise<MainCommit[]> {
  const result = await git.tryExec([
    'log',
    '--first-parent',
    `--max-count=${max}`,
    '--format=%H%x00%ct%x00%s%x00',
    '--end-of-options',
    rev,
    '--',
  ]);
  if (result.exitCode !== 0) return [];
  const parts = result.stdout.split('\u0000');
  const commits: MainCommit[] = [];
  for (let i = 0; i + 2 < parts.length; i += 3) {
    const sha = (parts[i] ?? '').trim();
    if (!/^[0-9a-f]{40}$/.test(sha)) continue;
    commits.push({
      sha,
      date: Number(parts[i + 1]) || 0,
      subject: (parts[i + 2] ?? '').slice(0, 200),
    });
  }
  return commits.reverse();
}
