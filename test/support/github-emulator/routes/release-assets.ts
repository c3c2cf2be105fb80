/**
 * Release assets. Uploads arrive on the uploads server (`uploadUrl`, GitHub's
 * uploads.github.com) with the raw bytes as the body. `GET .../releases/assets/{id}` with
 * `Accept: application/octet-stream` answers 302 to `{url}/_emulator/assets/{id}/download`
 * like GitHub's redirect to its object store; the emulator server serves those bytes.
 */
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
import type { ReleaseAssetRecord } from '../state.js';

/** GitHub renames special characters in asset names to '.', and trims leading/trailing dots. */
export function sanitizeAssetName(name: string): string {
  return name.replace(/[^A-Za-z0-9._+-]/g, '.').replace(/^\.+|\.+$/g, '');
}

function asset(context: RouteContext): ReleaseAssetRecord {
  const found = context.state.asset(context.repo, intParam(context, 'asset_id'));
  if (found === undefined) throw notFound();
  return found;
}

export const releaseAssetRoutes: Record<string, RouteHandler> = {
  'repos/upload-release-asset': (context) => {
    const caller = requireCaller(context);
    const release = context.state.release(context.repo, intParam(context, 'release_id'));
    if (release === undefined) throw notFound();
    const name = sanitizeAssetName(String(context.query['name']));
    if (context.state.assetsOf(release.id).some((a) => a.name === name)) {
      throw validationFailed({ resource: 'ReleaseAsset', field: 'name', code: 'already_exists' });
    }
    const now = context.state.now();
    const record: ReleaseAssetRecord = {
      ...context.repo,
      id: context.state.nextId('asset'),
      releaseId: release.id,
      name,
      label: typeof context.query['label'] === 'string' ? context.query['label'] : null,
      contentType: context.headers['content-type'] ?? 'application/octet-stream',
      data: Buffer.from(context.rawBody),
      state: 'uploaded',
      downloadCount: 0,
      uploader: caller.user,
      createdAt: now,
      updatedAt: now,
    };
    context.state.releaseAssets.push(record);
    return { status: 201, body: context.objects.asset(record) };
  },

  'repos/list-release-assets': (context) => {
    const release = context.state.release(context.repo, intParam(context, 'release_id'));
    if (release === undefined) throw notFound();
    return paginate(
      context,
      context.state.assetsOf(release.id).map((a) => context.objects.asset(a)),
    );
  },

  'repos/get-release-asset': (context) => {
    const record = asset(context);
    if ((context.headers.accept ?? '').includes('application/octet-stream')) {
      return {
        status: 302,
        headers: { location: `${context.urls.api}/_emulator/assets/${record.id}/download` },
      };
    }
    return { status: 200, body: context.objects.asset(record) };
  },

  'repos/update-release-asset': (context) => {
    const record = asset(context);
    const body = bodyOf(context);
    if (typeof body['name'] === 'string') record.name = sanitizeAssetName(body['name']);
    if (typeof body['label'] === 'string') record.label = body['label'];
    record.updatedAt = context.state.now();
    return { status: 200, body: context.objects.asset(record) };
  },

  'repos/delete-release-asset': (context) => {
    context.state.deleteAsset(asset(context).id);
    return { status: 204 };
  },
};
