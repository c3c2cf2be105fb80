/**
 * `ghml runs get`: copies a run's artifacts to a folder, each checked against the sha256 and
 * size run.json records, written to a temp file and renamed into place, so a file in the
 * output folder is always whole and always what the run recorded. Artifact paths come from
 * the branch (possibly from a PR), so each is checked to stay inside the output folder.
 *
 * Bytes come from the first source that has them: the tracking branch (files kept inline), then
 * the given extra sources (the local open-run folder, the artifact store).
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalContentStore } from '../artifacts/local-content-store.js';
import { UsageError, GhmlError } from '../errors/ghml-error.js';
import type { ArtifactEntry } from './run-record.js';
import type { StoredRun, TrackingStore } from './store/tracking-store.js';

/** Somewhere the bytes of a not-inline artifact may be: writes them to `dest`, or says no. */
export interface ArtifactSource {
  /** What to call it in messages. */
  readonly name: string;
  tryFetch(run: StoredRun, entry: ArtifactEntry, dest: string): Promise<boolean>;
}

export interface DownloadedFile {
  path: string;
  /** Where it was written. */
  file: string;
  size: number;
  /** 'branch', a source's name, or 'unchanged' when an identical file was already there. */
  from: string;
}

export interface DownloadOptions {
  /** Overwrite files that differ from the run's. */
  force?: boolean;
  sources?: readonly ArtifactSource[];
  /** Called once per file before it is fetched, with its size; returns a progress callback. */
  onFile?: (entry: ArtifactEntry) => (bytes: number) => void;
}

export class ArtifactDownloadError extends GhmlError {
  constructor(message: string, hint: string) {
    super(message, { hint });
    this.name = 'ArtifactDownloadError';
  }
}

/** A file recorded on disk by its `file://` URI (large files of a run recorded on this machine). */
export const LOCAL_FILE_SOURCE: ArtifactSource = {
  name: 'this machine',
  async tryFetch(_run, entry, dest) {
    if (entry.uri === undefined || !entry.uri.startsWith('file://')) return false;
    let source: string;
    try {
      source = fileURLToPath(entry.uri);
      await stat(source);
    } catch {
      return false;
    }
    await copyFile(source, dest);
    return true;
  },
};

/** The local content-addressed cache, where large files of runs recorded here wait. */
export function localCacheSource(cache: LocalContentStore): ArtifactSource {
  return {
    name: 'the local cache',
    async tryFetch(_run, entry, dest) {
      if (!(await cache.has(entry.sha256))) return false;
      await cache.get(entry.sha256, dest);
      return true;
    },
  };
}

/** The entries `paths` select: a path names a file, or a folder and everything under it. */
export function selectArtifacts(run: StoredRun, paths: readonly string[]): ArtifactEntry[] {
  const all = run.record.artifacts;
  if (paths.length === 0) return [...all];
  const chosen = new Set<ArtifactEntry>();
  for (const raw of paths) {
    const path = raw.replace(/^\/+|\/+$/g, '');
    const hits = all.filter((a) => a.path === path || a.path.startsWith(`${path}/`));
    if (hits.length === 0) {
      throw new UsageError(`run ${run.id} has no artifact '${raw}'`, {
        hint: `run \`ghml runs show ${run.id}\` to list its artifacts`,
      });
    }
    for (const hit of hits) chosen.add(hit);
  }
  return [...chosen];
}

/** Where `path` goes under `outDir`; throws when it would leave it. */
export function destinationOf(outDir: string, path: string): string {
  const parts = path.split('/');
  const bad =
    path.length === 0 ||
    isAbsolute(path) ||
    path.includes('\\') ||
    path.includes('\0') ||
    parts.some((p) => p === '' || p === '.' || p === '..');
  const root = resolve(outDir);
  const dest = resolve(root, ...parts);
  if (bad || !dest.startsWith(`${root}${sep}`)) {
    throw new ArtifactDownloadError(
      `refusing artifact path '${path.slice(0, 200)}': it would be written outside ${outDir}`,
      'the run record names a path with "..", an absolute path or an empty part; it was not written',
    );
  }
  return dest;
}

async function sha256Of(file: string): Promise<{ sha256: string; size: number }> {
  const data = await readFile(file);
  return { sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
}

async function sameAs(file: string, entry: ArtifactEntry): Promise<boolean> {
  try {
    const got = await sha256Of(file);
    return got.sha256 === entry.sha256 && got.size === entry.size;
  } catch {
    return false;
  }
}

/** Downloads the selected artifacts of `run` into `outDir`; see the file comment. */
export async function downloadRunArtifacts(
  store: TrackingStore,
  run: StoredRun,
  paths: readonly string[],
  outDir: string,
  options: DownloadOptions = {},
): Promise<DownloadedFile[]> {
  const entries = selectArtifacts(run, paths);
  const targets = entries.map((entry) => ({ entry, dest: destinationOf(outDir, entry.path) }));
  const done: DownloadedFile[] = [];
  const missing: string[] = [];
  for (const { entry, dest } of targets) {
    if (await sameAs(dest, entry)) {
      done.push({ path: entry.path, file: dest, size: entry.size, from: 'unchanged' });
      continue;
    }
    if (!options.force) {
      try {
        await stat(dest);
        throw new ArtifactDownloadError(
          `${dest} exists and differs from artifact '${entry.path}' of run ${run.id}`,
          'pass --force to overwrite it, or -o <dir> to download elsewhere',
        );
      } catch (error) {
        if (error instanceof ArtifactDownloadError) throw error;
      }
    }
    await mkdir(dirname(dest), { recursive: true });
    const temp = `${dest}.ghml-${randomBytes(6).toString('hex')}`;
    const progress = options.onFile?.(entry);
    try {
      let from: string | undefined;
      if (entry.stored) {
        const data = await store.readArtifact(run, entry.path);
        await writeFile(temp, data);
        from = 'branch';
      } else {
        for (const source of options.sources ?? [LOCAL_FILE_SOURCE]) {
          if (await source.tryFetch(run, entry, temp)) {
            from = source.name;
            break;
          }
        }
      }
      if (from === undefined) {
        missing.push(entry.path);
        continue;
      }
      const got = await sha256Of(temp);
      progress?.(got.size);
      if (got.sha256 !== entry.sha256 || got.size !== entry.size) {
        throw new ArtifactDownloadError(
          `artifact '${entry.path}' of run ${run.id} from ${from} does not match its record (sha256 ${got.sha256.slice(0, 12)}…, ${got.size} B; recorded ${entry.sha256.slice(0, 12)}…, ${entry.size} B)`,
          'the copy is damaged or was replaced; nothing was written for this file',
        );
      }
      await rename(temp, dest);
      done.push({ path: entry.path, file: dest, size: got.size, from });
    } finally {
      await rm(temp, { force: true });
    }
  }
  if (missing.length > 0) {
    throw new ArtifactDownloadError(
      `${missing.length} artifact(s) of run ${run.id} are not stored on the branch and no copy was found: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
      'large files are kept in the artifact store (ghml.yml artifacts.store) or on the machine that recorded the run; run `ghml push` there to upload them',
    );
  }
  return done;
}
