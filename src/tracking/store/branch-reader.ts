/**
 * Reads the tracking branch without checking it out, in either format: the sealed segments'
 * summaries (format 2), the open bucket's run folders, the open events, and the mirrored inbox
 * entries not on the branch yet, merged by run id. Works on a depth-1, blobless fetch of the
 * branch tip: the blobs a read needs are fetched in one request, sealed runs' files lazily
 * through their tree oids. Which ref is read is decided by `preferredTip` (tracking-refs.ts).
 *
 * One bad record never fails a read: it is skipped, and `warn` says which file held it.
 */
import type { Git } from '../../git/git.js';
import type { ObjectReader } from '../../git/object-reader.js';
import { splitTreePath } from '../../git/tree-edit.js';
import { applyRunEvents } from '../run-lifecycle.js';
import type { MetricPoint, RunEvent, RunRecord } from '../run-record.js';
import { parseMetricLines } from '../run-record-json.js';
import {
  AmbiguousRunError,
  ArtifactNotFoundError,
  InvalidRunDataError,
  RunNotFoundError,
} from '../tracking-errors.js';
import { listInboxEntries, readInboxEntries, type InboxEntry } from './inbox-entries.js';
import {
  openRunsAt,
  readFolderEvents,
  readOpenEvents,
  readRunRecords,
  runFolderPath,
  walkRunFolders,
  type RunLocation,
} from './open-bucket.js';
import {
  assertCommitSha,
  assertExperimentName,
  isExperimentName,
  parseMetricsChunkName,
  parseRunPath,
} from './run-path.js';
import {
  loadSegmentEvents,
  loadSegmentRuns,
  segmentsWithCommits,
  type DataWarning,
} from './segment-files.js';
import type { SealedEvent } from './summary-codec.js';
import { readTipLayout, segmentsForIdPrefix, type TipLayout } from './tip-layout.js';
import {
  preferredTip,
  readRefState,
  type PreferredTip,
  type TrackingRefs,
} from './tracking-refs.js';

export type { RunLocation } from './open-bucket.js';

/** A run with its record (as its events leave it: current name and tags). */
export interface StoredRun extends RunLocation {
  record: RunRecord;
  /**
   * True when a `ghml runs delete` event hides the run (MLflow's lifecycle_stage 'deleted').
   * Listings leave deleted runs out unless `includeDeleted` is set.
   */
  deleted?: boolean;
}

/** An event of a run, with the event id (a ULID). */
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
  /** Told about each bad record a read skipped. Default: nothing is said. */
  warn?: DataWarning;
}

/** What one read sees: the tip (if any) and the inbox entries not on it. */
interface View {
  layout: TipLayout | undefined;
  inbox: InboxEntry[];
}

const RUN_ID_PREFIX = /^[0-9A-HJKMNP-TV-Z]{1,26}$/;

export class BranchReader {
  private readonly warn: DataWarning;
  /** Records already read, by run folder tree oid (trees are content-addressed). */
  private readonly records = new Map<string, RunRecord>();
  /** Layouts already read, by ref and commit. */
  private readonly layouts = new Map<string, TipLayout>();

  constructor(
    private readonly git: Git,
    private readonly refs: TrackingRefs,
    options: BranchReaderOptions = {},
  ) {
    this.warn = options.warn ?? (() => undefined);
  }

  /** The tip reads come from, or undefined when there is no tracking branch at all. */
  async tip(): Promise<PreferredTip | undefined> {
    return preferredTip(this.git, this.refs, await readRefState(this.git, this.refs));
  }

  /** The layout of the tip, or undefined when there is no branch. */
  async layout(): Promise<TipLayout | undefined> {
    return this.withReader((reader) => this.readLayout(reader));
  }

  /** The mirrored inbox entries (delivered, not folded yet). */
  async inbox(): Promise<InboxEntry[]> {
    return this.withReader((reader) => listInboxEntries(this.git, reader, this.refs, this.warn));
  }

