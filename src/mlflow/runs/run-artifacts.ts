/**
 * A run's artifacts for the MLflow artifact API: uploads into an open run's artifacts folder
 * (the same folder GHML_ARTIFACTS_DIR names, so ingestion records them like any artifact),
 * and listings and downloads from that folder or, for a recorded run, from the tracking branch,
 * the local content-addressed cache, or the artifact store (for files too large for the branch:
 * fetched into the cache, sha256-checked, then served from there).
 * An upload is written to a temporary file outside the artifacts folder and renamed into place
 * only when complete, so a refused, cut or over-size upload leaves nothing behind.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import { localCacheRoot, LocalContentStore } from '../../artifacts/local-content-store.js';
import { storeArtifactSource } from '../../artifacts/store-artifact-source.js';
import { describeError } from '../../errors/ghml-error.js';
import type { ArtifactEntry } from '../../tracking/run-record.js';
import type { StoredRun, TrackingStore } from '../../tracking/store/tracking-store.js';
import { MlflowApiError, invalidParameter, notFound } from '../http/mlflow-error.js';
import type { FoundRun } from './run-bridge.js';
import type { OpenRunState } from './run-state.js';

/** One entry of a listing: `path` relative to the run's artifact root. */
export interface ArtifactListing {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

function sizeCap(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > max) {
        done(
          invalidParameter(
            `Artifact uploads must be at most ${max} bytes.`,
            'raise it with ghml server --max-upload-mb',
          ),
        );
        return;
      }
      done(null, chunk);
    },
  });
}

/** Streams an upload into the open run's artifacts at `path` (atomically). */
export async function uploadArtifact(
  state: OpenRunState,
  path: string,
  body: IncomingMessage,
  maxBytes: number,
): Promise<void> {
  if (path === '') throw invalidParameter('An artifact upload needs a file path.');
  const declared = Number(body.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw invalidParameter(
      `Artifact uploads must be at most ${maxBytes} bytes, got ${declared}.`,
      'raise it with ghml server --max-upload-mb',
    );
  }
  const target = join(state.sink.artifactsDir, ...path.split('/'));
  const uploads = join(dirname(state.sink.artifactsDir), '.uploads');
  await mkdir(uploads, { recursive: true });
  const tmp = join(uploads, `${randomBytes(8).toString('hex')}.part`);
  try {
    await pipeline(body, sizeCap(maxBytes), createWriteStream(tmp));
    const existing = await stat(target).catch(() => undefined);
    if (existing?.isDirectory()) {
      throw invalidParameter(`Artifact path '${path}' is a folder of the run's artifacts.`);
    }
    try {
      await mkdir(dirname(target), { recursive: true });
    } catch {
      throw invalidParameter(`Artifact path '${path}' is below a file of the run's artifacts.`);
    }
    await rename(tmp, target);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Deletes an artifact file or folder of an open run. */
export async function deleteArtifact(state: OpenRunState, path: string): Promise<void> {
  if (path === '') throw invalidParameter('Deleting every artifact of a run needs a path.');
  const target = join(state.sink.artifactsDir, ...path.split('/'));
  if ((await stat(target).catch(() => undefined)) === undefined) {
    throw notFound(`No artifact at '${path}' in run ${state.id}`);
  }
  await rm(target, { recursive: true, force: true });
}

/** Lists the entries directly under `path` (relative to the run's artifact root). */
export async function listArtifacts(found: FoundRun, path: string): Promise<ArtifactListing[]> {
  if (found.kind === 'open') return listFolder(found.state.sink.artifactsDir, path);
  return listRecorded(found.run.record.artifacts, path);
}

async function listFolder(root: string, path: string): Promise<ArtifactListing[]> {
  const dir = path === '' ? root : join(root, ...path.split('/'));
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: ArtifactListing[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = path === '' ? entry.name : `${path}/${entry.name}`;
    if (entry.isDirectory()) out.push({ path: rel, is_dir: true });
    else if (entry.isFile()) {
      const info = await stat(join(dir, entry.name));
      out.push({ path: rel, is_dir: false, file_size: info.size });
    }
  }
  return out;
}

function listRecorded(artifacts: readonly ArtifactEntry[], path: string): ArtifactListing[] {
  const prefix = path === '' ? '' : `${path}/`;
  const seen = new Map<string, ArtifactListing>();
  for (const artifact of artifacts) {
    if (!artifact.path.startsWith(prefix)) continue;
    const rest = artifact.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash === -1)
      seen.set(rest, { path: `${prefix}${rest}`, is_dir: false, file_size: artifact.size });
    else {
      const name = rest.slice(0, slash);
      if (!seen.has(name)) seen.set(name, { path: `${prefix}${name}`, is_dir: true });
    }
  }
  return [...seen.keys()].sort().map((k) => seen.get(k) as ArtifactListing);
}

/** Where a recorded run's files are read from, besides the tracking branch. */
export interface ArtifactReadSources {
  store: TrackingStore;
  gitDir: string;
  /** The artifact store (opened on first use), or null when there is none. */
  artifactStore: () => ArtifactStore | null;
}

/** A download: the bytes of one artifact file. */
export async function readArtifact(
  found: FoundRun,
  path: string,
  sources: ArtifactReadSources,
): Promise<{ stream: Readable; size: number }> {
  if (found.kind === 'open') {
    const file = join(found.state.sink.artifactsDir, ...path.split('/'));
    const info = await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile()) throw artifactMissing(found.state.id, path);
    return { stream: createReadStream(file), size: info.size };
  }
  return readRecorded(found.run, path, sources);
}

