/**
 * The files of a version being registered, as the tag records them: for each file its path
 * among the run's artifacts, sha256, size and URI — the release asset's URL when it is attached
 * (its API URL with `registry.asset_urls: api`), else its place in the artifact store's version
 * (`oci://<registry>/<repository>@<manifest>#<path>`), else `ghml-run:<run-id>/<path>` (the
 * bytes stay with the run). A folder registered whole also records its archive asset.
 */
import type { StoredRun } from '../tracking/store/tracking-store.js';
import { metadataFromRun } from './registry-ports.js';
import type { ModelFile, ModelSelection } from './releases/model-files.js';
import type { PreparedAssets } from './releases/release-assets.js';
import type { ReleaseClient } from './releases/release-client.js';
import type { StagedRelease } from './releases/release-publisher.js';
import { releaseAssetApiUrl, releaseDownloadUrl } from './releases/release-target.js';
import { storeFileUri, storeHas, type StoreVersion } from './store-version.js';
import type { TagArtifact, TagMetadata } from './tags/tag-message.js';

/** A model file as recorded. */
export interface RecordedFile {
  name: string;
  size: number;
  sha256: string;
  origin: ModelFile['origin'];
  uri: string;
  /** Its path among the run's artifacts. */
  path?: string;
  /** Whether it is a release asset (false: not attached; undefined: no release). */
  attached?: boolean;
}

/** What was decided about the files, to record. */
export interface RecordInput {
  selection: ModelSelection;
  runId: string;
  tag: string;
  releases: ReleaseClient | undefined;
  prepared: PreparedAssets;
  staged: StagedRelease | undefined;
  storeVersion: StoreVersion | undefined;
  /** `registry.asset_urls: api`: staged assets are recorded by their API URL. */
  apiUrls: boolean;
}

/** The recorded files and the folder's archive; see the module comment. */
export function recordFiles(input: RecordInput): {
  files: RecordedFile[];
  archive: TagArtifact | undefined;
} {
  const { selection, runId, releases, prepared, storeVersion } = input;
  const assetUri = (name: string): string | undefined => {
    if (releases === undefined || !prepared.assets.some((a) => a.name === name)) return undefined;
    const staged = input.staged?.assets.find((a) => a.name === name);
    return staged !== undefined && input.apiUrls
      ? releaseAssetApiUrl(releases.target, staged.id)
      : releaseDownloadUrl(releases.target.serverUrl, releases.target.repo, input.tag, name);
  };
  const files = selection.files.map((f): RecordedFile => {
    const runPath = f.runPath;
    const inStore = runPath !== undefined && storeHas(storeVersion, runPath, f.sha256);
    const asset = selection.folder === undefined ? assetUri(f.name) : undefined;
    let uri = `ghml-run:${runId}/${encodePath(runPath ?? f.name)}`;
    if (asset !== undefined) uri = asset;
    else if (inStore && storeVersion !== undefined && runPath !== undefined) {
      uri = storeFileUri(storeVersion, runPath);
    }
    return {
      name: f.name,
      size: f.size,
      sha256: f.sha256,
      origin: f.origin,
      uri,
      ...(runPath === undefined ? {} : { path: runPath }),
      ...(releases === undefined || selection.folder !== undefined
        ? {}
        : { attached: asset !== undefined }),
    };
  });
  const archive = prepared.archive;
  const archiveUri = archive === undefined ? undefined : assetUri(archive.name);
  return {
    files,
    archive:
      archive === undefined || archiveUri === undefined
        ? undefined
        : { uri: archiveUri, sha256: archive.sha256, size: archive.size },
  };
}

/** The tag metadata: the run's, with the files, the folder, its archive and the store. */
export function metadataFor(
  run: StoredRun,
  recorded: { files: RecordedFile[]; archive: TagArtifact | undefined },
  selection: ModelSelection,
  storeVersion: StoreVersion | undefined,
): TagMetadata {
  const fromRun = metadataFromRun(run.record);
  const metadata: TagMetadata = { ...fromRun };
  if (recorded.files.length > 0) {
    metadata.artifacts = recorded.files.map((f) => ({
      ...(f.path === undefined ? {} : { path: f.path }),
      uri: f.uri,
      sha256: f.sha256,
      size: f.size,
    }));
  }
  if (selection.folder !== undefined) metadata.folder = selection.folder.path;
  if (recorded.archive !== undefined) metadata.archive = recorded.archive;
  if (storeVersion !== undefined) {
    metadata.store = { reference: storeVersion.reference, digest: storeVersion.digest };
  }
  return metadata;
}

/** Each path segment percent-encoded; '/' kept. */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
