/**
 * MLflow runs as ghml runs. A run created through the API gets an open-run folder
 * (`<git dir>/ghml/open/<id>/`: session.json, events.jsonl, artifacts/) exactly like a
 * `ghml run`, and everything logged to it is appended to its events file before the request is
 * answered, so a process killed at any point leaves what `recordAbandonedRun` needs to record
 * the run KILLED. When the client ends the run it is ingested and committed to the tracking
 * branch (recordRun) before the answer, from the RunBuilder fed as the data came in; `close` records the runs still open as KILLED. The
 * main run of `ghml run` (MLFLOW_RUN_ID) only has its events file and artifacts folder
 * appended to: `ghml run` records it when the command exits.
 *
 * Reads see open runs from memory and every other run on the tracking branch.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import type { GhmlConfig } from '../../config/config-types.js';
import { describeError } from '../../errors/ghml-error.js';
import type { Git } from '../../git/git.js';
import type { LogEvent } from '../../tracking/ingest/event-file.js';
import { formatWarning } from '../../tracking/ingest/ingest-warnings.js';
import type { RunBuilder } from '../../tracking/ingest/run-builder.js';
import { ingestRun } from '../../tracking/ingest/ingest-run.js';
import { openRunFolder, type OpenRunSession } from '../../tracking/open-run.js';
import type {
  RunGithubContext,
  RunRecord,
  RunSource,
  RunStatus,
} from '../../tracking/run-record.js';
import {
  deletedEvent,
  renamedEvent,
  restoredEvent,
  tagEvent,
} from '../../tracking/run-lifecycle.js';
import { recordRun, type StoreAccess } from '../../tracking/run-recorder.js';
import type { StoredRun, TrackingStore } from '../../tracking/store/tracking-store.js';
import { AmbiguousRunError, RunNotFoundError } from '../../tracking/tracking-errors.js';
import { MlflowApiError, invalidParameter, notFound } from '../http/mlflow-error.js';
import { checkRunIdShape, checkTag } from '../validation/mlflow-validation.js';
import { eventBytes } from './event-lines.js';
import type { ExperimentCatalog } from './experiment-catalog.js';
import { OpenRunState, type MlflowRunStatus } from './run-state.js';
import { openRunView, recordedRunView, type MlflowRun } from './run-view.js';

/** Where a run's code came from, as `ghml run` records it. */
export interface RunOrigin {
  source: RunSource;
  github: RunGithubContext | null;
}

/** The main run of `ghml run`, which the endpoint appends to but does not record. */
export interface MainRunSpec {
  id: string;
  experiment: string;
  name?: string | null;
  startTime?: number;
  eventsFile: string;
  artifactsDir: string;
  /** Params the run already has (`--param`, params.yaml): a client changing one is refused. */
  params?: Record<string, string>;
  /** Tags it already has. */
  tags?: Record<string, string>;
}

export interface RunBridgeOptions {
  git: Git;
  gitDir: string;
  config: GhmlConfig;
  store: TrackingStore;
  experiments: ExperimentCatalog;
  /** Working directory recorded with new runs. */
  cwd: string;
  /** Where new runs' code comes from; called once per run (HEAD and its dirty state). */
  origin: () => Promise<RunOrigin>;
  /** How runs recorded here upload their large files (as `ghml run` does its own). */
  storeAccess: StoreAccess;
  log: (message: string) => void;
  /** Called after a run was committed to the local tracking branch. */
  onRecorded?: (record: RunRecord) => void;
  /** Called after a recorded run got a lifecycle event (delete, restore, tag, rename). */
  onChanged?: () => void;
  /** Owner written into session.json (default this process), so others can tell a dead one. */
  pid?: number;
}

/** A run found by id: open here, or recorded on the branch. */
export type FoundRun =
  { kind: 'open'; state: OpenRunState } | { kind: 'stored'; run: StoredRun; deleted: boolean };

const TERMINAL: ReadonlySet<string> = new Set(['FINISHED', 'FAILED', 'KILLED']);

