/** Releases: create, list (paginated), get by id or tag, update, delete. */
import { paginate } from '../pagination.js';
import {
  bodyOf,
  intParam,
  notFound,
  requireCaller,
  stringParam,
  validationFailed,
  type RouteContext,
  type RouteHandler,
} from '../route-context.js';
import type { ReleaseRecord } from '../state.js';

function release(context: RouteContext): ReleaseRecord {
  const found = context.state.release(context.repo, intParam(context, 'release_id'));
  if (found === undefined) throw notFound();
  return found;
}

function assertTagFree(context: RouteContext, tagName: string, except?: number): void {
  const taken = context.state
    .releasesOf(context.repo)
    .some((r) => r.tagName === tagName && r.id !== except);
  if (taken)
    throw validationFailed({ resource: 'Release', field: 'tag_name', code: 'already_exists' });
}

export const releaseRoutes: Record<string, RouteHandler> = {
  'repos/create-release': (context) => {
    const caller = requireCaller(context);
    const body = bodyOf(context);
    const tagName = body['tag_name'] as string;
    assertTagFree(context, tagName);
    const now = context.state.now();
    const draft = body['draft'] === true;
    const record: ReleaseRecord = {
      ...context.repo,
      id: context.state.nextId('release'),
      tagName,
      targetCommitish: (body['target_commitish'] as string | undefined) ?? 'main',
      name: (body['name'] as string | undefined) ?? null,
      body: (body['body'] as string | undefined) ?? null,
      draft,
      prerelease: body['prerelease'] === true,
      author: caller.user,
      createdAt: now,
      publishedAt: draft ? null : now,
      updatedAt: now,
    };
    context.state.releases.push(record);
    const json = context.objects.release(record);
    return { status: 201, body: json, headers: { location: String(json['url']) } };
  },

  'repos/list-releases': (context) =>
    paginate(
      context,
      context.state.releasesOf(context.repo).map((r) => context.objects.release(r)),
    ),

  'repos/get-release': (context) => ({
    status: 200,
    body: context.objects.release(release(context)),
  }),

  'repos/get-release-by-tag': (context) => {
    const tag = stringParam(context, 'tag');
    // Like GitHub, drafts are not found by tag.
    const found = context.state.releasesOf(context.repo).find((r) => r.tagName === tag && !r.draft);
    if (found === undefined) throw notFound();
    return { status: 200, body: context.objects.release(found) };
  },

  'repos/update-release': (context) => {
    const record = release(context);
    const body = bodyOf(context);
    if (typeof body['tag_name'] === 'string') {
      assertTagFree(context, body['tag_name'], record.id);
      record.tagName = body['tag_name'];
    }
    if (typeof body['target_commitish'] === 'string')
      record.targetCommitish = body['target_commitish'];
    if (typeof body['name'] === 'string') record.name = body['name'];
    if (typeof body['body'] === 'string') record.body = body['body'];
    if (typeof body['prerelease'] === 'boolean') record.prerelease = body['prerelease'];
    if (typeof body['draft'] === 'boolean') record.draft = body['draft'];
    record.updatedAt = context.state.now();
    if (!record.draft && record.publishedAt === null) record.publishedAt = record.updatedAt;
    return { status: 200, body: context.objects.release(record) };
  },

  'repos/delete-release': (context) => {
    context.state.deleteRelease(release(context).id);
    return { status: 204 };
  },
};