async function readRecorded(
  run: StoredRun,
  path: string,
  sources: ArtifactReadSources,
): Promise<{ stream: Readable; size: number }> {
  const entry = run.record.artifacts.find((a) => a.path === path);
  if (entry === undefined) throw artifactMissing(run.id, path);
  if (entry.stored) {
    const data = await sources.store.readArtifact(run, path);
    return { stream: Readable.from([data]), size: data.length };
  }
  // Files over the branch's size limit are in the local content-addressed cache (by digest)
  // on the machine that recorded them, and in the artifact store once uploaded.
  const cache = new LocalContentStore(localCacheRoot(sources.gitDir));
  const where = await fetchIntoCache(run, entry, cache, sources);
  if (await cache.has(entry.sha256)) {
    const local = cache.pathOf(entry.sha256);
    const info = await stat(local);
    return { stream: createReadStream(local), size: info.size };
  }
  throw notFound(
    `Artifact '${path}' of run ${run.id} is not stored on the tracking branch (${entry.size} bytes, sha256 ${entry.sha256}), is not on this machine${where}${entry.uri === undefined ? '' : `; it was at ${entry.uri}`}.`,
    'on the machine that recorded it, `ghml push` uploads files still waiting for the artifact store',
  );
}

/**
 * Copies a file the cache lacks from the artifact store into the cache (verified against the
 * sha256 run.json records). Returns where else it looked, for the not-found message.
 */
async function fetchIntoCache(
  run: StoredRun,
  entry: ArtifactEntry,
  cache: LocalContentStore,
  sources: ArtifactReadSources,
): Promise<string> {
  if (await cache.has(entry.sha256)) return '';
  const store = sources.artifactStore();
  if (store === null) return ' and no artifact store is configured (ghml.yml artifacts.store)';
  const downloads = join(sources.gitDir, 'ghml', 'mlflow', 'downloads');
  await mkdir(downloads, { recursive: true });
  const temp = join(downloads, `${randomBytes(8).toString('hex')}.part`);
  try {
    if (!(await storeArtifactSource(store).tryFetch(run, entry, temp))) {
      return ` and is not in ${store.url}`;
    }
    await cache.adopt(temp, entry.sha256, entry.size);
    return '';
  } catch (error) {
    throw new MlflowApiError(
      'TEMPORARILY_UNAVAILABLE',
      `Artifact '${entry.path}' of run ${run.id} could not be read from ${store.url}: ${describeError(error)}`,
    );
  } finally {
    await rm(temp, { force: true });
  }
}

function artifactMissing(runId: string, path: string) {
  return notFound(`No artifact at '${path}' in run ${runId}`);
}
