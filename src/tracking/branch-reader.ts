/**
 * Reads the tracking branch without checking it out: trees are walked and blobs read through
 * one `cat-file --batch` process per operation, so listing 100,000 runs costs two processes.
 * Works on a depth-1, blobless fetch of the branch tip: trees are there, and the blobs a read
 * needs are fetched (in one batch for listings, lazily by git for single reads).
 * Which ref is read is decided by `preferredTip` (see tracking-refs.ts).
 */
import type { Git } from '../git/git.js';
import type { ObjectReader } from '../git/object-reader.js';
import { splitTreePath } from '../git/tree-edit.js';
import { parseLsTree, type TreeEntry } from '../git/tree-entry.js';
import { MARKER_PATH, checkMarker } from './branch-format.js';
import { prefetchMissingBlobs } from './branch-prefetch.js';
import type { MetricPoint, RunEvent, RunRecord } from './run-record.js';
import { parseMetricLines, parseRunEvent, parseRunRecord } from './run-record-json.js';
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
} from './tracking-errors.js';
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
}

/** An event file of a run, with the event id from its file name. */
export interface StoredRunEvent {
  id: string;
  event: RunEvent;
}

export interface ListRunsOptions {
  /** Only this experiment's runs. */
  experiment?: string;
}

/** From this many runs on, records are read through two processes at once. */
const PARALLEL_THRESHOLD = 2000;

const RUN_ID_PREFIX = /^[0-9A-HJKMNP-TV-Z]{1,26}$/;

export class BranchReader {
  constructor(
    private readonly git: Git,
    private readonly refs: TrackingRefs,
  ) {}

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

  /** Every run (optionally of one experiment) with its record, sorted by id (= start time). */
  async listRuns(options: ListRunsOptions = {}): Promise<StoredRun[]> {
    if (options.experiment !== undefined) assertExperimentName(options.experiment);
    return this.withTip([], async (reader, root) => {
      const locations = await this.walk(root, options.experiment);
      const scope =
        options.experiment === undefined ? RUNS_DIR : `${RUNS_DIR}/${options.experiment}`;
      const subtree = (await reader.readObject(`${root}:${scope}`))?.oid;
      if (subtree !== undefined) {
        await prefetchMissingBlobs(this.git, subtree, (path) => path.endsWith('/run.json'));
      }
      return this.readRecords(reader, locations);
    });
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
   * only, so it works in a blobless clone and does not grow with artifacts).
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
    const runs: RunLocation[] = [];
    for (const entry of parseLsTree(result.stdout)) {
      const parts = (experiment === undefined ? entry.name : `${experiment}/${entry.name}`).split(
        '/',
      );
      if (parts.length !== 4) continue;
      const [exp = '', head = '', tail = '', id = ''] = parts;
      const commit = head + tail;
      if (!isRunId(id) || head.length !== 2 || !isCommitSha(commit) || !isExperimentName(exp))
        continue;
      runs.push({
        id,
        experiment: exp,
        commit,
        path: `${RUNS_DIR}/${exp}/${head}/${tail}/${id}`,
        tree: entry.oid,
      });
    }
    return sortById(runs);
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
      if (
        record.id !== loc.id ||
        record.experiment !== loc.experiment ||
        record.source.commit !== loc.commit
      ) {
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
