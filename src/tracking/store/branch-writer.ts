/**
 * Writes runs and events to the local tracking branch with git plumbing only: no checkout, no
 * index, no work-tree file. A write creates the new blobs, the trees on the path from the root
 * to the new entry and one commit (plus a seal commit when the open bucket is full), then
 * moves the branch with a compare-and-swap; when another local writer moved it first, the
 * write is redone on the new tip. Killed at any point, the branch still points at a complete
 * commit: objects are written before the ref moves, and the ref moves atomically.
 *
 * A run id is written once: an id already anywhere on the branch or in its inbox is refused.
 */
import { ulid } from 'ulid';
import type { Git } from '../../git/git.js';
import { buildTree, splitTreePath, type TreeFile } from '../../git/tree-edit.js';
import { TRACKING_FORMAT, type RunEvent } from '../run-record.js';
import { formatRunEvent, formatRunRecord, parseRunRecord } from '../run-record-json.js';
import type { RunRecord } from '../run-record.js';
import {
  BranchBusyError,
  InvalidNameError,
  RunExistsError,
  RunIdTakenError,
  RunNotFoundError,
  RunTooLargeError,
} from '../tracking-errors.js';
import type { BranchReader } from './branch-reader.js';
import { eventPath, metricsChunkName, runPath } from './run-path.js';
import type { DataWarning } from './segment-files.js';
import { CHUNK_BYTES } from './segment-sealer.js';
import {
  EntryExistsError,
  buildOnTip,
  startBranch,
  type BranchEntry,
  type BuildResult,
  type TipBuilderContext,
  withTipBuilder,
} from './tip-builder.js';
import { preferredTip, readRefState, type TrackingRefs } from './tracking-refs.js';
import { checkWritableMarker, MARKER_PATH } from './branch-format.js';

/** A file to store with the run under `artifacts/<path>`. */
export interface ArtifactFile {
  /** '/'-separated path inside the run's artifacts folder. */
  path: string;
  /** Absolute path of the file on disk. */
  file: string;
}

export interface WriteRunInput {
  record: RunRecord;
  /** The metric series as JSON lines (see formatMetricLines); chunked here at 16 MiB. */
  metricsJsonl: Buffer;
  artifacts: readonly ArtifactFile[];
}

/** Where a write landed. */
export interface WriteResult {
  /** The new tip of the local tracking branch. */
  commit: string;
  /** Path of what was written (the run folder, or the event file). */
  path: string;
}

/** run.json may not grow past this (GitHub refuses files over 100 MB and warns at 50 MB). */
export const MAX_RECORD_BYTES = 40 * 1024 * 1024;

const MAX_ATTEMPTS = 200;

export interface BranchWriterOptions {
  /** Waits between compare-and-swap attempts (tests may pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  warn?: DataWarning;
  /** See TipBuilderContext.sealAt. */
  sealAt?: number | undefined;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Splits JSON lines into chunks of at most `max` bytes, at line ends. */
export function splitLines(data: Buffer, max: number): Buffer[] {
  if (data.length <= max) return [data];
  const chunks: Buffer[] = [];
  let start = 0;
  while (start < data.length) {
    let end = Math.min(start + max, data.length);
    if (end < data.length) {
      const newline = data.lastIndexOf(0x0a, end - 1);
      end = newline >= start ? newline + 1 : end;
    }
    chunks.push(data.subarray(start, end));
    start = end;
  }
  return chunks;
}

export class BranchWriter {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly warn: DataWarning;
  private readonly sealAt: number | undefined;

  constructor(
    private readonly git: Git,
    private readonly refs: TrackingRefs,
    private readonly reader: BranchReader,
    options: BranchWriterOptions = {},
  ) {
    this.sleep = options.sleep ?? defaultSleep;
    this.warn = options.warn ?? (() => undefined);
    this.sealAt = options.sealAt;
  }

