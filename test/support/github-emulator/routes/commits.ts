/**
 * Commits (seeded with `state.addCommit`/`addCommitChain`, refs with `state.setRef`): get one,
 * and compare two (`base...head`) with their merge base.
 */
import { HttpError, notFound, stringParam, type RouteHandler } from '../route-context.js';
import type { CommitRecord, EmulatorState, RepoKey } from '../state.js';

function resolve(state: EmulatorState, key: RepoKey, ref: string): CommitRecord {
  const sha = state.resolveRef(key, ref);
  const commit = sha === undefined ? undefined : state.commit(key, sha);
  if (commit === undefined) throw new HttpError(422, `No commit found for SHA: ${ref}`);
  return commit;
}

/** The best common ancestor: a common ancestor no other common ancestor descends from. */
function mergeBase(state: EmulatorState, key: RepoKey, a: string, b: string): string | undefined {
  const fromB = state.ancestors(key, b);
  const common = [...state.ancestors(key, a)].filter((sha) => fromB.has(sha));
  return common.find((candidate) =>
    common.every((other) => other === candidate || !state.ancestors(key, other).has(candidate)),
  );
}

export const commitRoutes: Record<string, RouteHandler> = {
  'repos/get-commit': (context) => {
    const commit = resolve(context.state, context.repo, stringParam(context, 'ref'));
    return { status: 200, body: context.objects.commit(commit) };
  },

  'repos/compare-commits-with-basehead': (context) => {
    const basehead = stringParam(context, 'basehead');
    const match = /^(.+?)\.\.\.(.+)$/.exec(basehead);
    if (match === null) throw notFound();
    const { state, objects, repo } = context;
    const base = resolve(state, repo, match[1] ?? '');
    const head = resolve(state, repo, match[2] ?? '');
    const baseSha = mergeBase(state, repo, base.sha, head.sha);
    if (baseSha === undefined) throw notFound();
    const ahead = objects.commitsBetween(repo, base.sha, head.sha);
    const behind = objects.commitsBetween(repo, head.sha, base.sha);
    const status =
      ahead.length === 0 && behind.length === 0
        ? 'identical'
        : behind.length === 0
          ? 'ahead'
          : ahead.length === 0
            ? 'behind'
            : 'diverged';
    const api = `${context.urls.api}/repos/${repo.owner}/${repo.repo}`;
    const web = `${context.urls.web}/${repo.owner}/${repo.repo}`;
    const list = (c: CommitRecord): Record<string, unknown> => objects.commit(c);
    return {
      status: 200,
      body: {
        url: `${api}/compare/${encodeURIComponent(basehead)}`,
        html_url: `${web}/compare/${encodeURIComponent(basehead)}`,
        permalink_url: `${web}/compare/${base.sha}...${head.sha}`,
        diff_url: `${web}/compare/${encodeURIComponent(basehead)}.diff`,
        patch_url: `${web}/compare/${encodeURIComponent(basehead)}.patch`,
        base_commit: list(base),
        merge_base_commit: list(state.commit(repo, baseSha) ?? base),
        status,
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        commits: ahead.map(list),
        files: [],
      },
    };
  },
};
