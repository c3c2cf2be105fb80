/**
 * The artifact store: run files too large for the tracking branch, kept in an OCI registry.
 * This is the API the run recorder, `ghml push`, `runs get`, `model get/register`, deploy and
 * `gc` call. Layout under the store's prefix (`oci://<registry>/<prefix>`):
 *   <prefix>/runs:<run-id>              one manifest per run (artifactType
 *                                       application/vnd.ghml.run.v1), a layer per file titled
 *                                       with its path; the layer digests are the sha256 run.json
 *                                       records, so a file is hashed once, when collected
 *   <prefix>/models/<model>:<version>   a model version: the same manifest (same digest),
 *                                       its blobs mounted from <prefix>/runs, never re-uploaded
 *   <prefix>/modelcars/<model>:<version> a KServe modelcar image (files under /models)
 *
 * API (each method throws typed GhmlErrors; none prints a credential):
 *   uploadRun(runId, files, {experiment, onProgress})  uploads what the registry lacks (HEAD
 *       first), writes and tags the manifest; when the registry refuses or is unreachable, the
 *       files go to the local cache and a pending record instead, and the result says
 *       `pending: true` with one warning. run.json can record the result either way: the
 *       manifest digest does not depend on whether the upload happened yet.
 *   describeRun(runId, files, meta)          the manifest and its digest, nothing sent
 *   readRun(runId | digest), readModelVersion(model, version)
 *                                            a manifest: its files by path, sha256 and size
 *   fetchFiles(manifest, destDir, {paths}), fetchRunFiles(runId, ...), fetchModelFiles(...),
 *   fetchFile(run, path, dest)               files written verified (local cache first)
 *   tagModelVersion({runId, model, version}) tags the run's manifest as a model version
 *   pushModelcar({runId, model, version, base}) builds the modelcar image from the run's files
 *   pending(), uploadPending()               the queue `ghml push` drains (idempotent)
 *   planGc(store, ...), applyGc(store, plan) in store-gc.ts
 * Open one with `openArtifactStore` (store-settings.ts), which applies `artifacts.store` and the
 * environment's default and returns null for `none`.
 */
import { stat } from 'node:fs/promises';
import { formatArtifactStoreUrl } from '../config/artifact-store-url.js';
import { GhmlError } from '../errors/ghml-error.js';
import {
  ContentNotFoundError,
  DigestMismatchError,
  SizeMismatchError,
  UnsafeArtifactPathError,
} from './artifact-errors.js';
import { assertArtifactPath, resolveInside } from './artifact-path.js';
import type { LocalContentStore } from './local-content-store.js';
import { downloadBlob } from './oci/blob-download.js';
import {
  fileSource,
  uploadBlob,
  type BlobSource,
  type BlobUploadOptions,
} from './oci/blob-upload.js';
import { pushModelcar, type BaseImage, type PushedModelcar } from './oci/modelcar.js';
import {
  InvalidManifestError,
  ManifestNotFoundError,
  MissingBlobError,
  VersionTagConflictError,
} from './oci/oci-errors.js';
import {
  TAG,
  assertReference,
  modelRepository,
  modelcarRepository,
  runsRepository,
  toDigest,
  versionTag,
} from './oci/oci-names.js';
import type { RegistryClient } from './oci/registry-client.js';
import {
  EMPTY_CONFIG,
  EMPTY_CONFIG_BYTES,
  OCI_MANIFEST_TYPE,
  formatRunManifest,
  manifestDigestOf,
  parseRunManifest,
  type RunFile,
  type RunManifest,
} from './oci/run-manifest.js';
import { Readable } from 'node:stream';
import { PendingQueue, type PendingUpload } from './pending-queue.js';

/** Progress over a whole run: bytes done and total, and the file being moved. */
export type RunProgress = (doneBytes: number, totalBytes: number, path: string) => void;

