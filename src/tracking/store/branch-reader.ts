/**
 * Reads the tracking branch without checking it out: trees are walked and blobs read through
 * one `cat-file --batch` process per operation, so listing 100,000 runs costs two processes.
 * Works on a depth-1, blobless fetch of the branch tip: trees are there, and the blobs a read
 * needs are fetched (in one batch for listings, lazily by git for single reads).
 * Which ref is read is decided by `preferredTip` (see tracking-refs.ts).
 * Listings serve records from the local run summary cache (run-summary-cache.ts) and read
 * only the runs it does not hold yet.
 */
import type { Git } from '../../git/git.js';
import type { ObjectReader } from '../../git/object-reader.js';
import { splitTreePath } from '../../git/tree-edit.js';
import type { TreeEntry } from '../../git/tree-entry.js';
import { MARKER_PATH, checkMarker } from './branch-format.js';
import { prefetchMissingBlobs } from './branch-prefetch.js';
import { prefetchRunRecords } from './run-cache-prefetch.js';
import {
  openRunSummaryCache,
  runCacheDir,
  type CachedRun,
  type LoadedRunCache,
  type RunCacheSaveResult,
  type RunFolder,
  type RunSummaryCache,
} from './run-summary-cache.js';
import type { MetricPoint, RunEvent, RunRecord } from '../run-record.js';
import { parseMetricLines, parseRunEvent, parseRunRecord } from '../run-record-json.js';
import {
  RUNS_DIR,
  isCommitSha,
  assertCommitSha,
  assertExperimentName,
  isExperimentName,
  isRunId,
} from './run-path.js';
import {
  AmbiguousRunError,
  ArtifactNotFoundError,
  InvalidRunDataError,
  RunNotFoundError,
} from '../tracking-errors.js';
import {
  preferredTip,
  readRefState,
  type PreferredTip,
  type TrackingRefs,
} from './tracking-refs.js';

/** Where a run is on the branch. */
export interface RunLocation {
  id: string;
  experiment: string;
  /** Full sha of the commit the run trained on. */
  commit: string;
  /** The run folder's path on the branch. */
  path: string;
  /** Oid of the run folder's tree (reads of its files go through it). */
  tree: string;
}

/** A run with its record. */
export interface StoredRun extends RunLocation {
  record: RunRecord;
  /**
   * True when a `ghml runs delete` event hides the run (MLflow's lifecycle_stage 'deleted').
   * Listings leave deleted runs out unless `includeDeleted` is set.
   */
  deleted?: boolean;
}

/** An event file of a run, with the event id from its file name. */
export interface StoredRunEvent {
  id: string;
  event: RunEvent;
}

export interface ListRunsOptions {
  /** Only this experiment's runs. */
  experiment?: string;
  /** Also list runs that were deleted with `ghml runs delete` (marked `deleted: true`). */
  includeDeleted?: boolean;
}

export interface BranchReaderOptions {
  /**
   * The run summary cache listings use. Default: the one under `<git dir>/ghml/cache/`;
   * null: no cache (every listing reads every run.json).
   */
  cache?: RunSummaryCache | null;
}

/** What the last listing did with the cache: for tests and benchmarks. */
export interface ListingStats {
  runs: number;
  /** Records served from the cache. */
  hits: number;
  /** Records read from the branch. */
  misses: number;
  /** Experiments whose folders were found with `ls-tree` (not from the cached list). */
  walked: string[];
  /** What was written back, per experiment. */
  saved: Record<string, RunCacheSaveResult>;
}

/** An experiment's folder under runs/. */
interface ExperimentTree {
  name: string;
  oid: string;
}

/** The runs of one experiment, and whether they were found by walking its tree. */
interface ExperimentFolders {
  experiment: string;
  tree: string;
  locations: RunLocation[];
  walked: boolean;
}

/** A cache that holds nothing and keeps nothing: listings then read every run.json. */
const NO_CACHE: RunSummaryCache = {
  tryLoad: () => Promise.resolve({ runs: new Map(), entries: 0, bad: 0 }),
  trySave: () => Promise.resolve('unchanged'),
  tryLoadFolders: () => Promise.resolve(undefined),
  trySaveFolders: () => Promise.resolve(false),
};

/** Up to this many experiments to walk get one `ls-tree` each, more share one of runs/. */
const WALK_SEPARATELY = 2;

/** From this many runs on, records are read through two processes at once. */
const PARALLEL_THRESHOLD = 2000;

