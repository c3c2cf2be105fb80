/**
 * Writes runs to the tracking branch with git plumbing only: no checkout, no index, no work
 * tree file. A write creates the new blobs and the trees on the path from the root to the
 * new run, then one commit, then moves the branch with a compare-and-swap. When another
 * writer moved the branch first, the write is redone on the new tip (the run's path is
 * unique, so this never conflicts). Killed at any point, the branch still points at a
 * complete commit: objects are written before the ref moves, and the ref moves atomically.
 */
import { fallbackIdentity } from '../../git/fallback-identity.js';
import { ulid } from 'ulid';
import type { Git, GitIdentity } from '../../git/git.js';
import type { ObjectReader } from '../../git/object-reader.js';
import { TREE_MODE, type TreeEntry } from '../../git/tree-entry.js';
import {
  buildTree,
  setTreeEntry,
  splitTreePath,
  type SetEntryResult,
  type TreeFile,
} from '../../git/tree-edit.js';
import type { TreeWriter } from '../../git/tree-writer.js';
import { MARKER_PATH, checkMarker, formatMarker } from './branch-format.js';
import type { RunEvent, RunRecord } from '../run-record.js';
import { formatRunEvent, formatRunRecord, parseRunRecord } from '../run-record-json.js';
import { runPath, type RunPathParts } from './run-path.js';
import {
  BranchBusyError,
  InvalidNameError,
  RunExistsError,
  RunNotFoundError,
} from '../tracking-errors.js';
import { preferredTip, readRefState, type TrackingRefs } from './tracking-refs.js';

/** A file to store with the run under `artifacts/<path>`. */
export interface ArtifactFile {
  /** '/'-separated path inside the run's artifacts folder. */
  path: string;
  /** Absolute path of the file on disk. */
  file: string;
}

export interface WriteRunInput {
  record: RunRecord;
  /** metrics.jsonl content (see formatMetricLines). */
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

/** Commits made without a configured user.name/email (fresh CI runners) use this identity. */
export const FALLBACK_IDENTITY: GitIdentity = fallbackIdentity({});

/** Trailers that tell the push protocol what a commit added. */
export const RUN_TRAILER = 'Ghml-Run';
export const EVENT_TRAILER = 'Ghml-Event';

const MAX_ATTEMPTS = 200;

/** Places the change on `base` (undefined = a new branch: `rootExtras` go into the root). */
type Change = (
  reader: ObjectReader,
  writer: TreeWriter,
  base: string | undefined,
  rootExtras: readonly TreeEntry[],
) => Promise<SetEntryResult>;

export interface BranchWriterOptions {
  /** Waits between compare-and-swap attempts (tests may pass a fake). */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class BranchWriter {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly git: Git,
    private readonly refs: TrackingRefs,
    options: BranchWriterOptions = {},
  ) {
    this.sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Makes sure the local branch exists: from the remote-tracking ref when only that exists,
   * else as a new orphan commit holding the format marker. Idempotent; returns the tip.
   */
  async ensureBranch(): Promise<string> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const state = await readRefState(this.git, this.refs);
      const tip = await preferredTip(this.git, this.refs, state);
      if (tip) {
        await this.checkTip(tip.oid, tip.ref);
        if (tip.oid === state.local) return tip.oid;
        if (
          await this.git.tryUpdateRef(
            this.refs.local,
            tip.oid,
            state.local ?? null,
            'ghml: fetched runs',
          )
        ) {
          return tip.oid;
        }
      } else {
        const marker = await this.markerEntry();
        const tree = await this.withProcesses((_reader, writer) => writer.write([marker]));
        const commit = await this.git.commitTree({
          tree,
          parents: [],
          message: 'ghml: start the tracking branch (format 1)\n',
          fallbackIdentity: FALLBACK_IDENTITY,
        });
        if (await this.git.tryUpdateRef(this.refs.local, commit, null, 'ghml: start'))
          return commit;
      }
      await this.sleep(Math.random() * 10 * Math.min(attempt, 10));
    }
    throw new BranchBusyError(this.refs.branch, MAX_ATTEMPTS);
  }

