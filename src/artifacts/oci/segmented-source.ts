/**
 * A blob made of consecutive segments (bytes in memory, ranges of local files, ranges of blobs
 * in a registry) with random access: `open(start, end)` streams exactly bytes [start, end) of
 * the whole, opening only the segments that overlap. This lets a generated blob (a tar layer of
 * a modelcar image) be uploaded in resumable chunks without ever being written out whole.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { SizeMismatchError } from '../artifact-errors.js';
import { MissingBlobError } from './oci-errors.js';
import type { RegistryClient } from './registry-client.js';

export type Segment =
  | { kind: 'bytes'; data: Buffer }
  | { kind: 'file'; file: string; size: number }
  | {
      kind: 'blob';
      client: RegistryClient;
      repository: string;
      digest: string;
      size: number;
      label: string;
    };

export function segmentSize(segment: Segment): number {
  return segment.kind === 'bytes' ? segment.data.length : segment.size;
}

/** Total size of the segments. */
export function segmentsSize(segments: readonly Segment[]): number {
  return segments.reduce((sum, s) => sum + segmentSize(s), 0);
}

async function* readBlobRange(
  segment: Extract<Segment, { kind: 'blob' }>,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  const opened = await segment.client.openBlob(segment.repository, segment.digest, start);
  if (opened === null) {
    throw new MissingBlobError(
      segment.client.registry,
      segment.repository,
      segment.digest,
      segment.label,
    );
  }
  let skip = start - opened.offset;
  let left = end - start;
  try {
    for await (const value of opened.response.body) {
      let chunk = value as Buffer;
      if (skip > 0) {
        const dropped = Math.min(skip, chunk.length);
        chunk = chunk.subarray(dropped);
        skip -= dropped;
      }
      if (chunk.length === 0) continue;
      if (chunk.length >= left) {
        yield chunk.subarray(0, left);
        left = 0;
        break;
      }
      left -= chunk.length;
      yield chunk;
    }
  } finally {
    opened.response.body.destroy();
  }
  if (left > 0) throw new SizeMismatchError(segment.label, end - start, end - start - left);
}

async function* readSegments(
  segments: readonly Segment[],
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  let base = 0;
  for (const segment of segments) {
    const size = segmentSize(segment);
    const from = Math.max(start, base) - base;
    const to = Math.min(end, base + size) - base;
    base += size;
    if (to <= from) continue;
    if (segment.kind === 'bytes') yield segment.data.subarray(from, to);
    else if (segment.kind === 'file') {
      for await (const chunk of createReadStream(segment.file, {
        start: from,
        end: to - 1,
        highWaterMark: 1024 * 1024,
      })) {
        yield chunk as Buffer;
      }
    } else yield* readBlobRange(segment, from, to);
    if (base >= end) break;
  }
}

/** A stream of bytes [start, end) of the concatenated segments. */
export function openSegments(segments: readonly Segment[], start: number, end: number): Readable {
  return Readable.from(readSegments(segments, start, end), { objectMode: false });
}