  /**
   * Every run (optionally of one experiment), sorted by id (= start time), as its events
   * leave it. Deleted runs are left out unless `includeDeleted`.
   */
  async listRuns(options: ListRunsOptions = {}): Promise<StoredRun[]> {
    const { experiment } = options;
    if (experiment !== undefined) assertExperimentName(experiment);
    return this.withView(async (reader, view) => {
      const found = new Map<string, StoredRun>();
      const add = (location: RunLocation, record: RunRecord): void => {
        if (experiment !== undefined && record.experiment !== experiment) return;
        if (!found.has(record.id)) found.set(record.id, { ...location, record });
      };
      const { layout } = view;
      if (layout) {
        for (const { tree, record } of await loadSegmentRuns(
          this.git,
          reader,
          layout.segments,
          this.warn,
        )) {
          add(sealedLocation(tree, record), record);
        }
        const open = await walkRunFolders(this.git, layout.runsTree, experiment);
        for (const { location, record } of await this.readRecords(reader, open, layout)) {
          add(location, record);
        }
      }
      for (const { location, record } of await this.inboxRuns(reader, view.inbox)) {
        add(location, record);
      }
      const runs = [...found.values()];
      const effective = await this.applyEvents(reader, view, runs);
      return sortById(options.includeDeleted ? effective : effective.filter((r) => !r.deleted));
    });
  }

  /** Locations of every run (optionally of one experiment), deleted ones included. */
  async locateRuns(options: ListRunsOptions = {}): Promise<RunLocation[]> {
    const runs = await this.listRuns({ ...options, includeDeleted: true });
    return runs.map(({ id, experiment, commit, path, tree }) => ({
      id,
      experiment,
      commit,
      path,
      tree,
    }));
  }

  /** Runs recorded for `commit` (optionally of one experiment), sorted by id; deleted ones left out. */
  async runsAtCommit(commit: string, experiment?: string): Promise<RunLocation[]> {
    assertCommitSha(commit);
    if (experiment !== undefined) assertExperimentName(experiment);
    const runs = await this.withView(async (reader, view) => {
      const found = new Map<string, StoredRun>();
      const add = (location: RunLocation, record: RunRecord): void => {
        if (record.source.commit !== commit) return;
        if (experiment !== undefined && record.experiment !== experiment) return;
        if (!found.has(record.id)) found.set(record.id, { ...location, record });
      };
      const { layout } = view;
      if (layout) {
        const segments = await segmentsWithCommits(this.git, reader, layout.segments, [commit]);
        for (const { tree, record } of await loadSegmentRuns(
          this.git,
          reader,
          segments,
          this.warn,
        )) {
          add(sealedLocation(tree, record), record);
        }
        const experiments =
          experiment !== undefined ? [experiment] : await this.openExperiments(reader, layout);
        const open = (
          await Promise.all(experiments.map((e) => openRunsAt(reader, layout.runsTree, e, commit)))
        ).flat();
        for (const { location, record } of await this.readRecords(reader, open, layout)) {
          add(location, record);
        }
      }
      const atCommit = view.inbox.filter(
        (e) => e.kind === 'run' && e.path.includes(`/${commit.slice(2)}/`),
      );
      for (const { location, record } of await this.inboxRuns(reader, atCommit))
        add(location, record);
      return this.applyEvents(reader, view, [...found.values()]);
    });
    return sortById(runs.filter((r) => !r.deleted)).map(
      ({ id, experiment: e, commit: c, path, tree }) => ({
        id,
        experiment: e,
        commit: c,
        path,
        tree,
      }),
    );
  }

  /**
   * Which of `commits` have at least one run (optionally of one experiment), without reading
   * any record of the open bucket: one batched tree lookup there, each segment's commits.txt,
   * and the inbox. A deleted run still counts (the caller reads the runs and skips those).
   */
  async commitsWithRuns(commits: readonly string[], experiment?: string): Promise<Set<string>> {
    for (const commit of commits) assertCommitSha(commit);
    if (experiment !== undefined) assertExperimentName(experiment);
    const found = new Set<string>();
    if (commits.length === 0) return found;
    return this.withView(async (reader, view) => {
      const { layout } = view;
      if (layout) {
        const experiments =
          experiment !== undefined ? [experiment] : await this.openExperiments(reader, layout);
        const runsTree = layout.runsTree;
        if (runsTree !== undefined && experiments.length > 0) {
          const checks = await Promise.all(
            experiments.flatMap((e) =>
              commits.map(async (commit) => ({
                commit,
                object: await reader.readObject(
                  `${runsTree}:${e}/${commit.slice(0, 2)}/${commit.slice(2)}`,
                ),
              })),
            ),
          );
          for (const { commit, object } of checks) if (object?.type === 'tree') found.add(commit);
        }
        const rest = commits.filter((c) => !found.has(c));
        const segments = await segmentsWithCommits(this.git, reader, layout.segments, rest);
        if (segments.length > 0) {
          const wanted = new Set(rest);
          for (const { record } of await loadSegmentRuns(this.git, reader, segments, this.warn)) {
            if (
              wanted.has(record.source.commit) &&
              (experiment === undefined || record.experiment === experiment)
            )
              found.add(record.source.commit);
          }
        }
      }
      for (const entry of view.inbox) {
        const run = entry.kind === 'run' ? parseRunPath(entry.path) : undefined;
        if (
          run &&
          commits.includes(run.commit) &&
          (experiment === undefined || run.experiment === experiment)
        )
          found.add(run.commit);
      }
      return found;
    });
  }