  /**
   * Makes sure the local branch exists and can be written: from the remote-tracking ref when
   * only that exists, else as a new orphan commit holding the format marker. Returns the tip.
   */
  async ensureBranch(): Promise<string> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const state = await readRefState(this.git, this.refs);
      const tip = await preferredTip(this.git, this.refs, state);
      if (tip) await this.checkWritable(tip.oid, tip.ref);
      const target = tip?.oid ?? (await this.withContext((context) => startBranch(context)));
      if (target === state.local) return target;
      const reason = tip ? 'ghml: fetched runs' : 'ghml: start';
      if (await this.git.tryUpdateRef(this.refs.local, target, state.local ?? null, reason))
        return target;
      await this.sleep(Math.random() * 10 * Math.min(attempt, 10));
    }
    throw new BranchBusyError(this.refs.branch, MAX_ATTEMPTS);
  }

  /** Throws FormatMigrationNeededError (or NewerFormatError) unless the tip is format 2. */
  async checkWritable(oid: string, ref: string): Promise<void> {
    const marker = await this.withContext((context) =>
      context.reader.read(`${oid}:${MARKER_PATH}`),
    );
    checkWritableMarker(marker, ref, this.refs.branch);
  }

  /** Records a run as one commit. Refuses a run id that is already on the branch. */
  async writeRun(input: WriteRunInput): Promise<WriteResult> {
    const record: RunRecord = { ...input.record, format: TRACKING_FORMAT };
    const path = runPath(record.experiment, record.source.commit, record.id);
    const seen = new Set<string>();
    for (const artifact of input.artifacts) {
      try {
        splitTreePath(artifact.path);
      } catch {
        throw new InvalidNameError(
          'artifact path',
          artifact.path,
          "is a relative '/'-separated path without '.', '..' or empty parts",
        );
      }
      if (seen.has(artifact.path)) {
        throw new InvalidNameError('artifact path', artifact.path, 'appears only once');
      }
      seen.add(artifact.path);
    }
    const runJsonText = formatRunRecord(record);
    if (Buffer.byteLength(runJsonText) > MAX_RECORD_BYTES) {
      throw new RunTooLargeError(record.id, Buffer.byteLength(runJsonText), MAX_RECORD_BYTES);
    }
    // Never write a record readers would refuse.
    parseRunRecord(runJsonText, `run ${record.id}`);

    const metricChunks = splitLines(input.metricsJsonl, CHUNK_BYTES);
    const blobs = await this.git.writeBlobs([runJsonText, ...metricChunks]);
    const artifactOids = await this.git.writeBlobFiles(input.artifacts.map((a) => a.file));
    const files: TreeFile[] = [
      { path: 'run.json', oid: blobs[0] as string },
      ...metricChunks.map((_, i) => ({ path: metricsChunkName(i), oid: blobs[i + 1] as string })),
      ...input.artifacts.map((a, i) => ({
        path: `artifacts/${a.path}`,
        oid: artifactOids[i] as string,
      })),
    ];
    const runTree = await this.withContext((context) => buildTree(context.writer, files));
    const entry: BranchEntry = {
      kind: 'run',
      path,
      object: runTree,
      id: record.id,
      summary: `run ${record.id} ${record.experiment} ${record.status}`,
    };
    try {
      const result = await this.commit([entry], true);
      return { commit: result.commit, path };
    } catch (error) {
      if (!(error instanceof EntryExistsError)) throw error;
      // The same run written again (a re-run importing the same artifact) is "already
      // recorded"; anything else with this id means the id is taken.
      if (await this.isSameRun(record.id, path, runTree))
        throw new RunExistsError(record.id, error.where);
      throw new RunIdTakenError(record.id, error.where);
    }
  }

  /** True when run `id` is recorded at `path` with exactly the folder `tree`. */
  private async isSameRun(id: string, path: string, tree: string): Promise<boolean> {
    try {
      const [run] = await this.reader.resolveTrees([await this.reader.findRun(id)]);
      return run !== undefined && run.id === id && run.path === path && run.tree === tree;
    } catch {
      return false;
    }
  }

  /** Adds the event file `events/<run-id>/<ulid>.json` as one commit. */
  async addRunEvent(runId: string, event: RunEvent): Promise<WriteResult> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(event.kind)) {
      throw new InvalidNameError(
        'event kind',
        String(event.kind),
        "has only letters, digits, '_', '.' or '-' (at most 64)",
      );
    }
    if ((await this.reader.whereIsRun(runId)) === undefined) {
      throw new RunNotFoundError(runId, this.refs.branch);
    }
    const id = ulid();
    const path = eventPath(runId, id);
    const [blob] = await this.git.writeBlobs([formatRunEvent(event)]);
    const result = await this.commit([
      { kind: 'event', path, object: blob as string, id, summary: `event ${event.kind} ${runId}` },
    ]);
    return { commit: result.commit, path };
  }

  /**
   * Builds `entries` on the preferred tip and moves the local branch (CAS), retrying. With
   * `uniqueRunIds`, a run id anywhere on the branch or in the inbox mirror is refused; the
   * branch refs and the mirror are read with one for-each-ref.
   */
  private async commit(
    entries: readonly BranchEntry[],
    uniqueRunIds = false,
  ): Promise<BuildResult> {
    // Writers in one process (a pipeline's parallel stages, the MLflow endpoint's runs) take
    // turns instead of racing: a lost compare-and-swap costs a whole rebuild. Other processes
    // still race, and the loop below settles that.
    const key = `${await this.git.gitDir()}\0${this.refs.local}`;
    return inTurn(key, () => this.commitWithRetries(entries, uniqueRunIds));
  }

  private async commitWithRetries(
    entries: readonly BranchEntry[],
    uniqueRunIds: boolean,
  ): Promise<BuildResult> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { refs } = this;
      const rows = await this.git.forEachRef(
        uniqueRunIds
          ? [refs.local, refs.remoteTracking, refs.inboxMirrorPrefix]
          : [refs.local, refs.remoteTracking],
        ['refname', 'objectname'],
      );
      const find = (name: string): string | undefined =>
        rows.find((row) => row['refname'] === name)?.['objectname'];
      const state = { local: find(refs.local), remoteTracking: find(refs.remoteTracking) };
      const tip = await preferredTip(this.git, refs, state);
      const inboxIds = new Set(
        rows
          .map((row) => row['refname'] ?? '')
          .filter((name) => name.startsWith(refs.inboxMirrorPrefix))
          .map((name) => name.slice(refs.inboxMirrorPrefix.length)),
      );
      const result = await this.withContext((context) =>
        buildOnTip(
          context,
          tip ? { commit: tip.oid, ref: tip.ref } : undefined,
          entries,
          'throw',
          uniqueRunIds ? { uniqueRunIds: { inboxIds } } : {},
        ),
      );
      const first = entries[0];
      const reason = first ? first.summary : 'ghml';
      if (
        await this.git.tryUpdateRef(this.refs.local, result.commit, state.local ?? null, reason)
      ) {
        return result;
      }
      // Another writer won the race: redo on its tip after a short random pause.
      await this.sleep(Math.random() * 10 * Math.min(attempt, 10));
    }
    throw new BranchBusyError(this.refs.branch, MAX_ATTEMPTS);
  }

  private withContext<T>(work: (context: TipBuilderContext) => Promise<T>): Promise<T> {
    const options = { branch: this.refs.branch, warn: this.warn, sealAt: this.sealAt };
    return withTipBuilder(this.git, options, work);
  }
}

/** The last write queued per repository and branch in this process. */
const turns = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier write queued under `key` in this process has settled. */
async function inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = turns.get(key) ?? Promise.resolve();
  const mine = previous.then(work, work);
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  turns.set(key, settled);
  try {
    return await mine;
  } finally {
    if (turns.get(key) === settled) turns.delete(key);
  }
}
