/**
 * The ContentStore interface over one repository of an OCI registry: content is a blob named by
 * its sha256. `put` streams the file (HEAD first, so content already there is not sent again)
 * and `get` downloads into a temp file renamed into place after the digest checks out. Blobs
 * are durable only while a manifest refers to them (registries garbage-collect unreferenced
 * blobs): ArtifactStore writes one manifest per run for that reason, and other users of this
 * class must do the same.
 */
import { stat } from 'node:fs/promises';
import { ContentNotFoundError, assertSha256 } from './artifact-errors.js';
import type { ContentStore, TransferProgress } from './content-store.js';
import { hashFile } from './local-content-store.js';
import { uploadBlob, fileSource, type BlobUploadOptions } from './oci/blob-upload.js';
import { downloadBlob } from './oci/blob-download.js';
import { MissingBlobError } from './oci/oci-errors.js';
import { assertRepository, toDigest } from './oci/oci-names.js';
import type { RegistryClient } from './oci/registry-client.js';

export class OciContentStore implements ContentStore {
  readonly description: string;

  constructor(
    private readonly client: RegistryClient,
    readonly repository: string,
    private readonly upload: BlobUploadOptions = {},
  ) {
    assertRepository(repository);
    this.description = `oci://${client.registry}/${repository}`;
  }

  async has(sha256: string): Promise<boolean> {
    assertSha256(sha256);
    return (await this.client.blobSize(this.repository, toDigest(sha256))) !== null;
  }

  async put(
    file: string,
    options: { sha256?: string; size?: number; onProgress?: TransferProgress } = {},
  ): Promise<{ sha256: string; size: number }> {
    // Without a recorded digest, hash the file once first (the upload needs it for HEAD).
    const known =
      options.sha256 === undefined
        ? await hashFile(file)
        : { sha256: options.sha256, size: options.size ?? (await stat(file)).size };
    const { sha256, size } = known;
    assertSha256(sha256);
    await uploadBlob(this.client, this.repository, fileSource(file, file, sha256, size), {
      ...this.upload,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return { sha256, size };
  }

  async get(
    sha256: string,
    dest: string,
    options: { size?: number; onProgress?: TransferProgress } = {},
  ): Promise<void> {
    assertSha256(sha256);
    try {
      await downloadBlob(this.client, this.repository, sha256, dest, {
        ...(options.size !== undefined ? { size: options.size } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    } catch (error) {
      if (error instanceof MissingBlobError)
        throw new ContentNotFoundError(this.description, sha256);
      throw error;
    }
  }
}
