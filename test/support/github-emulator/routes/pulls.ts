/** Pull requests: get one (seeded by tests with `state.addPullRequest`) and list its commits. */
import { paginate } from '../pagination.js';
import { intParam, notFound, type RouteContext, type RouteHandler } from '../route-context.js';
import type { PullRequestRecord } from '../state.js';

function pullRequest(context: RouteContext): PullRequestRecord {
  const pull = context.state.pullRequest(context.repo, intParam(context, 'pull_number'));
  if (pull === undefined) throw notFound();
  return pull;
}

export const pullRoutes: Record<string, RouteHandler> = {
  'pulls/get': (context) => ({
    status: 200,
    body: context.objects.pullRequest(pullRequest(context)),
  }),

  'pulls/list-commits': (context) => {
    const pull = pullRequest(context);
    const commits = context.objects.commitsBetween(context.repo, pull.base.sha, pull.head.sha);
    return paginate(
      context,
      commits.map((c) => context.objects.commit(c)),
    );
  },
};
