/**
 * A local, derived cache of parsed run records, so listing 100,000 runs does not re-read and
 * re-parse 100 MB of run.json each time. It is not part of the tracking branch format: it
 * lives under `<git dir>/ghml/cache/runs-v1/`, one file per experiment, and may be deleted
 * at any time. Entries are keyed by the oid of the run folder's tree, so they never go stale.
 *
 * Files are append-only JSONL segments (run-cache-codec.ts). Appends are one O_APPEND write
 * of whole lines; rewrites (compaction, repair) go to a temp file renamed over the old one.
 * Readers skip lines that do not decode, so a crash mid-write or a racing writer costs at
 * most some re-reads, never a wrong record. A rewrite racing an append may drop the appended
 * lines: they are read again next time. Every method here swallows I/O errors: a read-only or
 * full disk makes listing slower, not failing.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCacheSegment, encodeCacheSegment, type CachedRun } from './run-cache-codec.js';
import type { RunRecord } from '../run-record.js';

export type { CachedRun } from './run-cache-codec.js';

/** What one experiment's cache file held. */
export interface LoadedRunCache {
  /** Records by run folder tree oid. */
  runs: Map<string, RunRecord>;
  /** Entries decoded, duplicates and dead ones included (drives compaction). */
  entries: number;
  /** Lines or entries that did not decode (drives repair). */
  bad: number;
}

/** What a listing learned about one experiment, to be written back. */
export interface RunCacheUpdate {
  /** What `tryLoad` returned for this experiment. */
  loaded: LoadedRunCache;
  /** Cache hits that are runs on the branch right now (kept when the file is rewritten). */
  live: readonly CachedRun[];
  /** Records just read from the branch (misses). */
  added: readonly CachedRun[];
}

/** A run folder of an experiment's tree: its tree oid and where it is. */
export interface RunFolder {
  tree: string;
  id: string;
  commit: string;
}

/**
 * The run folders of one experiment tree, in id order, as its last walk found them. The tree
 * oid pins the whole subtree, so while the branch's experiment tree has this oid the list is
 * exactly right and no `ls-tree` is needed.
 */
export interface RunFolderList {
  /** Oid of `runs/<experiment>` the list was made from. */
  tree: string;
  folders: RunFolder[];
}

/** How a save went: for tests and benchmarks. */
export type RunCacheSaveResult = 'unchanged' | 'appended' | 'rewritten' | 'failed';

/** The run summary cache of one repository. */
export interface RunSummaryCache {
  /** The cached runs of `experiment`; empty when there is no (readable) cache file. */
  tryLoad(experiment: string): Promise<LoadedRunCache>;
  /** Appends the misses, or rewrites the file when it is corrupt or over twice the live size. */
  trySave(experiment: string, update: RunCacheUpdate): Promise<RunCacheSaveResult>;
  /** The folder list last saved for `experiment`; undefined when none or unreadable. */
  tryLoadFolders(experiment: string): Promise<RunFolderList | undefined>;
  /** Replaces the folder list of `experiment` (temp file + rename); false when it failed. */
  trySaveFolders(experiment: string, list: RunFolderList): Promise<boolean>;
}

/** Runs per segment line: bounds what one torn write can lose. */
const SEGMENT_RUNS = 5000;
/** Dead entries tolerated before compaction on top of the 2x rule (small files never churn). */
const COMPACT_SLACK = 256;
const FOLDERS_MAGIC = 'ghml-run-folders';
const FOLDERS_VERSION = 1;
const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Temp files older than this are left-overs of killed processes. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** Where the cache of the repository whose git dir is `gitDir` lives. */
export function runCacheDir(gitDir: string): string {
  return join(gitDir, 'ghml', 'cache', 'runs-v1');
}

/** The cache kept in `dir` (created on first save). */
export function openRunSummaryCache(dir: string): RunSummaryCache {
  return new FileRunSummaryCache(dir);
}

function emptyCache(): LoadedRunCache {
  return { runs: new Map(), entries: 0, bad: 0 };
}

function encodeLines(runs: readonly CachedRun[]): string {
  let out = '';
  for (let i = 0; i < runs.length; i += SEGMENT_RUNS)
    out += `${encodeCacheSegment(runs.slice(i, i + SEGMENT_RUNS))}\n`;
  return out;
}

