/**
 * Publishes a model version's GitHub release: a draft first, then every asset (each upload
 * retried, see ReleaseClient.uploadAsset), then draft → false. When that still fails no
 * half-made release is left: the draft is deleted and ReleasePublishError says the tag exists
 * and how to retry (`ghml model release <tag>`). A release that exists already (one drafted
 * in GitHub's web UI) gets the assets and the model card added, keeping its author's text.
 *
 * With API asset URLs (`registry.asset_urls: api`, for private repositories) the asset ids must
 * be known before the tag is written, and files streamed from the artifact store are checked
 * only as they stream, so in those cases the release is staged first: `stageRelease` drafts it
 * and uploads the assets (a failure leaves nothing: ReleaseStagingError), the tag is written,
 * then `finishStagedRelease` sets the card and publishes it, or `discardStagedRelease` removes
 * the draft when the tag failed.
 */
import { describeError } from '../../errors/ghml-error.js';
import type { RegisteredVersion, ReleasePublisher } from '../registry-ports.js';
import type { AssetInfo, ReleaseClient, ReleaseInfo, UploadAsset } from './release-client.js';
import { ReleasePublishError, ReleaseStagingError } from './release-errors.js';
import { mergeReleaseBody } from './model-card.js';

/** What goes into a release. */
export interface ReleaseContent {
  /** Release title (ghml uses the tag). */
  name: string;
  /** The model card. */
  body: string;
  assets: UploadAsset[];
}

/** A published release. */
export interface PublishedRelease {
  id: number;
  url: string;
  /** False when assets were added to a release that existed already. */
  created: boolean;
  assets: AssetInfo[];
}

/** Creates or completes the release of `tag`; see the module comment. */
export async function publishRelease(
  client: ReleaseClient,
  tag: string,
  content: ReleaseContent,
  options: { releaseId?: number } = {},
): Promise<PublishedRelease> {
  const existing =
    options.releaseId === undefined
      ? await client.findByTag(tag)
      : await client.get(options.releaseId);
  if (existing) return completeRelease(client, existing, content);
  return createRelease(client, tag, content);
}

async function createRelease(
  client: ReleaseClient,
  tag: string,
  content: ReleaseContent,
): Promise<PublishedRelease> {
  let draft: ReleaseInfo;
  try {
    draft = await client.createDraft(tag, content.name, content.body);
  } catch (error) {
    throw new ReleasePublishError(tag, describeError(error), true, { cause: error });
  }
  try {
    const assets: AssetInfo[] = [];
    for (const asset of content.assets) assets.push(await client.uploadAsset(draft, asset));
    const published = await client.update(draft.id, { draft: false });
    return { id: published.id, url: published.htmlUrl, created: true, assets };
  } catch (error) {
    let cleanedUp = true;
    try {
      await client.deleteRelease(draft.id);
    } catch {
      cleanedUp = false;
    }
    throw new ReleasePublishError(tag, describeError(error), cleanedUp, { cause: error });
  }
}

/**
 * Adds the assets and the card to a release someone made. Assets of the same name are
 * replaced; on failure only ghml's own uploads are removed again, never the release.
 */
async function completeRelease(
  client: ReleaseClient,
  release: ReleaseInfo,
  content: ReleaseContent,
): Promise<PublishedRelease> {
  const uploaded: AssetInfo[] = [];
  try {
    for (const asset of content.assets) {
      for (const old of release.assets.filter((a) => a.name === asset.name)) {
        await client.deleteAsset(old.id);
      }
      uploaded.push(await client.uploadAsset(release, asset));
    }
    const updated = await client.update(release.id, {
      body: mergeReleaseBody(release.body, content.body),
    });
    return { id: updated.id, url: updated.htmlUrl, created: false, assets: uploaded };
  } catch (error) {
    let cleanedUp = true;
    for (const asset of uploaded) {
      try {
        await client.deleteAsset(asset.id);
      } catch {
        cleanedUp = false;
      }
    }
    throw new ReleasePublishError(release.tag, describeError(error), cleanedUp, { cause: error });
  }
}

/** The registry's ReleasePublisher port on GitHub: `contentFor` supplies the files and card. */
export class GitHubReleasePublisher implements ReleasePublisher {
  /** The last release published, for the caller's output. */
  published: PublishedRelease | undefined;

  constructor(
    private readonly client: ReleaseClient,
    private readonly contentFor: (version: RegisteredVersion) => ReleaseContent,
  ) {}

  async publishVersion(version: RegisteredVersion): Promise<void> {
    this.published = await publishRelease(this.client, version.tag, this.contentFor(version));
  }
}

/** A draft release whose assets are uploaded, before its tag exists. */
export interface StagedRelease {
  release: ReleaseInfo;
  assets: AssetInfo[];
  /** False when the assets went into a release someone had made already. */
  created: boolean;
}

/** Drafts the release of `tag` (or takes the existing one) and uploads the assets to it. */
export async function stageRelease(
  client: ReleaseClient,
  tag: string,
  content: Pick<ReleaseContent, 'name' | 'assets'>,
): Promise<StagedRelease> {
  const existing = await client.findByTag(tag);
  let release: ReleaseInfo;
  try {
    release = existing ?? (await client.createDraft(tag, content.name, ''));
  } catch (error) {
    throw new ReleaseStagingError(tag, error, messageOf(error), true);
  }
  const staged: StagedRelease = { release, assets: [], created: existing === undefined };
  try {
    for (const asset of content.assets) {
      for (const old of release.assets.filter((a) => a.name === asset.name)) {
        await client.deleteAsset(old.id);
      }
      staged.assets.push(await client.uploadAsset(release, asset));
    }
  } catch (error) {
    const cleanedUp = await discardStagedRelease(client, staged);
    throw new ReleaseStagingError(tag, error, messageOf(error), cleanedUp);
  }
  return staged;
}

/** Sets the model card and publishes a staged release once its tag exists. */
export async function finishStagedRelease(
  client: ReleaseClient,
  staged: StagedRelease,
  body: string,
): Promise<PublishedRelease> {
  try {
    const updated = await client.update(staged.release.id, {
      body: staged.created ? body : mergeReleaseBody(staged.release.body, body),
      ...(staged.created ? { draft: false } : {}),
    });
    return { id: updated.id, url: updated.htmlUrl, created: staged.created, assets: staged.assets };
  } catch (error) {
    throw new ReleasePublishError(staged.release.tag, describeError(error), false, {
      cause: error,
    });
  }
}

/** Removes what staging made: the draft it created, or its uploads to an existing release. */
export async function discardStagedRelease(
  client: ReleaseClient,
  staged: StagedRelease,
): Promise<boolean> {
  try {
    if (staged.created) await client.deleteRelease(staged.release.id);
    else for (const asset of staged.assets) await client.deleteAsset(asset.id);
    return true;
  } catch {
    return false;
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
}