/** A run file to upload: its run path, where its bytes are, and what run.json records. */
export interface RunUploadFile {
  path: string;
  file: string;
  sha256: string;
  size: number;
}

/** What run.json records about a run's files in the store. */
export interface RunUploadResult {
  /** The store, e.g. `oci://ghcr.io/acme/ml`. */
  store: string;
  /** The repository holding the manifest, e.g. `acme/ml/runs`. */
  repository: string;
  /** The tag: the run id. */
  tag: string;
  manifestDigest: string;
  files: RunFile[];
  /** True when the upload is queued (see `warning`), false when the store has everything. */
  pending: boolean;
  /** One line for the user when pending: why, and that `ghml push` uploads it later. */
  warning?: string;
}

/** A run's manifest as read from the store. */
export interface StoredRunManifest extends RunManifest {
  repository: string;
  manifestDigest: string;
}

export interface ArtifactStoreOptions {
  /** The registry (`host[:port]`) and repository prefix. */
  registry: string;
  prefix: string;
  client: RegistryClient;
  /** The local cache (`<git dir>/ghml/objects`). */
  cache: LocalContentStore;
  /** The pending records folder (`<git dir>/ghml/pending`). */
  pendingDir: string;
  /** Files uploaded at once (default 3). */
  concurrency?: number;
  /**
   * The code repository's URL, written into each manifest (`org.opencontainers.image.source`):
   * GitHub's registry links a new package to that repository, so the workflow token can write it.
   */
  source?: string;
  /** Chunk sizes, retry budget. */
  upload?: BlobUploadOptions;
}

export interface UploadPendingResult {
  uploaded: RunUploadResult[];
  failed: Array<{ runId: string; error: GhmlError }>;
  /** Records meant for another store (the setting changed since): left queued. */
  otherStore: PendingUpload[];
  /** Damaged records, left in place. */
  invalid: GhmlError[];
}

/** Errors that mean "the store refused or could not be reached": the upload is queued. */
function queueable(error: unknown): error is GhmlError {
  return (
    error instanceof GhmlError &&
    !(error instanceof DigestMismatchError) &&
    !(error instanceof SizeMismatchError) &&
    !(error instanceof UnsafeArtifactPathError)
  );
}

/** The size of an artifact file; a missing or unreadable file is a clear error. */
async function fileSize(file: string, path: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    throw new GhmlError(
      `Cannot read the artifact '${path}' at ${file}: ${(error as Error).message}.`,
      {
        hint: 'the file was moved or deleted after the run recorded it; record the run again',
        cause: error,
      },
    );
  }
}

async function pool<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

export class ArtifactStore {
  /** `oci://registry/prefix`. */
  readonly url: string;
  readonly registry: string;
  readonly prefix: string;
  readonly runsRepository: string;
  readonly client: RegistryClient;
  readonly queue: PendingQueue;
  private readonly cache: LocalContentStore;
  private readonly concurrency: number;
  private readonly upload: BlobUploadOptions;
  private readonly source: string | undefined;

  constructor(options: ArtifactStoreOptions) {
    this.registry = options.registry;
    this.prefix = options.prefix;
    this.url = formatArtifactStoreUrl({
      kind: 'oci',
      registry: options.registry,
      prefix: options.prefix,
    });
    this.runsRepository = runsRepository(options.prefix);
    this.client = options.client;
    this.cache = options.cache;
    this.queue = new PendingQueue(options.pendingDir, options.cache);
    this.concurrency = options.concurrency ?? 3;
    this.upload = options.upload ?? {};
    this.source = options.source;
  }

  /** The manifest bytes and digest a run's files give (nothing is sent). */
  describeRun(
    runId: string,
    files: readonly RunFile[],
    meta: { experiment: string; created?: string; revision?: string },
  ): { manifest: Buffer; manifestDigest: string } {
    const manifest = formatRunManifest({
      runId,
      experiment: meta.experiment,
      files: [...files],
      ...(meta.created === undefined ? {} : { created: meta.created }),
      ...(meta.revision === undefined ? {} : { revision: meta.revision }),
      ...(this.source === undefined ? {} : { source: this.source }),
    });
    return { manifest, manifestDigest: manifestDigestOf(manifest) };
  }

