/**
 * The tracking branch as one small service: what `ghml run`, `ghml runs list/show`,
 * `ghml push`, compare, the registry and deploy call. Every reader and writer of the branch
 * goes through here (DESIGN.md, "Tracking branch, format 1").
 */
import type { Git } from '../../git/git.js';
import {
  BranchReader,
  type ListRunsOptions,
  type RunLocation,
  type StoredRun,
  type StoredRunEvent,
} from './branch-reader.js';
import { BranchWriter, type WriteResult, type WriteRunInput } from './branch-writer.js';
import { listUnpushedCommits, pushTrackingBranch, type PushResult } from './push-protocol.js';
import type { MetricPoint, RunEvent } from '../run-record.js';
import { parseRunPath } from './run-path.js';
import { fetchTrackingBranch } from './tracking-fetch.js';
import {
  readRefState,
  trackingRefs,
  type PreferredTip,
  type TrackingRefs,
} from './tracking-refs.js';

export type { ListRunsOptions, RunLocation, StoredRun, StoredRunEvent } from './branch-reader.js';
export type { ArtifactFile, WriteResult, WriteRunInput } from './branch-writer.js';
export type { PushResult } from './push-protocol.js';

/** Where the tracking branch is (config `tracking.*`). */
export interface TrackingStoreOptions {
  /** Default 'ghml/runs'. */
  branch: string;
  /** Default 'origin'. */
  remote: string;
  /** Budget of the push retry loop in ms. Default 120000. */
  pushTimeoutMs: number;
}

export interface TrackingStore {
  readonly refs: TrackingRefs;
  /** Creates the local branch if needed (orphan + format marker, or from the fetched tip). */
  ensureBranch(): Promise<string>;
  /** Records a finished (or failed/killed) run as one commit on the local branch. */
  writeRun(input: WriteRunInput): Promise<WriteResult>;
  /** Adds an event file to a run (by id, unique id prefix, or location). */
  addRunEvent(run: string | RunLocation, event: RunEvent): Promise<WriteResult>;
  /** The tip reads use, or undefined when there is no tracking branch yet. */
  tip(): Promise<PreferredTip | undefined>;
  /** Runs recorded for a source commit; no record is read (one tree listing). */
  runsAtCommit(commit: string, experiment?: string): Promise<RunLocation[]>;
  /** Reads the records of located runs. */
  readRuns(runs: readonly RunLocation[]): Promise<StoredRun[]>;
  /** Locations of every run (optionally of one experiment), without reading records. */
  locateRuns(options?: ListRunsOptions): Promise<RunLocation[]>;
  /** Every run with its record, sorted by id (start time). */
  listRuns(options?: ListRunsOptions): Promise<StoredRun[]>;
  /** The run with this id or unique id prefix. */
  findRun(idOrPrefix: string): Promise<StoredRun>;
  readMetrics(run: RunLocation): Promise<MetricPoint[]>;
  readArtifact(run: RunLocation, path: string): Promise<Buffer>;
  readRunEvents(run: RunLocation): Promise<StoredRunEvent[]>;
  /** Fetches the remote tip; false when the remote has no tracking branch yet. */
  fetch(): Promise<boolean>;
  /** Pushes local runs (retrying while others push); see push-protocol.ts. */
  push(): Promise<PushResult>;
  /** Ids of runs on the local branch that the remote (as last fetched) does not have. */
  unpushedRunIds(): Promise<string[]>;
}

/** Opens the tracking branch of `git`'s repository. Throws InvalidNameError for bad names. */
export function openTrackingStore(git: Git, options: TrackingStoreOptions): TrackingStore {
  const refs = trackingRefs(options.branch, options.remote);
  const reader = new BranchReader(git, refs);
  const writer = new BranchWriter(git, refs);
  return {
    refs,
    ensureBranch: () => writer.ensureBranch(),
    writeRun: (input) => writer.writeRun(input),
    async addRunEvent(run, event) {
      const location = typeof run === 'string' ? await reader.findRun(run) : run;
      return writer.addRunEvent(
        { experiment: location.experiment, commit: location.commit, runId: location.id },
        event,
      );
    },
    tip: () => reader.tip(),
    runsAtCommit: (commit, experiment) => reader.runsAtCommit(commit, experiment),
    readRuns: (runs) => reader.readRuns(runs),
    locateRuns: (locateOptions) => reader.locateRuns(locateOptions),
    listRuns: (listOptions) => reader.listRuns(listOptions),
    findRun: (query) => reader.findRun(query),
    readMetrics: (run) => reader.readMetrics(run),
    readArtifact: (run, path) => reader.readArtifact(run, path),
    readRunEvents: (run) => reader.readRunEvents(run),
    fetch: () => fetchTrackingBranch(git, refs),
    push: () => pushTrackingBranch(git, refs, { timeoutMs: options.pushTimeoutMs }),
    async unpushedRunIds() {
      const commits = await listUnpushedCommits(git, await readRefState(git, refs));
      return commits.flatMap((c) => c.runPaths.map((p) => parseRunPath(p)?.runId ?? p));
    },
  };
}
