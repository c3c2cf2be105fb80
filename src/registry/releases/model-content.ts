/**
 * Where the bytes of a model file are — in memory (a file kept on the tracking branch), in a
 * local file (the work tree, the local cache, a file the run recorded on this machine) or in
 * the artifact store (a blob of the run's manifest) — and reading them checked. Every read
 * hashes the bytes as they pass and holds the last chunk back until the sha256 and size match,
 * so a consumer (a release upload, an archive, a download) never completes with wrong bytes:
 * the stream fails with DigestMismatchError or SizeMismatchError instead.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { DigestMismatchError, SizeMismatchError } from '../../artifacts/artifact-errors.js';
import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import { toDigest } from '../../artifacts/oci/oci-names.js';
import { openSegments, type Segment } from '../../artifacts/oci/segmented-source.js';

/** How to read a model file's bytes. */
export type ModelContent =
  | { kind: 'bytes'; data: Buffer }
  | { kind: 'file'; file: string }
  /** A blob of `repository` in the store; its digest is the file's sha256. */
  | { kind: 'blob'; store: ArtifactStore; repository: string };

/** A model file's bytes with what they must hash to. */
export interface ModelBytes {
  sha256: string;
  size: number;
  content: ModelContent;
  /** Where they are, for messages, e.g. "model/MLmodel of run 01J… in the artifact store". */
  where: string;
}

/** Opens the bytes, checked; see the module comment. Each call reads them again. */
export function openChecked(bytes: ModelBytes): Readable {
  const source = openRaw(bytes);
  const check = new CheckedBytes(bytes);
  source.on('error', (error) => check.destroy(error));
  return source.pipe(check);
}

/** The bytes as a segment of a generated blob (a modelcar layer), unchecked. */
export function contentSegment(bytes: ModelBytes): Segment {
  const { content } = bytes;
  if (content.kind === 'bytes') return { kind: 'bytes', data: content.data };
  if (content.kind === 'file') return { kind: 'file', file: content.file, size: bytes.size };
  return {
    kind: 'blob',
    client: content.store.client,
    repository: content.repository,
    digest: toDigest(bytes.sha256),
    size: bytes.size,
    label: bytes.where,
  };
}

/** Which kind of place the bytes come from, for messages and `--json`. */
export function contentOrigin(bytes: ModelBytes): 'tracking-branch' | 'local' | 'store' {
  if (bytes.content.kind === 'bytes') return 'tracking-branch';
  return bytes.content.kind === 'file' ? 'local' : 'store';
}

function openRaw(bytes: ModelBytes): Readable {
  const segment = contentSegment(bytes);
  if (segment.kind === 'file') return createReadStream(segment.file, { highWaterMark: 1 << 20 });
  if (segment.kind === 'bytes') return Readable.from([segment.data]);
  return openSegments([segment], 0, bytes.size);
}

/** Passes bytes on while hashing them; the last chunk only once they match. */
class CheckedBytes extends Transform {
  private readonly hash = createHash('sha256');
  private seen = 0;
  private held: Buffer | undefined;

  constructor(private readonly expected: ModelBytes) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expected.size) {
      done(new SizeMismatchError(this.expected.where, this.expected.size, this.seen));
      return;
    }
    this.hash.update(chunk);
    const previous = this.held;
    this.held = chunk;
    done(null, previous);
  }

  override _flush(done: TransformCallback): void {
    if (this.seen !== this.expected.size) {
      done(new SizeMismatchError(this.expected.where, this.expected.size, this.seen));
      return;
    }
    const actual = this.hash.digest('hex');
    if (actual !== this.expected.sha256) {
      done(new DigestMismatchError(this.expected.where, this.expected.sha256, actual));
      return;
    }
    done(null, this.held);
  }
}