const RUN_ID_PREFIX = /^[0-9A-HJKMNP-TV-Z]{1,26}$/;

export class BranchReader {
  private cache: Promise<RunSummaryCache | null> | undefined;
  /** What the last `listRuns` did with the cache. */
  lastListing: ListingStats | undefined;

  constructor(
    private readonly git: Git,
    private readonly refs: TrackingRefs,
    options: BranchReaderOptions = {},
  ) {
    if (options.cache !== undefined) this.cache = Promise.resolve(options.cache);
  }

  /** The tip reads come from, or undefined when there is no tracking branch at all. */
  async tip(): Promise<PreferredTip | undefined> {
    return preferredTip(this.git, this.refs, await readRefState(this.git, this.refs));
  }

  /** Runs recorded for `commit` (optionally of one experiment), sorted by id. No blob is read. */
  async runsAtCommit(commit: string, experiment?: string): Promise<RunLocation[]> {
    assertCommitSha(commit);
    if (experiment !== undefined) assertExperimentName(experiment);
    const sub = `${commit.slice(0, 2)}/${commit.slice(2)}`;
    return this.withTip([], async (reader, root) => {
      const experiments =
        experiment !== undefined
          ? [experiment]
          : ((await reader.readTree(`${root}:${RUNS_DIR}`)) ?? [])
              .filter((e) => e.type === 'tree' && isExperimentName(e.name))
              .map((e) => e.name);
      const lists = await Promise.all(
        experiments.map(async (exp) => {
          const dir = `${RUNS_DIR}/${exp}/${sub}`;
          const entries = (await reader.readTree(`${root}:${dir}`)) ?? [];
          return runEntries(entries).map((e) => location(exp, commit, dir, e));
        }),
      );
      return sortById(lists.flat());
    });
  }

  /** Reads the records of runs found by `runsAtCommit` or `locateRuns`. */
  async readRuns(locations: readonly RunLocation[]): Promise<StoredRun[]> {
    if (locations.length === 0) return [];
    return this.withTip([], (reader) => this.readRecords(reader, locations));
  }

  /**
   * Every run (optionally of one experiment) with its record, sorted by id (= start time).
   * Per experiment: the run folders come from the cached folder list while the experiment's
   * tree is unchanged (else from one `ls-tree`), records come from the cache, and only runs
   * the cache lacks are read; those are then added to the cache.
   */
  async listRuns(options: ListRunsOptions = {}): Promise<StoredRun[]> {
    if (options.experiment !== undefined) assertExperimentName(options.experiment);
    const cache = (await this.summaryCache()) ?? NO_CACHE;
    return this.withTip([], async (reader, root) => {
      const trees = await this.experimentTrees(reader, root, options.experiment);
      const folders = await this.runFolders(cache, root, trees);
      // Records are decoded only after every ls-tree finished: decoding blocks the event
      // loop, which would stall git on a full pipe.
      const loaded = new Map<string, LoadedRunCache>();
      for (const { name } of trees) loaded.set(name, await cache.tryLoad(name));
      const locations = sortById(folders.flatMap((f) => f.locations));
      const runs = new Array<StoredRun | undefined>(locations.length);
      const missing: number[] = [];
      for (let i = 0; i < locations.length; i++) {
        const loc = locations[i] as RunLocation;
        const record = loaded.get(loc.experiment)?.runs.get(loc.tree);
        if (record !== undefined && matchesLocation(record, loc)) {
          // The location is this call's own: completing it in place saves 100,000 copies.
          const run = loc as StoredRun;
          run.record = record;
          runs[i] = run;
        } else missing.push(i);
      }
      const misses = missing.map((i) => locations[i] as RunLocation);
      if (misses.length > 0)
        await this.prefetch(reader, root, options.experiment, misses, locations);
      const read = await this.readRecords(reader, misses);
      read.forEach((run, j) => {
        runs[missing[j] as number] = run;
      });
      const stored = runs as StoredRun[];
      const saved = await saveToCache(cache, loaded, stored, new Set(missing));
      for (const f of folders) {
        if (f.walked)
          await cache.trySaveFolders(f.experiment, { tree: f.tree, folders: f.locations });
      }
      this.lastListing = {
        runs: stored.length,
        hits: stored.length - misses.length,
        misses: misses.length,
        walked: folders.filter((f) => f.walked).map((f) => f.experiment),
        saved,
      };
      return stored;
    });
  }

