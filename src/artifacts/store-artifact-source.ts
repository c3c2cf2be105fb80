/**
 * The artifact store as a source of run artifacts for `ghml runs get` and `ghml model get`: it
 * has the shape of src/tracking's ArtifactSource (declared here structurally, so the folders
 * import each other in one direction only). A file is fetched only when the run's manifest in
 * the store lists the same path with the same sha256 that run.json records, and it is written
 * verified; a run the store does not have is "not here" (false), not an error, so the next
 * source can be tried.
 */
import type { ArtifactStore, StoredRunManifest } from './artifact-store.js';
import { ManifestNotFoundError } from './oci/oci-errors.js';

/** What a source needs of a run and of one of its artifacts. */
export interface StoreSourceRun {
  id: string;
}
export interface StoreSourceEntry {
  path: string;
  sha256: string;
}

export interface StoreArtifactSource {
  readonly name: string;
  tryFetch(run: StoreSourceRun, entry: StoreSourceEntry, dest: string): Promise<boolean>;
}

/** A source reading from `store`; each run's manifest is read once. */
export function storeArtifactSource(store: ArtifactStore): StoreArtifactSource {
  const manifests = new Map<string, Promise<StoredRunManifest | null>>();
  const manifestOf = (runId: string): Promise<StoredRunManifest | null> => {
    let read = manifests.get(runId);
    if (read === undefined) {
      read = store.readRun(runId).catch((error: unknown) => {
        if (error instanceof ManifestNotFoundError) return null;
        throw error;
      });
      manifests.set(runId, read);
    }
    return read;
  };
  return {
    name: store.url,
    async tryFetch(run, entry, dest) {
      const manifest = await manifestOf(run.id);
      const file = manifest?.files.find((f) => f.path === entry.path && f.sha256 === entry.sha256);
      if (manifest === null || manifest === undefined || file === undefined) return false;
      await store.fetchFile(manifest, entry.path, dest);
      return true;
    },
  };
}
