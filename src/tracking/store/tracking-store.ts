/**
 * The tracking branch as one small service: what `ghml run`, `ghml runs`, `ghml push`,
 * `ghml migrate`, compare, the registry and deploy call. Every reader and writer of the branch
 * goes through here (docs/storage-format.md is the format's authority).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Git } from '../../git/git.js';
import { assertEntryName, parseLsTree } from '../../git/tree-entry.js';
import type { MetricPoint, RunEvent } from '../run-record.js';
import { NotQueuedError } from '../tracking-errors.js';
import {
  BranchReader,
  type ListRunsOptions,
  type RunLocation,
  type StoredRun,
  type StoredRunEvent,
} from './branch-reader.js';
import { BranchWriter, type WriteResult, type WriteRunInput } from './branch-writer.js';
import { migrateBranch, type MigrationResult } from './format-migration.js';
import type { InboxEntry } from './inbox-entries.js';
import { listQueue, rebuildLocal, type QueuedEntry } from './local-queue.js';
import { PushProtocol, type PushResult } from './push-protocol.js';
import { withTipBuilder } from './tip-builder.js';
import type { DataWarning } from './segment-files.js';
import type { TipLayout } from './tip-layout.js';
import { fetchTrackingBranch } from './tracking-fetch.js';
import {
  readRefState,
  trackingRefs,
  type PreferredTip,
  type TrackingRefs,
} from './tracking-refs.js';

export type { ListRunsOptions, RunLocation, StoredRun, StoredRunEvent } from './branch-reader.js';
export type { ArtifactFile, WriteResult, WriteRunInput } from './branch-writer.js';
export type { MigrationResult } from './format-migration.js';
export type { InboxEntry } from './inbox-entries.js';
export type { QueuedEntry } from './local-queue.js';
export type { PushResult } from './push-protocol.js';

/** Where the tracking branch is (config `tracking.*`). */
export interface TrackingStoreOptions {
  /** Default 'ghml/runs'. */
  branch: string;
  /** Default 'origin'. */
  remote: string;
  /** Budget of the push loop in ms. Default 120000. */
  pushTimeoutMs: number;
  /** Told about each bad record a read skipped: one bad record never stops a listing. */
  warn?: DataWarning;
  /** Seal the open bucket at this many entries instead of 1,000 (tests and benchmarks only). */
  sealAt?: number;
}

/** What waits to reach the branch: local entries not sent, and delivered ones not folded. */
export interface QueueState {
  unpushed: QueuedEntry[];
  inbox: InboxEntry[];
}

/** What `drop` removed and where its files went. */
export interface DroppedEntry {
  id: string;
  kind: 'run' | 'event';
  /** Folder the entry's files were saved to. */
  savedTo: string;
}

export interface TrackingStore {
  readonly refs: TrackingRefs;
  /** Creates the local branch if needed (orphan + format marker, or from the fetched tip). */
  ensureBranch(): Promise<string>;
  /** Throws FormatMigrationNeededError unless the branch (if any) is format 2. */
  checkWritable(): Promise<void>;
  /** Records a finished (or failed/killed) run as one commit on the local branch. */
  writeRun(input: WriteRunInput): Promise<WriteResult>;
  /** Adds an event to a run (by id, unique id prefix, or location). */
  addRunEvent(run: string | RunLocation, event: RunEvent): Promise<WriteResult>;
  /** The tip reads use, or undefined when there is no tracking branch yet. */
  tip(): Promise<PreferredTip | undefined>;
  /** The tip's layout (format, open bucket, segments), or undefined without a branch. */
  layout(): Promise<TipLayout | undefined>;
  /** Runs recorded for a source commit (deleted ones left out). */
  runsAtCommit(commit: string, experiment?: string): Promise<RunLocation[]>;
  /** Which of `commits` have runs (optionally of one experiment); no record is read. */
  commitsWithRuns(commits: readonly string[], experiment?: string): Promise<Set<string>>;
  /** Reads the records of located runs. */
  readRuns(runs: readonly RunLocation[]): Promise<StoredRun[]>;
  /** Locations of every run (optionally of one experiment). */
  locateRuns(options?: ListRunsOptions): Promise<RunLocation[]>;
  /** Every run with its record, sorted by id (start time); deleted ones unless asked. */
  listRuns(options?: ListRunsOptions): Promise<StoredRun[]>;
  /** The run with this id or unique id prefix (deleted ones too). */
  findRun(idOrPrefix: string): Promise<StoredRun>;
  /** Fills in the tree of sealed runs that a bulk listing left as '' (see RunLocation.tree). */
  resolveTrees<T extends RunLocation>(runs: readonly T[]): Promise<T[]>;
  /** Where run `id` is recorded, or undefined when it is nowhere on the branch or inbox. */
  whereIsRun(id: string): Promise<string | undefined>;
  readMetrics(run: RunLocation): Promise<MetricPoint[]>;
  readArtifact(run: RunLocation, path: string): Promise<Buffer>;
  readRunEvents(run: RunLocation): Promise<StoredRunEvent[]>;
  /** Fetches the remote tip and inbox; false when the remote has no tracking branch yet. */
  fetch(): Promise<boolean>;
  /** Pushes the local queue (see push-protocol.ts). */
  push(): Promise<PushResult>;
  /** Folds the remote inbox into the branch (see push-protocol.ts). */
  fold(): Promise<PushResult>;
  /** Ids of runs on the local branch that the remote (as last fetched) does not have. */
  unpushedRunIds(): Promise<string[]>;
  /** The local queue and the delivered-but-not-folded inbox. */
  queue(): Promise<QueueState>;
  /** Removes an unsent entry from the local queue after saving its files under `saveDir`. */
  drop(id: string, saveDir: string): Promise<DroppedEntry>;
  /** Converts a format-1 branch to format 2 (see format-migration.ts). */
  migrate(hasRemote: boolean): Promise<MigrationResult>;
}