  /** The experiment trees a listing covers, with their oids. */
  private async experimentTrees(
    reader: ObjectReader,
    root: string,
    experiment: string | undefined,
  ): Promise<ExperimentTree[]> {
    if (experiment !== undefined) {
      const object = await reader.readObject(`${root}:${RUNS_DIR}/${experiment}`);
      return object?.type === 'tree' ? [{ name: experiment, oid: object.oid }] : [];
    }
    return ((await reader.readTree(`${root}:${RUNS_DIR}`)) ?? [])
      .filter((e) => e.type === 'tree' && isExperimentName(e.name))
      .map((e) => ({ name: e.name, oid: e.oid }));
  }

  /**
   * The run folders of each experiment, in id order: from the cached list when the
   * experiment's tree oid is the one it was made from, otherwise walked. Many experiments to
   * walk share one `ls-tree` of runs/ rather than one process each.
   */
  private async runFolders(
    cache: RunSummaryCache,
    root: string,
    trees: readonly ExperimentTree[],
  ): Promise<ExperimentFolders[]> {
    const lists = await Promise.all(trees.map((t) => cache.tryLoadFolders(t.name)));
    const out: ExperimentFolders[] = [];
    const stale: ExperimentTree[] = [];
    trees.forEach((t, i) => {
      const list = lists[i];
      const locations = list?.tree === t.oid ? locationsOf(t.name, list.folders) : undefined;
      if (locations) out.push({ experiment: t.name, tree: t.oid, locations, walked: false });
      else stale.push(t);
    });
    if (stale.length > WALK_SEPARATELY) {
      const wanted = new Set(stale.map((t) => t.name));
      const byExperiment = new Map<string, RunLocation[]>(stale.map((t) => [t.name, []]));
      for (const loc of await this.walk(root, undefined)) {
        if (wanted.has(loc.experiment)) byExperiment.get(loc.experiment)?.push(loc);
      }
      for (const t of stale)
        out.push({
          experiment: t.name,
          tree: t.oid,
          locations: byExperiment.get(t.name) ?? [],
          walked: true,
        });
    } else {
      const walks = await Promise.all(stale.map((t) => this.walk(root, t.name)));
      stale.forEach((t, i) =>
        out.push({ experiment: t.name, tree: t.oid, locations: walks[i] ?? [], walked: true }),
      );
    }
    return out;
  }

  /** Brings missing run.json blobs in at once in a partial clone (a no-op otherwise). */
  private async prefetch(
    reader: ObjectReader,
    root: string,
    experiment: string | undefined,
    misses: readonly RunLocation[],
    all: readonly RunLocation[],
  ): Promise<void> {
    if (misses.length * 2 <= all.length) {
      await prefetchRunRecords(
        this.git,
        reader,
        misses.map((m) => m.tree),
      );
      return;
    }
    const scope = experiment === undefined ? RUNS_DIR : `${RUNS_DIR}/${experiment}`;
    const subtree = (await reader.readObject(`${root}:${scope}`))?.oid;
    if (subtree !== undefined) {
      await prefetchMissingBlobs(this.git, subtree, (path) => path.endsWith('/run.json'));
    }
  }

  /** The cache given to the constructor, or the repository's own (opened once). */
  private summaryCache(): Promise<RunSummaryCache | null> {
    this.cache ??= this.git.gitDir().then(
      (dir) => openRunSummaryCache(runCacheDir(dir)),
      () => null,
    );
    return this.cache;
  }

  /** Locations of every run (optionally of one experiment), without reading any record. */
  async locateRuns(options: ListRunsOptions = {}): Promise<RunLocation[]> {
    if (options.experiment !== undefined) assertExperimentName(options.experiment);
    return this.withTip([], (_reader, root) => this.walk(root, options.experiment));
  }

  /** The run whose id is `query` or starts with it (case-insensitive). */
  async findRun(query: string): Promise<StoredRun> {
    const prefix = query.trim().toUpperCase();
    if (!RUN_ID_PREFIX.test(prefix)) throw new RunNotFoundError(query, this.refs.branch);
    const found = await this.withTip(undefined, async (reader, root) => {
      const matches = (await this.walk(root, undefined)).filter((r) => r.id.startsWith(prefix));
      const exact = matches.filter((r) => r.id === prefix);
      const chosen = exact.length === 1 ? exact : matches;
      if (chosen.length > 1)
        throw new AmbiguousRunError(
          query,
          chosen.map((r) => r.id),
        );
      return chosen[0] ? (await this.readRecords(reader, chosen))[0] : undefined;
    });
    if (!found) throw new RunNotFoundError(query, this.refs.branch);
    return found;
  }

