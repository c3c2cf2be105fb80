/** Issue and pull-request comments: list (paginated), create, get, update, delete. */
import { paginate } from '../pagination.js';
import {
  bodyOf,
  intParam,
  notFound,
  requireCaller,
  validationFailed,
  type RouteContext,
  type RouteHandler,
} from '../route-context.js';
import type { IssueCommentRecord } from '../state.js';

/** GitHub rejects longer comment bodies with a 422. */
export const MAX_COMMENT_BODY = 65_536;

function checkedBody(context: RouteContext): string {
  const body = bodyOf(context)['body'];
  const text = typeof body === 'string' ? body : '';
  if (text.length > MAX_COMMENT_BODY) {
    throw validationFailed(
      { resource: 'IssueComment', field: 'data', code: 'unprocessable' },
      `Body is too long (maximum is ${MAX_COMMENT_BODY} characters)`,
    );
  }
  return text;
}

function existing(context: RouteContext): IssueCommentRecord {
  const comment = context.state.comment(context.repo, intParam(context, 'comment_id'));
  if (comment === undefined) throw notFound();
  return comment;
}

export const issueCommentRoutes: Record<string, RouteHandler> = {
  'issues/list-comments': (context) => {
    const since = context.query['since'];
    const comments = context.state
      .commentsOn(context.repo, intParam(context, 'issue_number'))
      .filter((c) => typeof since !== 'string' || c.updatedAt >= since.replace(/\.\d+Z$/, 'Z'));
    return paginate(
      context,
      comments.map((c) => context.objects.issueComment(c)),
    );
  },

  'issues/create-comment': (context) => {
    const caller = requireCaller(context);
    const body = checkedBody(context);
    const now = context.state.now();
    const comment: IssueCommentRecord = {
      ...context.repo,
      id: context.state.nextId('comment'),
      issueNumber: intParam(context, 'issue_number'),
      body,
      user: caller.user,
      createdAt: now,
      updatedAt: now,
    };
    context.state.issueComments.push(comment);
    const body201 = context.objects.issueComment(comment);
    return { status: 201, body: body201, headers: { location: String(body201['url']) } };
  },

  'issues/get-comment': (context) => ({
    status: 200,
    body: context.objects.issueComment(existing(context)),
  }),

  'issues/update-comment': (context) => {
    const comment = existing(context);
    comment.body = checkedBody(context);
    comment.updatedAt = context.state.now();
    return { status: 200, body: context.objects.issueComment(comment) };
  },

  'issues/delete-comment': (context) => {
    context.state.deleteComment(existing(context).id);
    return { status: 204 };
  },
};