/** Opens the tracking branch of `git`'s repository. Throws InvalidNameError for bad names. */
export function openTrackingStore(git: Git, options: TrackingStoreOptions): TrackingStore {
  const refs = trackingRefs(options.branch, options.remote);
  const warn = options.warn ?? (() => undefined);
  const reader = new BranchReader(git, refs, { warn });
  const { sealAt } = options;
  const writer = new BranchWriter(git, refs, reader, { warn, sealAt });
  const protocol = (): PushProtocol =>
    new PushProtocol(git, refs, { timeoutMs: options.pushTimeoutMs, warn, sealAt });
  const withReader = async <T>(
    work: (r: ReturnType<Git['openObjectReader']>) => Promise<T>,
  ): Promise<T> => {
    const r = git.openObjectReader();
    try {
      return await work(r);
    } finally {
      await r.close();
    }
  };
  const currentQueue = async (): Promise<QueuedEntry[]> => {
    const state = await readRefState(git, refs);
    return withReader((r) => listQueue(git, r, refs, state, warn));
  };
  return {
    refs,
    ensureBranch: () => writer.ensureBranch(),
    async checkWritable() {
      const tip = await reader.tip();
      if (tip) await writer.checkWritable(tip.oid, tip.ref);
    },
    writeRun: (input) => writer.writeRun(input),
    async addRunEvent(run, event) {
      const id = typeof run === 'string' ? (await reader.findRun(run)).id : run.id;
      return writer.addRunEvent(id, event);
    },
    tip: () => reader.tip(),
    layout: () => reader.layout(),
    runsAtCommit: (commit, experiment) => reader.runsAtCommit(commit, experiment),
    commitsWithRuns: (commits, experiment) => reader.commitsWithRuns(commits, experiment),
    readRuns: (runs) => reader.readRuns(runs),
    locateRuns: (locateOptions) => reader.locateRuns(locateOptions),
    listRuns: (listOptions) => reader.listRuns(listOptions),
    findRun: (query) => reader.findRun(query),
    whereIsRun: (id) => reader.whereIsRun(id),
    resolveTrees: (runs) => reader.resolveTrees(runs),
    readMetrics: (run) => reader.readMetrics(run),
    readArtifact: (run, path) => reader.readArtifact(run, path),
    readRunEvents: (run) => reader.readRunEvents(run),
    fetch: () => fetchTrackingBranch(git, refs),
    push: () => protocol().push(),
    async fold() {
      const result = await protocol().fold();
      return { pushed: 0, delivered: 0, attempts: 1, ...result };
    },
    async unpushedRunIds() {
      return (await currentQueue()).filter((e) => e.kind === 'run').map((e) => e.id);
    },
    async queue() {
      return { unpushed: await currentQueue(), inbox: await reader.inbox() };
    },
    async drop(id, saveDir) {
      const entry = (await currentQueue()).find((e) => e.id === id.trim().toUpperCase());
      if (entry === undefined) throw new NotQueuedError(id, refs.branch);
      const savedTo = join(saveDir, entry.id);
      await saveEntry(git, entry, savedTo);
      const exclude = new Set([entry.id]);
      for (let i = 0; i < 10; i++) {
        const options = { branch: refs.branch, warn, sealAt };
        if (await withTipBuilder(git, options, (c) => rebuildLocal(c, refs, exclude))) break;
      }
      return { id: entry.id, kind: entry.kind, savedTo };
    },
    migrate: (hasRemote) => migrateBranch(git, refs, { warn, hasRemote }),
  };
}

/** Writes an entry's files (a run folder's tree, or an event file) under `dir`. */
async function saveEntry(git: Git, entry: QueuedEntry, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const reader = git.openObjectReader();
  try {
    if (entry.kind === 'event') {
      const data = (await reader.read(entry.object)) ?? Buffer.alloc(0);
      await writeFile(join(dir, `${entry.path.split('/').pop() ?? 'event.json'}`), data);
      return;
    }
    const listing = await git.exec(['ls-tree', '-r', '-z', '--end-of-options', entry.object]);
    for (const file of parseLsTree(listing)) {
      if (file.type !== 'blob') continue;
      const parts = file.name.split('/');
      for (const part of parts) assertEntryName(part);
      const target = join(dir, ...parts);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, (await reader.read(file.oid)) ?? Buffer.alloc(0));
    }
  } finally {
    await reader.close();
  }
}
