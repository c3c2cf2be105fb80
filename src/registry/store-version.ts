/**
 * A registered version in the artifact store: when the run's files are in the store, its
 * manifest is tagged as `<prefix>/models/<model>:<version>` (ArtifactStore.tagModelVersion:
 * blobs mounted from the runs repository, never uploaded again, same digest), just before the
 * version's git tag is written, so the tag can record the reference. The version's files that
 * the run keeps on its tracking branch (an MLflow folder's small MLmodel next to its large
 * model.pkl) are added to the version, uploaded from their checked bytes, so the store holds
 * every file a cluster pulls (the manifest, and its digest, then differ from the run's). If the git tag then fails,
 * a store tag this registration created is removed again (where the registry allows deletes),
 * so a failed registration leaves no version behind in either place.
 */
import type { ArtifactStore, StoredRunManifest } from '../artifacts/artifact-store.js';
import { modelRepository, versionTag } from '../artifacts/oci/oci-names.js';
import { OCI_MANIFEST_TYPE, type RunFile } from '../artifacts/oci/run-manifest.js';
import { openSegments } from '../artifacts/oci/segmented-source.js';
import { describeError } from '../errors/ghml-error.js';
import { contentSegment } from './releases/model-content.js';
import type { ModelFile } from './releases/model-files.js';
import type { TagStoreVersion } from './tags/tag-message.js';

/** A version tagged in the store. */
export interface StoreVersion extends TagStoreVersion {
  store: ArtifactStore;
  /** `<prefix>/models/<model>`. */
  repository: string;
  tag: string;
  /** The files the version's manifest lists (the run's files in the store). */
  files: RunFile[];
  /** False when the store had this version already (the same content). */
  created: boolean;
}

/**
 * Tags the run's manifest (read before) as the version, with the `files` of the version the
 * manifest lacks added; see the module comment.
 */
export async function tagStoreVersion(
  store: ArtifactStore,
  manifest: StoredRunManifest,
  model: string,
  version: string,
  files: readonly ModelFile[] = [],
): Promise<StoreVersion> {
  const repository = modelRepository(store.prefix, model);
  const tag = versionTag(version);
  const before = await store.client.manifestDigest(repository, tag, [OCI_MANIFEST_TYPE]);
  const add = files.flatMap((f) => {
    const path = f.runPath;
    if (path === undefined || manifest.files.some((m) => m.path === path)) return [];
    // The bytes were checked against the run's sha256 when located; the registry checks the
    // digest of what it receives.
    const segment = contentSegment(f.bytes);
    return [
      {
        path,
        label: f.bytes.where,
        size: f.size,
        sha256: f.sha256,
        open: (start: number, end: number) => openSegments([segment], start, end),
      },
    ];
  });
  const tagged = await store.tagModelVersion({ runId: manifest.runId, model, version, add });
  return {
    store,
    repository,
    tag,
    reference: `oci://${store.registry}/${repository}:${tag}`,
    digest: tagged.manifestDigest,
    files: tagged.files,
    created: before === null,
  };
}

/**
 * Removes a store tag `tagStoreVersion` created; returns a note when it could not (the
 * registry refuses deletes, e.g. GitHub's, which deletes package versions through its API).
 */
export async function untagStoreVersion(version: StoreVersion): Promise<string | undefined> {
  if (!version.created) return undefined;
  try {
    await version.store.client.deleteManifest(version.repository, version.digest);
    return undefined;
  } catch (error) {
    return (
      `${version.reference} was tagged for this registration and could not be removed ` +
      `(${describeError(error).split('\n')[0] ?? 'refused'}); registering this version again from the same run reuses it`
    );
  }
}

/** `oci://<registry>/<models repository>@<digest>#<path>`: a file of the version in the store. */
export function storeFileUri(version: StoreVersion, path: string): string {
  return `oci://${version.store.registry}/${version.repository}@${version.digest}#${path}`;
}

/** True when the version's manifest lists `path` with `sha256`. */
export function storeHas(version: StoreVersion | undefined, path: string, sha256: string): boolean {
  return version?.files.some((f) => f.path === path && f.sha256 === sha256) ?? false;
}