  /**
   * Uploads a run's files and writes its manifest, tagged with the run id. When the store
   * refuses or is unreachable (after retries), queues everything instead (unless
   * `queueOnFailure` is false) and returns `pending: true` with a warning. A file that no longer
   * matches its recorded digest or size, or a bad path, throws: nothing is then recorded as
   * uploaded or queued.
   */
  async uploadRun(
    runId: string,
    files: readonly RunUploadFile[],
    options: {
      experiment: string;
      created?: string;
      revision?: string;
      onProgress?: RunProgress;
      queueOnFailure?: boolean;
    },
  ): Promise<RunUploadResult> {
    if (!TAG.test(runId)) assertReference(runId);
    const seen = new Set<string>();
    for (const file of files) {
      assertArtifactPath(file.path, `run ${runId}`);
      if (seen.has(file.path))
        throw new UnsafeArtifactPathError(file.path, 'appears twice', `run ${runId}`);
      seen.add(file.path);
    }
    const runFiles = files.map(({ path, sha256, size }) => ({ path, sha256, size }));
    const { manifest, manifestDigest } = this.describeRun(runId, runFiles, options);
    const result: RunUploadResult = {
      store: this.url,
      repository: this.runsRepository,
      tag: runId,
      manifestDigest,
      files: parseRunManifest(manifest, 'the new manifest').files,
      pending: false,
    };
    // A file that is gone or changed size is refused before anything moves or is queued.
    for (const file of files) {
      const size = await fileSize(file.file, file.path);
      if (size !== file.size) throw new SizeMismatchError(file.path, file.size, size);
    }
    try {
      await this.pushRun(
        runId,
        files.map((f) => fileSource(f.path, f.file, f.sha256, f.size)),
        manifest,
        options.onProgress,
      );
      return result;
    } catch (error) {
      if (!(options.queueOnFailure ?? true) || !queueable(error)) throw error;
      const reason = error.hint ? `${error.message} (${error.hint})` : error.message;
      await this.queue.enqueue(
        {
          runId,
          experiment: options.experiment,
          store: this.url,
          repository: this.runsRepository,
          manifest: manifest.toString('utf8'),
          manifestDigest,
          files: result.files,
          queuedAt: Date.now(),
          reason,
        },
        files,
      );
      return {
        ...result,
        pending: true,
        warning:
          `the artifacts of run ${runId} were not uploaded to ${this.url}: ${reason} ` +
          `They wait in the local cache; run \`ghml push\` to upload them.`,
      };
    }
  }

  /** Sends the blobs the registry lacks, then the manifest; idempotent. */
  private async pushRun(
    runId: string,
    sources: readonly BlobSource[],
    manifest: Buffer,
    onProgress: RunProgress | undefined,
  ): Promise<void> {
    const repository = this.runsRepository;
    const total = sources.reduce((sum, s) => sum + s.size, 0);
    const done = new Map<string, number>();
    let sum = 0;
    const config: BlobSource = {
      label: 'the empty config',
      size: EMPTY_CONFIG.size,
      sha256: EMPTY_CONFIG.digest.slice('sha256:'.length),
      open: (start, end) => Readable.from([EMPTY_CONFIG_BYTES.subarray(start, end)]),
    };
    await uploadBlob(this.client, repository, config, this.upload);
    await pool(sources, this.concurrency, async (source) => {
      await uploadBlob(this.client, repository, source, {
        ...this.upload,
        onProgress: (bytes) => {
          sum += bytes - (done.get(source.label) ?? 0);
          done.set(source.label, bytes);
          onProgress?.(sum, total, source.label);
        },
      });
    });
    await this.client.putManifest(repository, runId, manifest, OCI_MANIFEST_TYPE);
  }