  /** Reads the records of located runs (as their events leave them). */
  async readRuns(locations: readonly RunLocation[]): Promise<StoredRun[]> {
    if (locations.length === 0) return [];
    return this.withView(async (reader, view) => {
      const missing = locations.filter((l) => !this.records.has(l.tree));
      const read = await readRunRecords(this.git, reader, missing, this.warn);
      for (const { location, record } of read) this.records.set(location.tree, record);
      const runs: StoredRun[] = [];
      for (const location of locations) {
        const record = this.records.get(location.tree);
        if (record === undefined) {
          throw new InvalidRunDataError(`${location.path}/run.json`, 'the record cannot be read');
        }
        runs.push({ ...location, record });
      }
      return this.applyEvents(reader, view, runs);
    });
  }

  /** The run whose id is `query` or starts with it (case-insensitive); deleted runs too. */
  async findRun(query: string): Promise<StoredRun> {
    const prefix = query.trim().toUpperCase();
    if (!RUN_ID_PREFIX.test(prefix)) throw new RunNotFoundError(query, this.refs.branch);
    const matches = await this.withView(async (reader, view) => {
      const found = await this.runsWithPrefix(reader, view, prefix);
      const exact = found.filter((r) => r.id === prefix);
      const chosen = exact.length === 1 ? exact : found;
      if (chosen.length > 1) {
        throw new AmbiguousRunError(
          query,
          chosen.map((r) => r.id),
        );
      }
      return this.applyEvents(reader, view, chosen);
    });
    const run = matches[0];
    if (!run) throw new RunNotFoundError(query, this.refs.branch);
    return run;
  }

  /**
   * Where run `id` is recorded, as a few words for messages ('segment 000004', 'the open
   * bucket', 'the inbox'), or undefined when it is nowhere on the branch or in its inbox.
   */
  async whereIsRun(id: string): Promise<string | undefined> {
    return this.withView(async (reader, view) => {
      if (view.inbox.some((e) => e.kind === 'run' && e.id === id)) return 'the inbox';
      const { layout } = view;
      if (!layout) return undefined;
      const open = await walkRunFolders(this.git, layout.runsTree);
      if (open.some((r) => r.id === id)) return `the open bucket (${layout.ref})`;
      for (const segment of segmentsForIdPrefix(layout, id)) {
        const runs = await loadSegmentRuns(this.git, reader, [segment], this.warn);
        if (runs.some((r) => r.record.id === id)) return `segment ${segment.name} (${layout.ref})`;
      }
      return undefined;
    });
  }

  /** The run's full metric series, from all its chunks. */
  async readMetrics(run: RunLocation): Promise<MetricPoint[]> {
    return this.withReader(async (reader) => {
      const entries = (await reader.readTree(run.tree)) ?? [];
      const chunks = entries
        .map((e) => ({
          entry: e,
          index: e.type === 'blob' ? parseMetricsChunkName(e.name) : undefined,
        }))
        .filter(
          (c): c is { entry: (typeof entries)[number]; index: number } => c.index !== undefined,
        )
        .sort((a, b) => a.index - b.index);
      const points: MetricPoint[] = [];
      for (const { entry } of chunks) {
        const data = await reader.read(entry.oid);
        if (data === undefined) continue;
        for (const point of parseMetricLines(data.toString('utf8'), `${run.path}/${entry.name}`))
          points.push(point);
      }
      return points;
    });
  }

  /** The bytes of a stored artifact; throws ArtifactNotFoundError when it is not stored. */
  async readArtifact(run: RunLocation, path: string): Promise<Buffer> {
    try {
      splitTreePath(path);
    } catch {
      throw new ArtifactNotFoundError(run.id, path);
    }
    const data = await this.withReader(async (reader) => {
      const object = await reader.readObject(`${run.tree}:artifacts/${path}`);
      return object?.type === 'blob' ? object.data : undefined;
    });
    if (data === undefined) throw new ArtifactNotFoundError(run.id, path);
    return data;
  }