  /** The run's full metric series (metrics.jsonl). */
  async readMetrics(run: RunLocation): Promise<MetricPoint[]> {
    const text = await this.readRunFile(run, 'metrics.jsonl');
    return text === undefined
      ? []
      : parseMetricLines(text.toString('utf8'), `${run.path}/metrics.jsonl`);
  }

  /** The bytes of a stored artifact; throws ArtifactNotFoundError when it is not stored. */
  async readArtifact(run: RunLocation, path: string): Promise<Buffer> {
    try {
      splitTreePath(path);
    } catch {
      throw new ArtifactNotFoundError(run.id, path);
    }
    const data = await this.readRunFile(run, `artifacts/${path}`);
    if (data === undefined) throw new ArtifactNotFoundError(run.id, path);
    return data;
  }

  /** The run's registry/deploy events, oldest first. */
  async readRunEvents(run: RunLocation): Promise<StoredRunEvent[]> {
    return this.withReader(async (reader) => {
      const entries = (await reader.readTree(`${run.tree}:events`)) ?? [];
      const files = entries.filter((e) => e.type === 'blob' && e.name.endsWith('.json'));
      files.sort((a, b) => (a.name < b.name ? -1 : 1));
      return Promise.all(
        files.map(async (file) => {
          const data = (await reader.read(file.oid)) ?? Buffer.alloc(0);
          const where = `${run.path}/events/${file.name}`;
          return {
            id: file.name.slice(0, -'.json'.length),
            event: parseRunEvent(data.toString('utf8'), where),
          };
        }),
      );
    });
  }

  private async readRunFile(run: RunLocation, path: string): Promise<Buffer | undefined> {
    return this.withReader(async (reader) => {
      const object = await reader.readObject(`${run.tree}:${path}`);
      return object?.type === 'blob' ? object.data : undefined;
    });
  }

  /**
   * Every run folder under runs/ (or runs/<experiment>/) from ONE `ls-tree -r -d` (trees
   * only, so it works in a blobless clone and does not grow with artifacts). The output is
   * scanned in place: at 100,000 runs it is 15 MB, and only the run folders are kept.
   */
  private async walk(root: string, experiment: string | undefined): Promise<RunLocation[]> {
    const scope = experiment === undefined ? RUNS_DIR : `${RUNS_DIR}/${experiment}`;
    const result = await this.git.tryExec([
      'ls-tree',
      '-r',
      '-d',
      '-z',
      '--end-of-options',
      `${root}:${scope}`,
    ]);
    if (result.exitCode !== 0) return [];
    return sortById(runFolders(result.stdout, experiment));
  }

  /**
   * Reads run.json of each location. Big listings are split over two cat-file processes:
   * git's object lookup, not JSON parsing, is the bottleneck there.
   */
  private async readRecords(
    reader: ObjectReader,
    locations: readonly RunLocation[],
  ): Promise<StoredRun[]> {
    if (locations.length < PARALLEL_THRESHOLD) return readRecordsWith(reader, locations);
    const half = Math.ceil(locations.length / 2);
    const [first, second] = await Promise.all([
      readRecordsWith(reader, locations.slice(0, half)),
      this.withReader((other) => readRecordsWith(other, locations.slice(half))),
    ]);
    return [...first, ...second];
  }

  /** Runs `work` on the preferred tip's root tree after checking the format marker. */
  private async withTip<T>(
    empty: T,
    work: (reader: ObjectReader, root: string) => Promise<T>,
  ): Promise<T> {
    const tip = await this.tip();
    if (!tip) return empty;
    return this.withReader(async (reader) => {
      checkMarker(await reader.read(`${tip.oid}:${MARKER_PATH}`), tip.ref);
      const root = (await reader.readObject(`${tip.oid}^{tree}`))?.oid;
      if (root === undefined) return empty;
      return work(reader, root);
    });
  }

  private async withReader<T>(work: (reader: ObjectReader) => Promise<T>): Promise<T> {
    const reader = this.git.openObjectReader();
    try {
      return await work(reader);
    } finally {
      await reader.close();
    }
  }
}

/**
 * Run folders in `ls-tree -r -d -z` output: `<mode> tree <oid>\t<path>\0` records whose path
 * is `<experiment>/<sha[0:2]>/<sha[2:]>/<run-id>` (without the experiment when scoped).
 */