  /** Reads and validates a run's manifest by run id (its tag) or manifest digest. */
  async readRun(reference: string): Promise<StoredRunManifest> {
    const manifest = await this.readManifest(this.runsRepository, reference);
    if (TAG.test(reference) && manifest.runId !== reference) {
      throw new InvalidManifestError(
        `${this.registry}/${this.runsRepository}:${reference}`,
        `it names run ${manifest.runId}`,
      );
    }
    return manifest;
  }

  /** Reads a model version's manifest (the manifest of the run it was registered from). */
  async readModelVersion(model: string, version: string): Promise<StoredRunManifest> {
    return this.readManifest(modelRepository(this.prefix, model), versionTag(version));
  }

  private async readManifest(repository: string, reference: string): Promise<StoredRunManifest> {
    assertReference(reference);
    const fetched = await this.client.getManifest(repository, reference, [OCI_MANIFEST_TYPE]);
    if (fetched === null) throw new ManifestNotFoundError(this.registry, repository, reference);
    const manifest = parseRunManifest(fetched.bytes, `${this.registry}/${repository}:${reference}`);
    return { ...manifest, repository, manifestDigest: fetched.digest };
  }

  /** Writes a run's files (all, or `paths`) under `destDir`; see `fetchFiles`. */
  async fetchRunFiles(
    reference: string,
    destDir: string,
    options: { paths?: readonly string[]; onProgress?: RunProgress } = {},
  ): Promise<Array<RunFile & { dest: string }>> {
    return this.fetchFiles(await this.readRun(reference), destDir, options);
  }

  /** Writes a model version's files (all, or `paths`) under `destDir`; see `fetchFiles`. */
  async fetchModelFiles(
    model: string,
    version: string,
    destDir: string,
    options: { paths?: readonly string[]; onProgress?: RunProgress } = {},
  ): Promise<Array<RunFile & { dest: string }>> {
    return this.fetchFiles(await this.readModelVersion(model, version), destDir, options);
  }

  /**
   * Writes the files of a manifest read by `readRun`/`readModelVersion` (all, or `paths`) under
   * `destDir`, each verified against its sha256 and size and renamed into place only then.
   * Files already in the local cache are copied from it; the rest are downloaded.
   */
  async fetchFiles(
    manifest: StoredRunManifest,
    destDir: string,
    options: { paths?: readonly string[]; onProgress?: RunProgress } = {},
  ): Promise<Array<RunFile & { dest: string }>> {
    const byPath = new Map(manifest.files.map((f) => [f.path, f]));
    const wanted =
      options.paths === undefined
        ? manifest.files
        : options.paths.map((path) => {
            const file = byPath.get(path);
            if (file === undefined) throw this.noSuchFile(manifest, path);
            return file;
          });
    const total = wanted.reduce((sum, f) => sum + f.size, 0);
    let base = 0;
    const out: Array<RunFile & { dest: string }> = [];
    for (const file of wanted) {
      const dest = resolveInside(destDir, file.path, `${this.url} run ${manifest.runId}`);
      const start = base;
      await this.fetchBlob(manifest.repository, file, dest, (bytes) =>
        options.onProgress?.(start + bytes, total, file.path),
      );
      base += file.size;
      out.push({ ...file, dest });
    }
    return out;
  }

  /** Writes one file of a run (by run id or manifest) to `dest`, verified. */
  async fetchFile(
    run: string | StoredRunManifest,
    path: string,
    dest: string,
    options: { onProgress?: RunProgress } = {},
  ): Promise<RunFile> {
    const manifest = typeof run === 'string' ? await this.readRun(run) : run;
    const file = manifest.files.find((f) => f.path === path);
    if (file === undefined) throw this.noSuchFile(manifest, path);
    await this.fetchBlob(manifest.repository, file, dest, (bytes) =>
      options.onProgress?.(bytes, file.size, file.path),
    );
    return file;
  }

