/**
 * The release asset of a folder registered whole: `<folder>.tar.gz` holding the folder's files
 * at its root (`MLmodel`, `model.pkl`, `metadata/MLmodel`, …), which is where KServe's storage
 * initializer and `mlflow.pyfunc.load_model` expect them once unpacked. One asset because
 * basenames collide (`MLmodel` and `metadata/MLmodel`) and KServe unpacks `.tar.gz`.
 *
 * The same files always give the same bytes, hence the same sha256, on any machine: entries are
 * sorted, owned by root, dated 0, folders 0755 and files 0644 (oci/tar-layer.ts), and the gzip
 * holds stored blocks (stored-gzip.ts). Each file is read checked against its sha256 while the
 * archive is written, so a damaged copy (in the store, in the cache) fails here, before any tag.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Segment } from '../../artifacts/oci/segmented-source.js';
import { tarSegments } from '../../artifacts/oci/tar-layer.js';
import { openChecked } from './model-content.js';
import type { ModelFile } from './model-files.js';
import { StoredGzip } from './stored-gzip.js';

/** An archive written to a temp file. */
export interface ModelArchive {
  file: string;
  sha256: string;
  size: number;
}

/** Bytes done of the files' total, for a progress bar. */
export type ArchiveProgress = (bytes: number) => void;

/** Writes the archive of `files` (named by their path inside the folder) into `dir`. */
export async function buildModelArchive(
  files: readonly ModelFile[],
  dir: string,
  onProgress?: ArchiveProgress,
): Promise<ModelArchive> {
  const placeholders = new Map<Segment, ModelFile>();
  const segments = tarSegments(
    files.map((file) => {
      // A stand-in the tar layout keeps in place of the file's bytes: read checked below.
      const content: Segment = { kind: 'bytes', data: Buffer.alloc(0) };
      placeholders.set(content, file);
      return { path: file.name, size: file.size, content };
    }),
    0,
  );
  async function* tar(): AsyncGenerator<Buffer> {
    for (const segment of segments) {
      const file = placeholders.get(segment);
      if (file === undefined) {
        if (segment.kind === 'bytes') yield segment.data;
        continue;
      }
      for await (const chunk of openChecked(file.bytes)) {
        onProgress?.((chunk as Buffer).length);
        yield chunk as Buffer;
      }
    }
  }
  const file = join(dir, `.ghml-archive-${randomBytes(6).toString('hex')}.tar.gz`);
  const meter = new Meter();
  try {
    await pipeline(
      Readable.from(tar()),
      new StoredGzip(),
      meter,
      createWriteStream(file, { flags: 'wx' }),
    );
  } catch (error) {
    await rm(file, { force: true });
    throw error;
  }
  return { file, sha256: meter.digest(), size: meter.size };
}

class Meter extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