  /** The run's events (registry, deploy, lifecycle), oldest first. */
  async readRunEvents(run: RunLocation): Promise<StoredRunEvent[]> {
    return this.withView(async (reader, view) => {
      const events = await this.eventsOf(reader, view, new Set([run.id]), [run]);
      return (events.get(run.id) ?? []).map(({ id, event }) => ({ id, event }));
    });
  }

  private async runsWithPrefix(
    reader: ObjectReader,
    view: View,
    prefix: string,
  ): Promise<StoredRun[]> {
    const found = new Map<string, StoredRun>();
    const add = (location: RunLocation, record: RunRecord): void => {
      if (record.id.startsWith(prefix) && !found.has(record.id))
        found.set(record.id, { ...location, record });
    };
    const { layout } = view;
    if (layout) {
      const segments = segmentsForIdPrefix(layout, prefix);
      for (const { tree, record } of await loadSegmentRuns(this.git, reader, segments, this.warn)) {
        add(sealedLocation(tree, record), record);
      }
      const open = (await walkRunFolders(this.git, layout.runsTree)).filter((r) =>
        r.id.startsWith(prefix),
      );
      for (const { location, record } of await this.readRecords(reader, open, layout)) {
        add(location, record);
      }
    }
    const inbox = view.inbox.filter((e) => e.kind === 'run' && e.id.startsWith(prefix));
    for (const { location, record } of await this.inboxRuns(reader, inbox)) add(location, record);
    return sortById([...found.values()]);
  }

  /** Records of open-bucket locations, through the per-reader memo. */
  private async readRecords(
    reader: ObjectReader,
    locations: readonly RunLocation[],
    layout: TipLayout,
  ): Promise<Array<{ location: RunLocation; record: RunRecord }>> {
    const missing = locations.filter((l) => !this.records.has(l.tree));
    const read = await readRunRecords(this.git, reader, missing, this.warn, {
      ...(layout.runsTree !== undefined ? { runsTree: layout.runsTree } : {}),
      openReader: () => this.git.openObjectReader(),
    });
    for (const { location, record } of read) this.records.set(location.tree, record);
    const out: Array<{ location: RunLocation; record: RunRecord }> = [];
    for (const location of locations) {
      const record = this.records.get(location.tree);
      if (record !== undefined) out.push({ location, record });
    }
    return out;
  }

  private async inboxRuns(
    reader: ObjectReader,
    entries: readonly InboxEntry[],
  ): Promise<Array<{ location: RunLocation; record: RunRecord }>> {
    const locations: RunLocation[] = [];
    for (const entry of entries) {
      if (entry.kind !== 'run') continue;
      const parts = entry.path.split('/');
      const experiment = parts[1] ?? '';
      const commit = `${parts[2] ?? ''}${parts[3] ?? ''}`;
      locations.push({ id: entry.id, experiment, commit, path: entry.path, tree: entry.object });
    }
    const missing = locations.filter((l) => !this.records.has(l.tree));
    for (const { location, record } of await readRunRecords(this.git, reader, missing, this.warn))
      this.records.set(location.tree, record);
    const out: Array<{ location: RunLocation; record: RunRecord }> = [];
    for (const location of locations) {
      const record = this.records.get(location.tree);
      if (record !== undefined) out.push({ location, record });
    }
    return out;
  }

  private async openExperiments(reader: ObjectReader, layout: TipLayout): Promise<string[]> {
    if (layout.runsTree === undefined) return [];
    return ((await reader.readTree(layout.runsTree)) ?? [])
      .filter((e) => e.type === 'tree' && isExperimentName(e.name))
      .map((e) => e.name);
  }

  /** Applies each run's lifecycle events; marks deleted runs. */
  private async applyEvents(
    reader: ObjectReader,
    view: View,
    runs: readonly StoredRun[],
  ): Promise<StoredRun[]> {
    if (runs.length === 0) return [];
    const events = await this.eventsOf(reader, view, new Set(runs.map((r) => r.id)), []);
    if (events.size === 0) return runs.map((r) => ({ ...r, deleted: false }));
    return runs.map((run) => {
      const own = events.get(run.id);
      if (own === undefined) return { ...run, deleted: false };
      const { record, deleted } = applyRunEvents(run.record, own);
      return { ...run, record, deleted };
    });
  }