  private noSuchFile(manifest: StoredRunManifest, path: string): GhmlError {
    return new GhmlError(
      `Run ${manifest.runId} has no file '${path.slice(0, 300)}' in ${this.url}/${manifest.repository.slice(this.prefix.length).replace(/^\//, '')}.`,
      { hint: `list its files with \`ghml runs get ${manifest.runId}\``, exitCode: 2 },
    );
  }

  private async fetchBlob(
    repository: string,
    file: RunFile,
    dest: string,
    progress: (bytes: number) => void,
  ): Promise<void> {
    if (await this.cache.has(file.sha256)) {
      await this.cache.get(file.sha256, dest, { size: file.size, onProgress: progress });
      return;
    }
    try {
      await downloadBlob(this.client, repository, file.sha256, dest, {
        size: file.size,
        label: file.path,
        onProgress: progress,
        ...(this.upload.retry ? { retry: this.upload.retry } : {}),
        ...(this.upload.sleep ? { sleep: this.upload.sleep } : {}),
      });
    } catch (error) {
      if (error instanceof MissingBlobError) {
        throw new MissingBlobError(error.registry, error.repository, error.digest, file.path);
      }
      throw error;
    }
  }

  /**
   * Tags a run's manifest as a model version in `<prefix>/models/<model>`: the blobs are mounted
   * from the runs repository (no bytes move) and the identical manifest is written under the
   * version's tag, so the version's digest is the run's. Files of the version that the run keeps
   * on its tracking branch (small ones, not in its manifest) are given as `add`: they are
   * uploaded to the models repository and listed too, so the version holds every file a
   * cluster pulls; its manifest (and digest) is then the run's with those files added. A tag
   * that already points elsewhere is never moved (VersionTagConflictError); tagging the same
   * content again is a no-op.
   */
  async tagModelVersion(options: {
    runId: string;
    model: string;
    version: string;
    add?: readonly (BlobSource & { path: string; sha256: string })[];
  }): Promise<{
    repository: string;
    tag: string;
    reference: string;
    manifestDigest: string;
    files: RunFile[];
  }> {
    const repository = modelRepository(this.prefix, options.model);
    const tag = versionTag(options.version);
    const fetched = await this.client.getManifest(this.runsRepository, options.runId, [
      OCI_MANIFEST_TYPE,
    ]);
    if (fetched === null)
      throw new ManifestNotFoundError(this.registry, this.runsRepository, options.runId);
    const where = `${this.registry}/${this.runsRepository}:${options.runId}`;
    const manifest = parseRunManifest(fetched.bytes, where);
    const listed = new Set(manifest.files.map((f) => f.path));
    const added = (options.add ?? []).filter((f) => !listed.has(f.path));
    for (const file of added) assertArtifactPath(file.path, `model ${options.model}`);
    const bytes =
      added.length === 0
        ? fetched.bytes
        : formatRunManifest({
            ...manifest,
            files: [
              ...manifest.files,
              ...added.map(({ path, sha256, size }) => ({ path, sha256, size })),
            ],
          });
    const digest = added.length === 0 ? fetched.digest : manifestDigestOf(bytes);
    const reference = `${this.registry}/${repository}:${tag}`;
    const existing = await this.client.manifestDigest(repository, tag, [OCI_MANIFEST_TYPE]);
    if (existing !== null && existing !== digest) {
      throw new VersionTagConflictError(reference, existing, digest);
    }
    if (existing === null) {
      const mount = { ...this.upload, mountFrom: this.runsRepository, requireMount: true };
      const sources = [
        { path: 'the empty config', sha256: EMPTY_CONFIG.digest.slice(7), size: EMPTY_CONFIG.size },
        ...manifest.files,
      ];
      for (const file of sources) {
        await uploadBlob(this.client, repository, this.remoteSource(file), mount);
      }
      for (const file of added) await uploadBlob(this.client, repository, file, this.upload);
      await this.client.putManifest(repository, tag, bytes, OCI_MANIFEST_TYPE);
    }
    return {
      repository,
      tag,
      reference,
      manifestDigest: digest,
      files: parseRunManifest(bytes, reference).files,
    };
  }

