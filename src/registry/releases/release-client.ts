/**
 * The GitHub release calls the registry makes, each one documented REST operation: find a
 * release by tag, create/update/delete it, upload an asset (retried, after deleting a partial
 * asset of the same name), delete an asset, and stream an asset's bytes through the release
 * asset API (`Accept: application/octet-stream`, redirect followed), so private repositories
 * work with a token.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { isRequestError, toGitHubError, withGitHubErrors } from '../../github/github-errors.js';
import type { ReleaseTarget } from './release-target.js';

/** A release as ghml needs it. */
export interface ReleaseInfo {
  id: number;
  tag: string;
  draft: boolean;
  body: string;
  htmlUrl: string;
  uploadUrl: string;
  assets: AssetInfo[];
}

/** A release asset. */
export interface AssetInfo {
  id: number;
  name: string;
  size: number;
  /** 'uploaded' when complete; GitHub reports 'open' (or 'starter') for a broken upload. */
  state: string;
}

/** A file to upload, streamed: `open` gives its bytes afresh for each attempt. */
export interface UploadAsset {
  /** The asset name (already sanitised to GitHub's rules). */
  name: string;
  size: number;
  /** The bytes; a stream that fails (a checked read, a refused store) ends the upload. */
  open(): Readable;
}

/** An asset from bytes in memory. */
export function bufferAsset(name: string, data: Buffer): UploadAsset {
  return { name, size: data.length, open: () => Readable.from([data]) };
}

export interface ReleaseClientOptions {
  /** Upload attempts per asset (default 3). */
  uploadAttempts?: number;
  /** Wait before upload attempt n (1-based retries); default n × 1000 ms. */
  sleep?: (attempt: number) => Promise<void>;
}

interface RawRelease {
  id: number;
  tag_name: string;
  draft: boolean;
  body?: string | null;
  html_url: string;
  upload_url: string;
  assets?: RawAsset[];
}

interface RawAsset {
  id: number;
  name: string;
  size: number;
  state: string;
}

export class ReleaseClient {
  private readonly attempts: number;
  private readonly sleep: (attempt: number) => Promise<void>;

  constructor(
    readonly target: ReleaseTarget,
    options: ReleaseClientOptions = {},
  ) {
    this.attempts = Math.max(1, options.uploadAttempts ?? 3);
    this.sleep = options.sleep ?? ((n) => new Promise((resolve) => setTimeout(resolve, n * 1000)));
  }

  private get repo(): { owner: string; repo: string } {
    return { owner: this.target.repo.owner, repo: this.target.repo.repo };
  }

  /** The published release of `tag`, or undefined (GitHub does not find drafts by tag). */
  async findByTag(tag: string): Promise<ReleaseInfo | undefined> {
    try {
      const { data } = await this.target.client.rest.repos.getReleaseByTag({ ...this.repo, tag });
      return toRelease(data);
    } catch (error) {
      if (isRequestError(error) && error.status === 404) return undefined;
      throw withAction(error, `read the release of '${tag}'`);
    }
  }

  async get(id: number): Promise<ReleaseInfo> {
    return withGitHubErrors(`read release ${id}`, async () =>
      toRelease(
        (await this.target.client.rest.repos.getRelease({ ...this.repo, release_id: id })).data,
      ),
    );
  }

  /** Creates a draft release for an existing tag. */
  async createDraft(tag: string, name: string, body: string): Promise<ReleaseInfo> {
    return withGitHubErrors(`create a draft release for '${tag}'`, async () => {
      const { data } = await this.target.client.rest.repos.createRelease({
        ...this.repo,
        tag_name: tag,
        name,
        body,
        draft: true,
      });
      return toRelease(data);
    });
  }

  /** Sets the body and/or publishes (draft → false). */
  async update(id: number, changes: { body?: string; draft?: boolean }): Promise<ReleaseInfo> {
    return withGitHubErrors(`update release ${id}`, async () => {
      const { data } = await this.target.client.rest.repos.updateRelease({
        ...this.repo,
        release_id: id,
        ...changes,
      });
      return toRelease(data);
    });
  }

  async deleteRelease(id: number): Promise<void> {
    await withGitHubErrors(`delete release ${id}`, () =>
      this.target.client.rest.repos.deleteRelease({ ...this.repo, release_id: id }),
    );
  }

