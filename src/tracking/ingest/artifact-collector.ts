/**
 * Collects the run's artifacts: every regular file under GHML_ARTIFACTS_DIR when the command
 * ends. Each file gets its size and sha256 (streamed, never loaded whole), then is either
 * stored on the tracking branch (at most `maxFileBytes`, and while the run's stored total stays
 * within `maxTotalBytes`, in path order) or recorded by digest and a `file://` URI only.
 *
 * Skipped with a warning: paths that break the key rule, symlinks leading outside the folder,
 * symlinked folders (not followed, so no cycles), broken links and special files (FIFOs would
 * block a reader).
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ArtifactEntry } from '../run-record.js';
import type { IngestWarning } from './ingest-warnings.js';
import { keyProblem } from '../run-limits.js';

/** A stored artifact for the branch writer: `path` under `artifacts/`, bytes read from `file`. */
export interface ArtifactFile {
  path: string;
  /** Absolute path on disk (symlinks resolved). */
  file: string;
}

export interface CollectArtifactsOptions {
  /** The artifacts folder (GHML_ARTIFACTS_DIR). A missing folder means no artifacts. */
  dir: string;
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
}

const MAX_DEPTH = 64;

interface Candidate {
  path: string;
  /** Where the bytes are read from. */
  file: string;
  /** The path inside the artifacts folder, for the file:// URI. */
  shown: string;
}

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
    const dirents: Dirent[] = await readdir(dir, { withFileTypes: true });
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
        const target = await stat(file);
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
  let total = 0;
  for (const candidate of candidates) {
    const { size, sha256 } = await digestFile(candidate.file);
    const store = size <= options.maxFileBytes && total + size <= options.maxTotalBytes;
    if (store) {
      total += size;
      entries.push({ path: candidate.path, size, sha256, stored: true });
      files.push({ path: candidate.path, file: candidate.file });
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
  return { entries, files, warnings };
}

/** Size and sha256 (hex) of a file, streamed. */
export async function digestFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, {
    highWaterMark: 1024 * 1024,
  }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}