function runFolders(output: string, experiment: string | undefined): RunLocation[] {
  const runs: RunLocation[] = [];
  const validExperiments = new Map<string, boolean>();
  let start = 0;
  while (start < output.length) {
    let end = output.indexOf('\0', start);
    if (end < 0) end = output.length;
    const tab = output.indexOf('\t', start);
    const idSlash = output.lastIndexOf('/', end);
    // Intermediate folders (<exp>, <exp>/<xx>, <exp>/<xx>/<rest>) are skipped cheaply.
    if (tab > start && tab < end && idSlash > tab && end - idSlash - 1 === 26) {
      const location = runFolder(
        output.slice(tab + 1, end),
        output.slice(output.lastIndexOf(' ', tab) + 1, tab),
        experiment,
        validExperiments,
      );
      if (location) runs.push(location);
    }
    start = end + 1;
  }
  return runs;
}

function runFolder(
  name: string,
  oid: string,
  experiment: string | undefined,
  validExperiments: Map<string, boolean>,
): RunLocation | undefined {
  const parts = (experiment === undefined ? name : `${experiment}/${name}`).split('/');
  if (parts.length !== 4) return undefined;
  const [exp = '', head = '', tail = '', id = ''] = parts;
  const commit = head + tail;
  let validExperiment = validExperiments.get(exp);
  if (validExperiment === undefined) {
    validExperiment = isExperimentName(exp);
    validExperiments.set(exp, validExperiment);
  }
  if (!validExperiment || head.length !== 2 || !isRunId(id) || !isCommitSha(commit))
    return undefined;
  return {
    id,
    experiment: exp,
    commit,
    path: `${RUNS_DIR}/${exp}/${head}/${tail}/${id}`,
    tree: oid,
  };
}

/** Locations from a cached folder list; undefined when an entry is not a valid run folder. */
function locationsOf(experiment: string, folders: readonly RunFolder[]): RunLocation[] | undefined {
  const out: RunLocation[] = [];
  for (const { tree, id, commit } of folders) {
    if (!isRunId(id) || !isCommitSha(commit)) return undefined;
    const path = `${RUNS_DIR}/${experiment}/${commit.slice(0, 2)}/${commit.slice(2)}/${id}`;
    out.push({ id, experiment, commit, path, tree });
  }
  return out;
}

function matchesLocation(record: RunRecord, loc: RunLocation): boolean {
  return (
    record.id === loc.id &&
    record.experiment === loc.experiment &&
    record.source.commit === loc.commit
  );
}

/** Writes back what a listing learned, per experiment: appends misses or compacts. */
async function saveToCache(
  cache: RunSummaryCache,
  loaded: ReadonlyMap<string, LoadedRunCache>,
  runs: readonly StoredRun[],
  missed: ReadonlySet<number>,
): Promise<Record<string, RunCacheSaveResult>> {
  const live = new Map<string, CachedRun[]>();
  const added = new Map<string, CachedRun[]>();
  for (const name of loaded.keys()) {
    live.set(name, []);
    added.set(name, []);
  }
  runs.forEach((run, i) => {
    const into = missed.has(i) ? added : live;
    into.get(run.experiment)?.push(run);
  });
  const saved: Record<string, RunCacheSaveResult> = {};
  for (const [name, state] of loaded) {
    saved[name] = await cache.trySave(name, {
      loaded: state,
      live: live.get(name) ?? [],
      added: added.get(name) ?? [],
    });
  }
  return saved;
}

async function readRecordsWith(
  reader: ObjectReader,
  locations: readonly RunLocation[],
): Promise<StoredRun[]> {
  return Promise.all(
    locations.map(async (loc) => {
      const where = `${loc.path}/run.json`;
      const data = await reader.read(`${loc.tree}:run.json`);
      if (data === undefined) throw new InvalidRunDataError(where, 'the file is missing');
      const record = parseRunRecord(data.toString('utf8'), where);
      if (!matchesLocation(record, loc)) {
        throw new InvalidRunDataError(
          where,
          'its id, experiment or commit does not match its path',
        );
      }
      return { ...loc, record };
    }),
  );
}

function runEntries(entries: TreeEntry[]): TreeEntry[] {
  return entries.filter((e) => e.type === 'tree' && isRunId(e.name));
}

function location(experiment: string, commit: string, dir: string, entry: TreeEntry): RunLocation {
  return { id: entry.name, experiment, commit, path: `${dir}/${entry.name}`, tree: entry.oid };
}

function sortById<T extends { id: string }>(runs: T[]): T[] {
  return runs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