  /** Records a run as one commit. Refuses a run id that is already on the branch. */
  async writeRun(input: WriteRunInput): Promise<WriteResult> {
    const { record } = input;
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
    // Never write a record readers would refuse.
    parseRunRecord(runJsonText, `run ${record.id}`);
    const [runJson, metrics] = await this.git.writeBlobs([runJsonText, input.metricsJsonl]);
    const artifactOids = await this.git.writeBlobFiles(input.artifacts.map((a) => a.file));
    const files: TreeFile[] = [
      { path: 'run.json', oid: runJson as string },
      { path: 'metrics.jsonl', oid: metrics as string },
      ...input.artifacts.map((a, i) => ({
        path: `artifacts/${a.path}`,
        oid: artifactOids[i] as string,
      })),
    ];
    const message = `run ${record.id} ${record.experiment} ${record.status}\n\n${RUN_TRAILER}: ${path}\n`;
    let runTree: string | undefined;
    const commit = await this.commit(message, async (reader, writer, base, rootExtras) => {
      runTree ??= await buildTree(writer, files);
      const entry = { mode: TREE_MODE, type: 'tree' as const, oid: runTree };
      const result = await setTreeEntry(reader, writer, base, path, entry, { rootExtras });
      if ('existing' in result) throw new RunExistsError(record.id, path);
      return result;
    });
    return { commit, path };
  }

  /** Adds `events/<ulid>.json` to a run already on the branch, as one commit. */
  async addRunEvent(run: RunPathParts, event: RunEvent): Promise<WriteResult> {
    const dir = runPath(run.experiment, run.commit, run.runId);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(event.kind)) {
      throw new InvalidNameError(
        'event kind',
        String(event.kind),
        "has only letters, digits, '_', '.' or '-' (at most 64)",
      );
    }
    const path = `${dir}/events/${ulid()}.json`;
    const [blob] = await this.git.writeBlobs([formatRunEvent(event)]);
    const message = `event ${event.kind} ${run.runId}\n\n${EVENT_TRAILER}: ${path}\n`;
    const commit = await this.commit(message, async (reader, writer, base) => {
      const found = base === undefined ? undefined : await reader.readObject(`${base}:${dir}`);
      if (found?.type !== 'tree') throw new RunNotFoundError(run.runId, this.refs.branch);
      return setTreeEntry(reader, writer, base, path, {
        mode: '100644',
        type: 'blob',
        oid: blob as string,
      });
    });
    return { commit, path };
  }

  /** Applies `change` to the preferred tip's tree and moves the local branch (CAS), retrying. */
  private async commit(message: string, change: Change): Promise<string> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const state = await readRefState(this.git, this.refs);
      const tip = await preferredTip(this.git, this.refs, state);
      const commit = await this.withProcesses(async (reader, writer) => {
        let base: string | undefined;
        const rootExtras: TreeEntry[] = [];
        if (tip) {
          checkMarker(await reader.read(`${tip.oid}:${MARKER_PATH}`), tip.ref);
          base = (await reader.readObject(`${tip.oid}^{tree}`))?.oid;
        } else {
          rootExtras.push(await this.markerEntry());
        }
        const result = await change(reader, writer, base, rootExtras);
        if ('existing' in result) throw new Error('unreachable: change returned an existing entry');
        return this.git.commitTree({
          tree: result.tree,
          parents: tip ? [tip.oid] : [],
          message,
          fallbackIdentity: FALLBACK_IDENTITY,
        });
      });
      if (
        await this.git.tryUpdateRef(
          this.refs.local,
          commit,
          state.local ?? null,
          message.split('\n')[0],
        )
      ) {
        return commit;
      }
      // Another writer won the race: redo on its tip after a short random pause.
      await this.sleep(Math.random() * 10 * Math.min(attempt, 10));
    }
    throw new BranchBusyError(this.refs.branch, MAX_ATTEMPTS);
  }

  private async checkTip(oid: string, ref: string): Promise<void> {
    await this.withProcesses(async (reader) => {
      checkMarker(await reader.read(`${oid}:${MARKER_PATH}`), ref);
    });
  }

  private async markerEntry(): Promise<TreeEntry> {
    const [marker] = await this.git.writeBlobs([formatMarker()]);
    return { mode: '100644', type: 'blob', oid: marker as string, name: MARKER_PATH };
  }

  private async withProcesses<T>(
    work: (reader: ObjectReader, writer: TreeWriter) => Promise<T>,
  ): Promise<T> {
    const reader = this.git.openObjectReader();
    const writer = this.git.openTreeWriter();
    try {
      return await work(reader, writer);
    } finally {
      await Promise.all([reader.close(), writer.close()]);
    }
  }
}
