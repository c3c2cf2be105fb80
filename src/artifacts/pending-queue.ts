/**
 * Runs whose artifacts wait for the store: one small JSON record per run under
 * `<git dir>/ghml/pending/<run-id>.json` (the store, the repository, the exact manifest bytes to
 * write and its digest, the files by path, digest and size), and the files themselves in the
 * local content-addressed cache (`<git dir>/ghml/objects`). Enqueueing copies every file into
 * the cache (verified against its recorded digest) before the record is written, atomically: a
 * record on disk always has all its files in the cache, so deleting the run's open folder never
 * loses a pending file. Records are read as untrusted input (size-capped, fully validated).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GhmlError } from '../errors/ghml-error.js';
import { assertArtifactPath } from './artifact-path.js';
import { assertSha256 } from './artifact-errors.js';
import type { LocalContentStore } from './local-content-store.js';
import { InvalidManifestError } from './oci/oci-errors.js';
import { TAG } from './oci/oci-names.js';
import { manifestDigestOf, parseRunManifest, type RunFile } from './oci/run-manifest.js';

const RECORD_VERSION = 1;
const MAX_RECORD_BYTES = 32 * 1024 * 1024;

/** What one run still has to upload. */
export interface PendingUpload {
  runId: string;
  experiment: string;
  /** The store it is meant for, e.g. `oci://ghcr.io/acme/ml`. */
  store: string;
  /** Repository the manifest goes to, e.g. `acme/ml/runs`. */
  repository: string;
  /** The manifest's exact bytes (JSON text) and digest. */
  manifest: string;
  manifestDigest: string;
  files: RunFile[];
  /** Milliseconds since the epoch. */
  queuedAt: number;
  /** Why it was queued: the message of the error that stopped the upload. */
  reason: string;
}

/** A file to enqueue: its run path, where its bytes are now, and what run.json records. */
export interface PendingFileInput {
  path: string;
  file: string;
  sha256: string;
  size: number;
}

/** A pending record that cannot be used (damaged or hand-edited). */
export class InvalidPendingRecordError extends GhmlError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`The pending upload record ${file} is unusable: ${problem}.`, {
      hint: 'the files are still in the local cache; delete the record to drop the upload, or record the run again',
    });
    this.name = 'InvalidPendingRecordError';
  }
}

/** Where a repository's pending records live. */
export function pendingDir(gitDir: string): string {
  return join(gitDir, 'ghml', 'pending');
}

export class PendingQueue {
  constructor(
    readonly dir: string,
    readonly cache: LocalContentStore,
  ) {}

  private recordPath(runId: string): string {
    if (!TAG.test(runId)) {
      throw new InvalidPendingRecordError(runId.slice(0, 100), 'the run id is not a valid tag');
    }
    return join(this.dir, `${runId}.json`);
  }

  /**
   * Copies the files into the cache (each checked against its digest and size: a file that
   * changed since it was recorded throws DigestMismatchError/SizeMismatchError and nothing is
   * queued), then writes the record. Enqueueing the same run again replaces its record.
   */
  async enqueue(upload: PendingUpload, files: readonly PendingFileInput[]): Promise<void> {
    const target = this.recordPath(upload.runId);
    validate(upload, target);
    for (const file of files) {
      assertArtifactPath(file.path, `run ${upload.runId}`);
      await this.cache.put(file.file, { sha256: file.sha256, size: file.size });
    }
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(temp, JSON.stringify({ version: RECORD_VERSION, ...upload }, null, 2), {
        flag: 'wx',
      });
      await rename(temp, target);
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** Every pending record, oldest first; unusable ones are returned apart, with why. */
  async list(): Promise<{ uploads: PendingUpload[]; invalid: InvalidPendingRecordError[] }> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { uploads: [], invalid: [] };
      throw error;
    }
    const uploads: PendingUpload[] = [];
    const invalid: InvalidPendingRecordError[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const file = join(this.dir, name);
      try {
        uploads.push(await this.read(file, name.slice(0, -'.json'.length)));
      } catch (error) {
        if (error instanceof InvalidPendingRecordError) invalid.push(error);
        else throw error;
      }
    }
    uploads.sort((a, b) => a.queuedAt - b.queuedAt || (a.runId < b.runId ? -1 : 1));
    return { uploads, invalid };
  }

  /** The record of one run, or undefined when it has none. */
  async get(runId: string): Promise<PendingUpload | undefined> {
    const file = this.recordPath(runId);
    try {
      return await this.read(file, runId);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Drops a run's record (after its upload); its cache objects stay. */
  async remove(runId: string): Promise<void> {
    await rm(this.recordPath(runId), { force: true });
  }

  /** The cache path holding a pending file's bytes. */
  objectPath(sha256: string): string {
    return this.cache.pathOf(sha256);
  }

  private async read(file: string, runId: string): Promise<PendingUpload> {
    const data = await readFile(file);
    if (data.length > MAX_RECORD_BYTES)
      throw new InvalidPendingRecordError(file, 'it is too large');
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch {
      throw new InvalidPendingRecordError(file, 'it is not JSON');
    }
    const r = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
    if (r['version'] !== RECORD_VERSION) {
      throw new InvalidPendingRecordError(file, `its version is not ${RECORD_VERSION}`);
    }
    const str = (key: string): string => {
      const value = r[key];
      if (typeof value !== 'string')
        throw new InvalidPendingRecordError(file, `'${key}' is missing`);
      return value;
    };
    const queuedAt = r['queuedAt'];
    const upload: PendingUpload = {
      runId: str('runId'),
      experiment: str('experiment'),
      store: str('store'),
      repository: str('repository'),
      manifest: str('manifest'),
      manifestDigest: str('manifestDigest'),
      files: [],
      queuedAt: typeof queuedAt === 'number' ? queuedAt : 0,
      reason: typeof r['reason'] === 'string' ? r['reason'] : '',
    };
    if (upload.runId !== runId)
      throw new InvalidPendingRecordError(file, 'its run id differs from its name');
    // The files are taken from the manifest itself, so the two cannot disagree.
    try {
      upload.files = parseRunManifest(Buffer.from(upload.manifest), file).files;
    } catch (error) {
      if (error instanceof InvalidManifestError)
        throw new InvalidPendingRecordError(file, error.message);
      throw error;
    }
    validate(upload, file);
    return upload;
  }
}

function validate(upload: PendingUpload, where: string): void {
  if (manifestDigestOf(Buffer.from(upload.manifest)) !== upload.manifestDigest) {
    throw new InvalidPendingRecordError(where, 'its manifest does not match its digest');
  }
  const manifest = parseRunManifest(Buffer.from(upload.manifest), where);
  if (manifest.runId !== upload.runId) {
    throw new InvalidPendingRecordError(where, 'its manifest names another run');
  }
  for (const file of upload.files) assertSha256(file.sha256);
}