export class RunBridge {
  private readonly open = new Map<string, OpenRunState>();
  private readonly fds = new Map<string, number>();
  /** Deletions and restores of recorded runs made here, ahead of the branch's own view. */
  private readonly lifecycle = new Map<string, boolean>();
  private recordChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: RunBridgeOptions) {}

  get store(): TrackingStore {
    return this.options.store;
  }

  get experiments(): ExperimentCatalog {
    return this.options.experiments;
  }

  /** The open runs (for searches). */
  openRuns(): OpenRunState[] {
    return [...this.open.values()];
  }

  /** Registers `ghml run`'s main run: its events and artifacts go where that command reads them. */
  attachMainRun(spec: MainRunSpec): OpenRunState {
    const state = new OpenRunState(
      spec.id,
      spec.experiment,
      spec.name ?? null,
      spec.startTime ?? Date.now(),
      { eventsFile: spec.eventsFile, artifactsDir: spec.artifactsDir, folder: null },
      null,
    );
    for (const [key, value] of Object.entries(spec.params ?? {})) state.params.set(key, value);
    for (const [key, value] of Object.entries(spec.tags ?? {})) state.tags.set(key, value);
    this.options.experiments.add(spec.experiment);
    this.open.set(spec.id, state);
    return state;
  }

  /** Creates a run: its open folder and session, then the tags it starts with. */
  async createRun(input: {
    experiment: string;
    runName: string | null;
    startTime: number;
    tags: Array<{ key: string; value: string }>;
  }): Promise<OpenRunState> {
    this.assertOpen();
    input.tags.forEach((tag, i) => checkTag(tag.key, tag.value, `tags[${i}]`));
    const tags = new Map(input.tags.map((t) => [t.key, t.value]));
    const runName = input.runName ?? tags.get('mlflow.runName') ?? null;
    if (runName !== null) {
      checkTag('mlflow.runName', runName, 'run_name');
      tags.set('mlflow.runName', runName);
    }
    const origin = await this.options.origin();
    const id = ulid();
    const folder = openRunFolder(this.options.gitDir, id);
    const session: OpenRunSession = {
      id,
      experiment: input.experiment,
      name: runName,
      startTime: input.startTime,
      source: origin.source,
      github: origin.github,
      params: {},
      tags: {},
      cwd: this.options.cwd,
      paramsFiles: [],
      metricsFiles: [],
      // This process owns the run: other ghml processes leave it alone while it lives.
      pid: this.options.pid ?? process.pid,
      host: hostname(),
    };
    const artifactsDir = join(folder, 'artifacts');
    await mkdir(artifactsDir, { recursive: true });
    const eventsFile = join(folder, 'events.jsonl');
    await writeFile(eventsFile, '');
    await writeFile(join(folder, 'session.json'), `${JSON.stringify(session, null, 2)}\n`);
    const state = new OpenRunState(
      id,
      input.experiment,
      runName,
      input.startTime,
      { eventsFile, artifactsDir, folder },
      session,
    );
    this.open.set(id, state);
    this.options.experiments.add(input.experiment);
    this.append(
      state,
      [...tags].map(([key, value]) => ({ type: 'tag', key, value })),
    );
    for (const [key, value] of tags) {
      state.tags.set(key, value);
      state.builder?.setTag(key, value);
    }
    return state;
  }

  /** Finds a run by its exact id. Throws MLflow's not-found error. */
  async find(runId: string): Promise<FoundRun> {
    const state = this.open.get(runId);
    if (state !== undefined) return { kind: 'open', state };
    checkRunIdShape(runId);
    let run: StoredRun;
    try {
      run = await this.options.store.findRun(runId);
    } catch (error) {
      if (error instanceof RunNotFoundError || error instanceof AmbiguousRunError) {
        throw runNotFound(runId);
      }
      throw error;
    }
    // findRun takes unique prefixes too; MLflow ids are exact.
    if (run.id !== runId) throw runNotFound(runId);
    return { kind: 'stored', run, deleted: this.lifecycle.get(runId) ?? run.deleted ?? false };
  }

  /** The MLflow view of a run. */
  async view(runId: string): Promise<MlflowRun> {
    const found = await this.find(runId);
    if (found.kind === 'open') {
      return openRunView(found.state, this.options.experiments.idOf(found.state.experiment));
    }
    return this.storedView(found.run, found.deleted);
  }

  storedView(run: StoredRun, deleted?: boolean): MlflowRun {
    return recordedRunView(
      run.record,
      this.options.experiments.idOf(run.record.experiment),
      deleted ?? this.lifecycle.get(run.id) ?? run.deleted ?? false,
    );
  }

  /** Whether a recorded run is deleted, as seen here. */
  isDeleted(run: StoredRun): boolean {
    return this.lifecycle.get(run.id) ?? run.deleted ?? false;
  }

  /** An open, active run to log to. Finished and deleted runs get MLflow's error. */
  async writable(runId: string): Promise<OpenRunState> {
    const found = await this.find(runId);
    if (found.kind === 'stored') {
      throw invalidParameter(
        `The run ${runId} must be in the 'active' state. Current state is ${found.run.record.status.toLowerCase()}: it is recorded on the tracking branch '${this.options.config.tracking.branch}' and takes no more data.`,
        'start a new run (mlflow.start_run()) to log more',
      );
    }
    const state = found.state;
    if (state.ending) {
      throw invalidParameter(
        `The run ${runId} must be in the 'active' state. Current state is ${state.status.toLowerCase()}: it is being recorded.`,
        'start a new run (mlflow.start_run()) to log more',
      );
    }
    if (state.deleted) {
      throw invalidParameter(
        `The run ${runId} must be in the 'active' state. Current state is deleted.`,
        'restore it first (MlflowClient().restore_run)',
      );
    }
    return state;
  }

  /**
   * Appends events to the run's events file in one write (O_APPEND: never interleaved with
   * other writers), before the caller changes the in-memory state.
   */
  append(state: OpenRunState, events: readonly LogEvent[]): void {
    if (events.length === 0) return;
    let fd = this.fds.get(state.id);
    if (fd === undefined) {
      fd = openSync(state.sink.eventsFile, 'a');
      this.fds.set(state.id, fd);
    }
    const data = eventBytes(events);
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset);
  }

  /**
   * Ends a run. A run created here is ingested and committed (KILLED, FAILED or FINISHED);
   * `ghml run`'s main run only notes the status (the command's exit decides its record).
   */
  async end(state: OpenRunState, status: MlflowRunStatus, endTime: number): Promise<void> {
    if (!TERMINAL.has(status)) {
      state.status = status;
      return;
    }
    state.status = status;
    state.endTime = endTime;
    if (state.isMain) return;
    state.ending = true;
    this.closeFd(state.id);
    const done = this.recordChain.then(() => this.record(state, status as RunStatus, endTime));
    this.recordChain = done.catch(() => undefined);
    await done;
  }

  private async record(state: OpenRunState, status: RunStatus, endTime: number): Promise<void> {
    const { config, git, log } = this.options;
    const session = { ...(state.session as OpenRunSession), name: state.name };
    const folder = state.sink.folder as string;
    try {
      // The same ingestion as `ghml run`, except that the data is already in the run's
      // builder: its events file is not read back.
      const ingested = await ingestRun({
        run: {
          id: session.id,
          experiment: session.experiment,
          name: session.name,
          status,
          startTime: session.startTime,
          endTime,
          exitCode: null,
          source: session.source,
          github: session.github,
        },
        builder: state.builder as RunBuilder,
        eventsFile: null,
        artifactsDir: state.sink.artifactsDir,
        artifactLimits: config.artifacts,
        cwd: session.cwd,
      });
      // Tags deleted through the API are gone from the state but still in the events file.
      for (const key of Object.keys(ingested.record.tags)) {
        if (!state.tags.has(key)) delete ingested.record.tags[key];
      }
      for (const warning of ingested.warnings) {
        log(`ghml: run ${state.id}: warning: ${formatWarning(warning)}`);
      }
      await recordRun(git, config, folder, ingested, {
        push: false,
        log,
        exitStatus: 0,
        store: this.options.storeAccess,
      });
      this.open.delete(state.id);
      if (state.deleted) await this.markDeleted(state.id, true);
      this.options.onRecorded?.(ingested.record);
    } catch (error) {
      log(
        `ghml: run ${state.id} could not be recorded (its open folder is kept; \`ghml push\` after fixing the cause records nothing lost): ${describeError(error)}`,
      );
      throw new MlflowApiError(
        'INTERNAL_ERROR',
        `Recording run ${state.id} failed: ${describeError(error)}`,
      );
    }
  }

  /** Marks a run deleted or restored (MLflow's lifecycle_stage). */
  async setDeleted(runId: string, deleted: boolean): Promise<void> {
    const found = await this.find(runId);
    if (found.kind === 'open') {
      found.state.deleted = deleted;
      return;
    }
    if (found.deleted === deleted) return;
    await this.markDeleted(runId, deleted);
  }

  private async markDeleted(runId: string, deleted: boolean): Promise<void> {
    await this.options.store.addRunEvent(
      runId,
      deleted ? deletedEvent(Date.now()) : restoredEvent(Date.now()),
    );
    this.lifecycle.set(runId, deleted);
    this.options.onChanged?.();
  }

  /**
   * Sets (or, with null, removes) a tag of a run recorded on the branch: a lifecycle event, as
   * MLflow allows tags on finished runs. `mlflow.runName` renames the run.
   */
  async changeRecordedTag(run: StoredRun, key: string, value: string | null): Promise<void> {
    const has = Object.hasOwn(run.record.tags, key);
    if (value === null && !has) {
      throw notFound(`No tag with name: ${key} in run with id ${run.id}`);
    }
    if (value !== null && has && run.record.tags[key] === value) return;
    const at = Date.now();
    const event =
      key === 'mlflow.runName' && value !== null
        ? renamedEvent(at, value)
        : tagEvent(at, key, value);
    await this.options.store.addRunEvent(run, event);
    this.options.onChanged?.();
  }

  /** Waits for runs being recorded. */
  async settle(): Promise<void> {
    await this.recordChain;
  }

  /**
   * Records every run still open as KILLED (never the main run), then refuses further calls.
   * Returns the ids recorded.
   */
  async close(): Promise<string[]> {
    this.closed = true;
    const killed: string[] = [];
    for (const state of [...this.open.values()]) {
      if (state.isMain) {
        this.closeFd(state.id);
        continue;
      }
      if (state.ending) continue;
      killed.push(state.id);
      try {
        await this.end(state, 'KILLED', Date.now());
      } catch {
        // Logged by record; the open folder stays for recordAbandonedRun.
      }
    }
    await this.settle();
    return killed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new MlflowApiError(
        'INVALID_STATE',
        'This ghml endpoint is closing: its training command has exited.',
      );
    }
  }

  private closeFd(runId: string): void {
    const fd = this.fds.get(runId);
    if (fd === undefined) return;
    this.fds.delete(runId);
    closeSync(fd);
  }
}

export function runNotFound(runId: string): MlflowApiError {
  return notFound(`Run with id=${runId} not found`);
}