  /**
   * Events of the runs `ids`, by run id, oldest first and without duplicates: sealed, open,
   * in the inbox, and (for format-1 run folders in `folders`) inside the run folder.
   */
  private async eventsOf(
    reader: ObjectReader,
    view: View,
    ids: ReadonlySet<string>,
    folders: readonly RunLocation[],
  ): Promise<Map<string, SealedEvent[]>> {
    const all: SealedEvent[] = [];
    const { layout } = view;
    if (layout) {
      all.push(...(await loadSegmentEvents(this.git, reader, layout.segments, this.warn)));
      all.push(...(await this.openEventsOf(reader, layout, ids)));
      if (layout.format === 1 || folders.length > 0) {
        for (const folder of folders)
          all.push(...(await readFolderEvents(this.git, reader, folder, this.warn)));
      }
    }
    for (const entry of view.inbox) {
      if (entry.kind !== 'event' || !ids.has(entry.runId)) continue;
      const blob = await reader.read(entry.object);
      try {
        const event = JSON.parse(blob?.toString('utf8') ?? '') as RunEvent;
        if (typeof event.kind === 'string' && typeof event.at === 'number')
          all.push({ runId: entry.runId, id: entry.id, event });
      } catch {
        this.warn(`ignored ${entry.ref}: not a valid event file`);
      }
    }
    const byRun = new Map<string, SealedEvent[]>();
    const seen = new Set<string>();
    for (const event of all) {
      if (!ids.has(event.runId) || seen.has(event.id)) continue;
      seen.add(event.id);
      const list = byRun.get(event.runId) ?? [];
      list.push(event);
      byRun.set(event.runId, list);
    }
    for (const list of byRun.values())
      list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return byRun;
  }

  /** Open events of the runs `ids`: one tree read per run when few, one walk when many. */
  private async openEventsOf(
    reader: ObjectReader,
    layout: TipLayout,
    ids: ReadonlySet<string>,
  ): Promise<SealedEvent[]> {
    if (layout.eventsTree === undefined) return [];
    if (ids.size > 20) return readOpenEvents(this.git, reader, layout.eventsTree, this.warn);
    const trees = await Promise.all(
      [...ids].map(async (id) => ({
        id,
        entries: await reader.readTree(`${layout.eventsTree}:${id}`),
      })),
    );
    if (trees.every((t) => t.entries === undefined)) return [];
    return (await readOpenEvents(this.git, reader, layout.eventsTree, this.warn)).filter((e) =>
      ids.has(e.runId),
    );
  }

  private async readLayout(reader: ObjectReader): Promise<TipLayout | undefined> {
    const tip = await this.tip();
    return tip ? this.layoutOf(reader, tip) : undefined;
  }

  /** A commit's layout never changes: read once per reader. */
  private async layoutOf(reader: ObjectReader, tip: PreferredTip): Promise<TipLayout> {
    const key = `${tip.ref}\0${tip.oid}`;
    let layout = this.layouts.get(key);
    if (layout === undefined) {
      layout = await readTipLayout(reader, tip.oid, tip.ref);
      if (this.layouts.size >= 16) this.layouts.clear();
      this.layouts.set(key, layout);
    }
    return layout;
  }

  /**
   * Runs `work` on the current view: the tip's layout and the inbox entries not on it. The
   * branch refs and the inbox mirror are read with ONE for-each-ref.
   */
  private async withView<T>(work: (reader: ObjectReader, view: View) => Promise<T>): Promise<T> {
    const { refs } = this;
    const rows = await this.git.forEachRef(
      [refs.local, refs.remoteTracking, refs.inboxMirrorPrefix],
      ['refname', 'objectname'],
    );
    const find = (name: string): string | undefined =>
      rows.find((row) => row['refname'] === name)?.['objectname'];
    const state = { local: find(refs.local), remoteTracking: find(refs.remoteTracking) };
    const inboxRows = rows
      .filter((row) => (row['refname'] ?? '').startsWith(refs.inboxMirrorPrefix))
      .map((row) => ({ ref: row['refname'] ?? '', commit: row['objectname'] ?? '' }));
    const tip = await preferredTip(this.git, refs, state);
    return this.withReader(async (reader) => {
      const layout = tip ? await this.layoutOf(reader, tip) : undefined;
      const inbox =
        inboxRows.length === 0
          ? []
          : await readInboxEntries(reader, inboxRows, refs.inboxMirrorPrefix, this.warn);
      return work(reader, { layout, inbox });
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

/** Where a sealed run was: its canonical folder path, read through its tree oid. */
function sealedLocation(tree: string, record: RunRecord): RunLocation {
  const { id, experiment } = record;
  const commit = record.source.commit;
  return { id, experiment, commit, path: runFolderPath(experiment, commit, id), tree };
}

function sortById<T extends { id: string }>(runs: T[]): T[] {
  return runs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
