/** Commit statuses: create one, list them for a ref, and the combined status. */
import { paginate } from '../pagination.js';
import {
  bodyOf,
  HttpError,
  requireCaller,
  stringParam,
  validationFailed,
  type RouteContext,
  type RouteHandler,
} from '../route-context.js';
import type { CommitStatusRecord } from '../state.js';

const MAX_DESCRIPTION = 140;

function shaOf(context: RouteContext, name: string): string {
  const ref = stringParam(context, name);
  const sha = context.state.resolveRef(context.repo, ref);
  if (sha === undefined) throw new HttpError(422, `No commit found for SHA: ${ref}`);
  return sha;
}

export const statusRoutes: Record<string, RouteHandler> = {
  'repos/create-commit-status': (context) => {
    const caller = requireCaller(context);
    const body = bodyOf(context);
    const sha = shaOf(context, 'sha');
    const description = (body['description'] as string | null | undefined) ?? null;
    if (description !== null && description.length > MAX_DESCRIPTION) {
      throw validationFailed({
        resource: 'Status',
        field: 'description',
        code: 'custom',
        message: `description is too long (maximum is ${MAX_DESCRIPTION} characters)`,
      });
    }
    const now = context.state.now();
    const status: CommitStatusRecord = {
      ...context.repo,
      id: context.state.nextId('status'),
      sha,
      state: body['state'] as CommitStatusRecord['state'],
      context: (body['context'] as string | undefined) ?? 'default',
      description,
      targetUrl: (body['target_url'] as string | null | undefined) ?? null,
      creator: caller.user,
      createdAt: now,
      updatedAt: now,
    };
    context.state.commitStatuses.push(status);
    return { status: 201, body: context.objects.commitStatus(status) };
  },

  'repos/list-commit-statuses-for-ref': (context) => {
    const statuses = context.state.statusesFor(context.repo, shaOf(context, 'ref'));
    return paginate(
      context,
      statuses.map((s) => context.objects.commitStatus(s)),
    );
  },

  'repos/get-combined-status-for-ref': (context) => {
    const sha = shaOf(context, 'ref');
    const statuses = context.state.statusesFor(context.repo, sha);
    return { status: 200, body: context.objects.combinedStatus(context.repo, sha, statuses) };
  },
};