  async listAssets(releaseId: number): Promise<AssetInfo[]> {
    return withGitHubErrors(`list the assets of release ${releaseId}`, async () => {
      const assets = await this.target.client.paginate(
        this.target.client.rest.repos.listReleaseAssets,
        { ...this.repo, release_id: releaseId, per_page: 100 },
      );
      return assets.map(toAsset);
    });
  }

  async deleteAsset(id: number): Promise<void> {
    await withGitHubErrors(`delete release asset ${id}`, () =>
      this.target.client.rest.repos.deleteReleaseAsset({ ...this.repo, asset_id: id }),
    );
  }

  /**
   * Uploads one asset, streamed, to the uploads host named by the release's `upload_url`. A
   * failed attempt (5xx, network, or 422 for a leftover asset) deletes any asset of the same
   * name (a partial upload) and tries again, up to `uploadAttempts` times. When the bytes
   * themselves fail (a checked read that does not match, a store that refuses), that error is
   * thrown as it is, after the partial asset is removed: sending them again would not help.
   */
  async uploadAsset(release: ReleaseInfo, asset: UploadAsset): Promise<AssetInfo> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (attempt > 1) {
        await this.sleep(attempt - 1);
        await this.deleteAssetNamed(release.id, asset.name);
      }
      let sourceError: unknown;
      const body = asset.open();
      body.on('error', (error) => (sourceError ??= error));
      try {
        const { data } = await this.target.client.rest.repos.uploadReleaseAsset({
          ...this.repo,
          release_id: release.id,
          name: asset.name,
          baseUrl: uploadBaseUrl(release.uploadUrl),
          data: body as unknown as string,
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': asset.size,
          },
          // This loop retries (and cleans up between attempts) instead of the retry plugin.
          request: { retries: 0 },
        });
        return toAsset(data as RawAsset);
      } catch (error) {
        body.destroy();
        if (sourceError !== undefined) {
          await this.deleteAssetNamed(release.id, asset.name).catch(() => undefined);
          throw sourceError;
        }
        lastError = error;
        if (!retryable(error)) break;
      }
    }
    throw withAction(lastError, `upload '${asset.name}' to the release of '${release.tag}'`);
  }

  /** Streams an asset's bytes (release asset API, redirect to the storage host followed). */
  async downloadAsset(assetId: number): Promise<Readable> {
    return withGitHubErrors(`download release asset ${assetId}`, async () => {
      const response = await this.target.client.request(
        'GET /repos/{owner}/{repo}/releases/assets/{asset_id}',
        {
          ...this.repo,
          asset_id: assetId,
          headers: { accept: 'application/octet-stream' },
          request: { parseSuccessResponseBody: false, redirect: 'follow' },
        },
      );
      const body = response.data as unknown as WebReadableStream<Uint8Array> | null;
      if (body === null || body === undefined) return Readable.from([]);
      return Readable.fromWeb(body);
    });
  }

  private async deleteAssetNamed(releaseId: number, name: string): Promise<void> {
    const leftovers = (await this.listAssets(releaseId)).filter((a) => a.name === name);
    for (const asset of leftovers) await this.deleteAsset(asset.id);
  }
}

/** `https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}` → `https://uploads.github.com`. */
export function uploadBaseUrl(uploadUrl: string): string {
  const at = uploadUrl.indexOf('/repos/');
  return at < 0 ? 'https://uploads.github.com' : uploadUrl.slice(0, at);
}

function retryable(error: unknown): boolean {
  if (!isRequestError(error)) return true;
  return error.status >= 500 || error.status === 422 || error.status === 408;
}

function withAction(error: unknown, action: string): unknown {
  return toGitHubError(error, action);
}

function toRelease(data: RawRelease): ReleaseInfo {
  return {
    id: data.id,
    tag: data.tag_name,
    draft: data.draft,
    body: data.body ?? '',
    htmlUrl: data.html_url,
    uploadUrl: data.upload_url,
    assets: (data.assets ?? []).map(toAsset),
  };
}

function toAsset(data: RawAsset): AssetInfo {
  return { id: data.id, name: data.name, size: data.size, state: data.state };
}
