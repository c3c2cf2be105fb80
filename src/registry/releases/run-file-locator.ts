/**
 * Finds where the bytes of a run's artifact are, for registering it: on the tracking branch
 * (small files, read and checked now), in the local content-addressed cache, in the artifact
 * store (the run's manifest lists the same path with the same sha256), or at the `file://` path
 * the run recorded on this machine — the places `ghml runs get` reads too, in the same order.
 * Nothing is downloaded here: the result says how to open the bytes (model-content.ts), so a
 * file of any size can stream from the store to a release. Each run's manifest is read once.
 */
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ArtifactStore, StoredRunManifest } from '../../artifacts/artifact-store.js';
import type { LocalContentStore } from '../../artifacts/local-content-store.js';
import { DigestMismatchError, SizeMismatchError } from '../../artifacts/artifact-errors.js';
import { ManifestNotFoundError } from '../../artifacts/oci/oci-errors.js';
import type { ArtifactEntry } from '../../tracking/run-record.js';
import type { StoredRun, TrackingStore } from '../../tracking/store/tracking-store.js';
import type { ModelBytes } from './model-content.js';
import { sha256Hex } from './model-files.js';

export interface RunFileLocatorOptions {
  tracking: Pick<TrackingStore, 'readArtifact'>;
  /** The local cache (`<git dir>/ghml/objects`). */
  cache?: LocalContentStore;
  /** The artifact store in force (null or undefined: none). */
  store?: ArtifactStore | null;
}

/** Where a run's artifacts are. */
export interface RunFileLocator {
  /** The bytes of `entry` of `run`, or undefined when no place has them. */
  locate(run: StoredRun, entry: ArtifactEntry): Promise<ModelBytes | undefined>;
  /** The run's manifest in the store, or null when the store does not have it (or none is set). */
  storeManifest(run: StoredRun): Promise<StoredRunManifest | null>;
  /** The store in force, if any. */
  readonly store: ArtifactStore | null;
}

export function runFileLocator(options: RunFileLocatorOptions): RunFileLocator {
  const store = options.store ?? null;
  const manifests = new Map<string, Promise<StoredRunManifest | null>>();
  const storeManifest = (run: StoredRun): Promise<StoredRunManifest | null> => {
    // Only the store the run names holds its manifest.
    if (store === null || run.record.store?.url !== store.url) return Promise.resolve(null);
    let read = manifests.get(run.id);
    if (read === undefined) {
      read = store.readRun(run.id).catch((error: unknown) => {
        if (error instanceof ManifestNotFoundError) return null;
        throw error;
      });
      manifests.set(run.id, read);
    }
    return read;
  };
  return {
    store,
    storeManifest,
    async locate(run, entry) {
      const where = `'${entry.path}' of run ${run.id}`;
      if (entry.stored) {
        const data = await options.tracking.readArtifact(run, entry.path);
        const actual = sha256Hex(data);
        if (data.length !== entry.size) {
          throw new SizeMismatchError(`${where} on the tracking branch`, entry.size, data.length);
        }
        if (actual !== entry.sha256) {
          throw new DigestMismatchError(`${where} on the tracking branch`, entry.sha256, actual);
        }
        return { ...sizeAndSha(entry), content: { kind: 'bytes', data }, where };
      }
      if (options.cache !== undefined && (await options.cache.has(entry.sha256))) {
        const file = options.cache.pathOf(entry.sha256);
        return { ...sizeAndSha(entry), content: { kind: 'file', file }, where: `${where} (cache)` };
      }
      const manifest = await storeManifest(run);
      const listed = manifest?.files.find(
        (f) => f.path === entry.path && f.sha256 === entry.sha256,
      );
      if (store !== null && manifest && listed) {
        return {
          ...sizeAndSha(entry),
          content: { kind: 'blob', store, repository: manifest.repository },
          where: `${where} in ${store.url}`,
        };
      }
      const local = await recordedFile(entry);
      if (local !== undefined) {
        return { ...sizeAndSha(entry), content: { kind: 'file', file: local }, where };
      }
      return undefined;
    },
  };
}

function sizeAndSha(entry: ArtifactEntry): { sha256: string; size: number } {
  return { sha256: entry.sha256, size: entry.size };
}

/** The `file://` path the run recorded, when it exists on this machine. */
async function recordedFile(entry: ArtifactEntry): Promise<string | undefined> {
  if (entry.uri === undefined || !entry.uri.startsWith('file://')) return undefined;
  try {
    const file = fileURLToPath(entry.uri);
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}