  /** A blob of the runs repository as a source: only its digest is used, for a mount. */
  private remoteSource(file: RunFile): BlobSource {
    return {
      label: file.path,
      size: file.size,
      sha256: file.sha256,
      open: () => {
        throw new Error('a model version is mounted, never uploaded');
      },
    };
  }

  /**
   * Builds and pushes a KServe modelcar image holding the run's files (all, or `paths`) under
   * /models, tagged with the version in `<prefix>/modelcars/<model>`. The bytes come from the
   * store itself; `base` should be an image with a shell (see docs/artifact-store.md).
   */
  async pushModelcar(options: {
    runId: string;
    model: string;
    version: string;
    paths?: readonly string[];
    base?: BaseImage;
    platform?: { os: string; architecture: string };
  }): Promise<PushedModelcar> {
    const manifest = await this.readRun(options.runId);
    const chosen =
      options.paths === undefined
        ? manifest.files
        : manifest.files.filter((f) => options.paths?.includes(f.path));
    return pushModelcar({
      client: this.client,
      repository: modelcarRepository(this.prefix, options.model),
      tag: versionTag(options.version),
      files: chosen.map((file) => ({
        path: file.path,
        size: file.size,
        content: {
          kind: 'blob',
          client: this.client,
          repository: this.runsRepository,
          digest: toDigest(file.sha256),
          size: file.size,
          label: file.path,
        },
      })),
      ...(options.base === undefined ? {} : { base: options.base }),
      ...(options.platform === undefined ? {} : { platform: options.platform }),
      ...(manifest.created === undefined ? {} : { created: manifest.created }),
      annotations: {
        'vnd.ghml.run.id': manifest.runId,
        'vnd.ghml.model': options.model,
        'vnd.ghml.model.version': options.version,
      },
      upload: this.upload,
    });
  }

  /** The runs waiting for this store (and any waiting for another one). */
  async pending(): Promise<{
    uploads: PendingUpload[];
    otherStore: PendingUpload[];
    invalid: GhmlError[];
  }> {
    const { uploads, invalid } = await this.queue.list();
    return {
      uploads: uploads.filter((u) => u.store === this.url),
      otherStore: uploads.filter((u) => u.store !== this.url),
      invalid,
    };
  }

  /**
   * Uploads every queued run of this store from the local cache and drops its record. Safe to
   * run again at any point (blobs the registry has are skipped, the manifest is identical), and
   * one failing run does not stop the others.
   */
  async uploadPending(
    options: { onProgress?: (runId: string, doneBytes: number, totalBytes: number) => void } = {},
  ): Promise<UploadPendingResult> {
    const { uploads, otherStore, invalid } = await this.pending();
    const result: UploadPendingResult = { uploaded: [], failed: [], otherStore, invalid };
    for (const upload of uploads) {
      try {
        for (const file of upload.files) {
          if (!(await this.cache.has(file.sha256)))
            throw new ContentNotFoundError(this.cache.description, file.sha256);
        }
        const manifest = Buffer.from(upload.manifest);
        const sources = upload.files.map((f) =>
          fileSource(f.path, this.queue.objectPath(f.sha256), f.sha256, f.size),
        );
        await this.pushRun(upload.runId, sources, manifest, (done, total) =>
          options.onProgress?.(upload.runId, done, total),
        );
        await this.queue.remove(upload.runId);
        result.uploaded.push({
          store: upload.store,
          repository: upload.repository,
          tag: upload.runId,
          manifestDigest: upload.manifestDigest,
          files: upload.files,
          pending: false,
        });
      } catch (error) {
        if (!(error instanceof GhmlError)) throw error;
        result.failed.push({ runId: upload.runId, error });
      }
    }
    return result;
  }
}