/** Parses a cache file's bytes; a last line without its newline may be torn, so it is bad. */
export function parseRunCacheFile(data: Buffer): LoadedRunCache {
  const loaded = emptyCache();
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0x0a, start);
    if (end < 0) end = data.length;
    if (end > start) {
      const segment = decodeCacheSegment(data.toString('utf8', start, end));
      loaded.bad += segment.bad;
      for (const run of segment.runs) {
        loaded.runs.set(run.tree, run.record);
        loaded.entries++;
      }
    }
    start = end + 1;
  }
  return loaded;
}

/** A folder list file's text: `["ghml-run-folders",1,"<tree>",[tree,id,commit,...]]`. */
export function formatRunFolderList(list: RunFolderList): string {
  const flat: string[] = [];
  for (const folder of list.folders) flat.push(folder.tree, folder.id, folder.commit);
  return JSON.stringify([FOLDERS_MAGIC, FOLDERS_VERSION, list.tree, flat]);
}

/** Parses a folder list file; undefined when it is not a whole, well-formed list. */
export function parseRunFolderList(text: string): RunFolderList | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (
    !Array.isArray(json) ||
    json[0] !== FOLDERS_MAGIC ||
    json[1] !== FOLDERS_VERSION ||
    typeof json[2] !== 'string' ||
    !OID.test(json[2]) ||
    !Array.isArray(json[3]) ||
    json[3].length % 3 !== 0
  ) {
    return undefined;
  }
  const flat = json[3] as unknown[];
  const folders: RunFolder[] = [];
  for (let i = 0; i < flat.length; i += 3) {
    const [tree, id, commit] = [flat[i], flat[i + 1], flat[i + 2]];
    if (typeof tree !== 'string' || typeof id !== 'string' || typeof commit !== 'string')
      return undefined;
    folders.push({ tree, id, commit });
  }
  return { tree: json[2], folders };
}

class FileRunSummaryCache implements RunSummaryCache {
  constructor(private readonly dir: string) {}

  private file(experiment: string): string {
    return join(this.dir, `${experiment}.jsonl`);
  }

  private foldersFile(experiment: string): string {
    return join(this.dir, `${experiment}.folders.json`);
  }

  async tryLoadFolders(experiment: string): Promise<RunFolderList | undefined> {
    try {
      return parseRunFolderList(await readFile(this.foldersFile(experiment), 'utf8'));
    } catch {
      return undefined;
    }
  }

  async trySaveFolders(experiment: string, list: RunFolderList): Promise<boolean> {
    try {
      await this.replace(this.foldersFile(experiment), formatRunFolderList(list));
      return true;
    } catch {
      return false;
    }
  }

  async tryLoad(experiment: string): Promise<LoadedRunCache> {
    try {
      return parseRunCacheFile(await readFile(this.file(experiment)));
    } catch {
      return emptyCache();
    }
  }

  async trySave(experiment: string, update: RunCacheUpdate): Promise<RunCacheSaveResult> {
    const { loaded, live, added } = update;
    const wanted = live.length + added.length;
    const rewrite = loaded.bad > 0 || loaded.entries + added.length > 2 * wanted + COMPACT_SLACK;
    try {
      if (rewrite) {
        await this.rewrite(experiment, [...live, ...added]);
        return 'rewritten';
      }
      if (added.length === 0) return 'unchanged';
      await this.append(experiment, added);
      return 'appended';
    } catch {
      return 'failed';
    }
  }

  /** One write() of whole lines with O_APPEND; the leading newline ends a torn last line. */
  private async append(experiment: string, runs: readonly CachedRun[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const data = Buffer.from(`\n${encodeLines(runs)}`, 'utf8');
    const handle = await open(this.file(experiment), 'a');
    try {
      let written = 0;
      // A short write is possible in theory; the rest follows and readers skip a torn line.
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written);
        if (bytesWritten <= 0) break;
        written += bytesWritten;
      }
    } finally {
      await handle.close();
    }
  }

  private async rewrite(experiment: string, runs: readonly CachedRun[]): Promise<void> {
    const unique = new Map<string, CachedRun>();
    for (const run of runs) unique.set(run.tree, run);
    await this.replace(this.file(experiment), encodeLines([...unique.values()]));
  }

  /** Writes a temp file and renames it over `target`, so readers see old or new, whole. */
  private async replace(target: string, text: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.removeStaleTemps();
    const temp = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, text, { flag: 'wx' });
      await rename(temp, target);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  private async removeStaleTemps(): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.tmp')) continue;
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => undefined);
    }
  }
}
