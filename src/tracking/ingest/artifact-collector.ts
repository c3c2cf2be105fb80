/**
 * Collects the run's artifacts: every regular file under GHML_ARTIFACTS_DIR when the command
 * ends. Each file gets its size and sha256 (streamed, never loaded whole), then is either
 * stored on the tracking branch (at most `maxFileBytes`, and while the run's stored total stays
 * within `maxTotalBytes`, in path order) or recorded by digest and a `file://` URI only.
 *
 * Invariants:
 * - Nothing outside the folder is read, even if a folder or file inside is swapped for a
 *   symlink while ghml reads: each file is opened (final component with O_NOFOLLOW, FIFOs
 *   without blocking) and the opened file must be the one its real path inside the folder
 *   names (same device and inode) before a byte is used.
 * - The bytes stored are the bytes hashed: a stored file is copied into `snapshotDir` as it is
 *   read, and the branch writer reads the copy.
 * - One file never costs the run: a file that vanishes, or keeps changing while it is read
 *   (a process still rotating checkpoints), is skipped with a warning naming it; every other
 *   file is collected.
 *
 * Also skipped with a warning: paths that break the key rule, symlinks leading outside the
 * folder, symlinked folders (not followed, so no cycles), broken links and special files.
 */
import { createHash } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ArtifactEntry } from '../run-record.js';
import type { IngestWarning } from './ingest-warnings.js';
import { keyProblem } from '../run-limits.js';

/** A stored artifact for the branch writer: `path` under `artifacts/`, bytes read from `file`. */
export interface ArtifactFile {
  path: string;
  /** Absolute path of the copy in the snapshot folder. */
  file: string;
}

export interface CollectArtifactsOptions {
  /** The artifacts folder (GHML_ARTIFACTS_DIR). A missing folder means no artifacts. */
  dir: string;
  /**
   * A folder outside `dir` that ghml owns; a fresh folder is made inside it for the copies of
   * stored files (created when the first one is stored).
   */
  snapshotDir: string;
  maxFileBytes: number;
  maxTotalBytes: number;
  /** Files beyond this many are skipped with a warning. Default 10000. */
  maxFiles?: number;
}

export interface CollectedArtifacts {
  /** Every artifact, sorted by path; goes into RunRecord.artifacts. */
  entries: ArtifactEntry[];
  /** The stored ones, for the tracking-branch writer. */
  files: ArtifactFile[];
  warnings: IngestWarning[];
  /** The folder holding the copies of stored files (remove it once the run is written). */
  copies?: string;
}

const MAX_DEPTH = 64;
/** Reads of a file that changed while it was read, before it is skipped. */
const READ_ATTEMPTS = 3;
const CHUNK_BYTES = 1024 * 1024;

interface Candidate {
  path: string;
  /** Where the bytes are read from (symlinks inside the folder resolved). */
  file: string;
  /** The path inside the artifacts folder, for the file:// URI. */
  shown: string;
}

/** Why a file was not collected; becomes its warning. */
class SkipFile extends Error {}

/** The file changed under the reader (rewritten, rotated): worth another try. */
class ChangedFile extends Error {}

