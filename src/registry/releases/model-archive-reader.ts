/**
 * Unpacks a registered folder's `.tar.gz` release asset for `ghml model get`. The archive is
 * untrusted until each file checks out: only regular files and folders are accepted, each file
 * must be one the tag records (by its path inside the folder) with that sha256 and size, is
 * written to a temp file beside its target and renamed into place only then, and every file
 * the tag records must be in the archive. Nothing is written outside the targets given.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { ChecksumMismatchError, ModelDownloadError } from './release-errors.js';

/** A file the archive must hold. */
export interface ArchiveMember {
  sha256: string;
  size: number;
  /** Where it is written. */
  target: string;
  /** Called with the bytes as they are written. */
  progress?: (bytes: number) => void;
}

/**
 * Writes the members of the archive at `file` to their targets (keys: paths inside the folder).
 * `reference` and `source` name the version and the archive in errors.
 */
export async function extractModelArchive(
  file: string,
  members: ReadonlyMap<string, ArchiveMember>,
  where: { reference: string; source: string },
): Promise<void> {
  const refuse = (detail: string): ModelDownloadError =>
    new ModelDownloadError(
      where.reference,
      `${where.source} ${detail}; nothing more was written.`,
      'The release asset was changed after registration: publish it again with ghml model release <tag>.',
    );
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(file), createGunzip(), extract);
  const done = new Set<string>();
  try {
    for await (const entry of extract) {
      const { type, size } = entry.header;
      const name = entry.header.name.replace(/\/+$/, '');
      if (type === 'directory') {
        entry.resume();
        continue;
      }
      const member = type === 'file' ? members.get(name) : undefined;
      if (member === undefined || done.has(name)) {
        entry.resume();
        throw refuse(
          `holds ${type === 'file' ? 'a file' : `a ${type}`} '${name.slice(0, 300)}' the tag does not record${done.has(name) ? ' twice' : ''}`,
        );
      }
      if (size !== member.size) {
        entry.resume();
        throw new ChecksumMismatchError(name, member.sha256, `of ${size} bytes`, where.source);
      }
      await writeMember(entry, name, member, where.source);
      done.add(name);
    }
    await feeding;
  } finally {
    extract.destroy();
    await feeding.catch(() => undefined);
  }
  const missing = [...members.keys()].filter((name) => !done.has(name));
  if (missing.length > 0) {
    throw refuse(
      `lacks ${missing.length} file(s) the tag records: ${missing.slice(0, 5).join(', ')}`,
    );
  }
}

async function writeMember(
  entry: AsyncIterable<unknown>,
  name: string,
  member: ArchiveMember,
  source: string,
): Promise<void> {
  await mkdir(dirname(member.target), { recursive: true });
  const temp = `${member.target}.ghml-${randomBytes(6).toString('hex')}`;
  const hash = createHash('sha256');
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      member.progress?.(chunk.length);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(entry, meter, createWriteStream(temp, { flags: 'wx', mode: 0o644 }));
    const actual = hash.digest('hex');
    if (actual !== member.sha256) {
      throw new ChecksumMismatchError(name, member.sha256, actual, source);
    }
    await rename(temp, member.target);
  } finally {
    await rm(temp, { force: true });
  }
}
