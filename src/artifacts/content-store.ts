/**
 * A content-addressed store of files, keyed by the sha256 of their bytes (64 lowercase hex
 * characters, the same digest run.json records for each artifact). Implementations: the
 * local cache under `<git dir>/ghml/`, and an OCI registry. Both the run artifact store and
 * the pipeline output cache go through this interface, so a file is hashed once and stored
 * once wherever it came from. `get` never leaves a partial or unverified file at `dest`.
 */

/** Progress of one transfer, in bytes. */
export type TransferProgress = (doneBytes: number, totalBytes: number) => void;

export interface ContentStore {
  /** What to call the store in messages, e.g. `oci://ghcr.io/acme/models` or a cache path. */
  readonly description: string;
  /** True for a store only read from here (content reaches it another way): `put` is skipped. */
  readonly readOnly?: boolean;
  /** True when the store holds content with this sha256. */
  has(sha256: string): Promise<boolean>;
  /**
   * Stores the file at `file`. When `sha256`/`size` are given (already computed while the
   * file was collected) they are checked while storing, not computed a second time.
   */
  put(
    file: string,
    options?: { sha256?: string; size?: number; onProgress?: TransferProgress },
  ): Promise<{ sha256: string; size: number }>;
  /**
   * Writes the content with this sha256 to `dest` (atomically, after verifying the digest).
   * Throws when the store does not hold it.
   */
  get(
    sha256: string,
    dest: string,
    options?: { size?: number; onProgress?: TransferProgress },
  ): Promise<void>;
}