const missing = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** Walks the artifacts folder; see the module comment. */
export async function collectArtifacts(
  options: CollectArtifactsOptions,
): Promise<CollectedArtifacts> {
  const maxFiles = options.maxFiles ?? 10_000;
  const warnings: IngestWarning[] = [];
  const warn = (path: string, message: string): void => {
    warnings.push({ source: 'artifacts', message: `'${path}': ${message}` });
  };
  let root: string;
  try {
    root = await realpath(options.dir);
    if (!(await stat(root)).isDirectory()) {
      return {
        entries: [],
        files: [],
        warnings: [
          {
            source: options.dir,
            message: 'the artifacts folder is not a folder; no artifacts collected',
          },
        ],
      };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { entries: [], files: [], warnings };
    throw error;
  }
  const inside = (p: string): boolean => p.startsWith(root + sep);

  const candidates: Candidate[] = [];
  let overflow = 0;
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    let dirents: Dirent[];
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (prefix === '' || !missing(error)) throw error;
      warn(prefix, 'the folder vanished while it was read; skipped');
      return;
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of dirents) {
      const rel = prefix === '' ? dirent.name : `${prefix}/${dirent.name}`;
      const full = join(dir, dirent.name);
      const problem = keyProblem(rel);
      if (problem !== undefined) {
        warn(rel, `artifact paths follow the key rule: ${problem}; skipped`);
        continue;
      }
      if (dirent.isDirectory()) {
        if (depth >= MAX_DEPTH) warn(rel, 'nested too deeply; skipped');
        else await walk(full, rel, depth + 1);
        continue;
      }
      let file = full;
      if (dirent.isSymbolicLink()) {
        try {
          file = await realpath(full);
        } catch {
          warn(rel, 'broken symlink; skipped');
          continue;
        }
        if (!inside(file)) {
          warn(rel, 'symlink points outside the artifacts folder; skipped');
          continue;
        }
        let target;
        try {
          target = await stat(file);
        } catch (error) {
          if (!missing(error)) throw error;
          warn(rel, 'vanished before it could be read; skipped');
          continue;
        }
        if (target.isDirectory()) {
          warn(rel, 'symlinked folders are not followed; skipped');
          continue;
        }
        if (!target.isFile()) {
          warn(rel, 'not a regular file; skipped');
          continue;
        }
      } else if (!dirent.isFile()) {
        warn(rel, 'not a regular file; skipped');
        continue;
      }
      if (candidates.length >= maxFiles) {
        overflow += 1;
        continue;
      }
      candidates.push({ path: rel, file, shown: full });
    }
  };
  await walk(root, '', 0);
  if (overflow > 0) {
    warnings.push({
      source: 'artifacts',
      message: `more than ${maxFiles} files; ${overflow} were skipped`,
    });
  }

  const entries: ArtifactEntry[] = [];
  const files: ArtifactFile[] = [];
  let snapshots: string | undefined;
  let total = 0;
  for (const candidate of candidates) {
    let read: ReadFile | undefined;
    try {
      read = await readArtifact(candidate.file, inside, (size) => {
        return size <= options.maxFileBytes && total + size <= options.maxTotalBytes;
      });
    } catch (error) {
      if (!(error instanceof SkipFile)) throw error;
      warn(candidate.path, error.message);
      continue;
    }
    const { size, sha256, bytes } = read;
    if (bytes !== undefined) {
      if (snapshots === undefined) {
        await mkdir(options.snapshotDir, { recursive: true });
        snapshots = await mkdtemp(join(options.snapshotDir, 'stored-'));
      }
      const copy = join(snapshots, String(files.length));
      // 'wx': a fresh file, never through a link someone placed there.
      const handle = await open(copy, 'wx', 0o600);
      try {
        await handle.writev(bytes);
      } finally {
        await handle.close();
      }
      total += size;
      entries.push({ path: candidate.path, size, sha256, stored: true });
      files.push({ path: candidate.path, file: copy });
    } else {
      entries.push({
        path: candidate.path,
        size,
        sha256,
        stored: false,
        uri: pathToFileURL(candidate.shown).href,
      });
    }
  }
  return { entries, files, warnings, ...(snapshots === undefined ? {} : { copies: snapshots }) };
}

interface ReadFile {
  size: number;
  sha256: string;
  /** The content, when `keep(size)` asked for it. */
  bytes?: Buffer[];
}

/**
 * Reads one file through a checked descriptor (see the module comment), retrying when it
 * changes underneath. Throws SkipFile with the reason when it cannot be collected.
 */
async function readArtifact(
  file: string,
  inside: (path: string) => boolean,
  keep: (size: number) => boolean,
): Promise<ReadFile> {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  for (let attempt = 1; ; attempt++) {
    let handle: FileHandle;
    try {
      handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      if (missing(error)) throw new SkipFile('vanished before it could be read; skipped');
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
        throw new SkipFile('was replaced by a symlink while it was read; skipped');
      }
      throw new SkipFile(`could not be opened (${(error as Error).message}); skipped`);
    }
    try {
      const before = await handle.stat();
      if (!before.isFile()) throw new SkipFile('not a regular file; skipped');
      await checkSameFile(file, before, inside);
      const wanted = keep(before.size);
      const hash = createHash('sha256');
      const bytes: Buffer[] = [];
      let size = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, size);
        if (bytesRead === 0) break;
        const chunk = buffer.subarray(0, bytesRead);
        hash.update(chunk);
        if (wanted) bytes.push(Buffer.from(chunk));
        size += bytesRead;
      }
      const after = await handle.stat();
      if (
        size !== before.size ||
        after.size !== before.size ||
        after.mtimeMs !== before.mtimeMs ||
        after.ctimeMs !== before.ctimeMs
      ) {
        throw new ChangedFile();
      }
      await checkSameFile(file, before, inside);
      return { size, sha256: hash.digest('hex'), ...(wanted ? { bytes } : {}) };
    } catch (error) {
      if (!(error instanceof ChangedFile)) throw error;
      if (attempt >= READ_ATTEMPTS) {
        throw new SkipFile(`kept changing while it was read (${READ_ATTEMPTS} tries); skipped`);
      }
    } finally {
      await handle.close();
    }
  }
}

/**
 * The opened file must be the one that `file`'s real path, inside the folder, names now: a
 * folder swapped for a symlink before the open is caught here, since its real path leads
 * outside or to another file.
 */
async function checkSameFile(
  file: string,
  opened: { dev: number; ino: number },
  inside: (path: string) => boolean,
): Promise<void> {
  let real: string;
  let current;
  try {
    real = await realpath(file);
    current = await stat(real);
  } catch (error) {
    if (missing(error)) throw new SkipFile('vanished while it was read; skipped');
    throw error;
  }
  if (!inside(real)) {
    throw new SkipFile(
      'its folder was replaced by a link leading outside the artifacts folder; skipped',
    );
  }
  if (current.dev !== opened.dev || current.ino !== opened.ino) throw new ChangedFile();
}
