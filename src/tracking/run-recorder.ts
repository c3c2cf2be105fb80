/**
 * Records a finished run: writes it to the tracking branch, pushes it when asked (a failed
 * push never throws: the run stays on the local branch for `ghml push`), then drops the
 * run's open folder.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { GhmlConfig } from '../config/config-types.js';
import { GhmlError } from '../errors/ghml-error.js';
import type { Git } from '../git/git.js';
import type { IngestedRun } from './ingest/ingest-run.js';
import type { IngestWarning } from './ingest/ingest-warnings.js';
import type { RunRecord } from './run-record.js';
import { openTrackingStore, type PushResult, type TrackingStore } from './store/tracking-store.js';

export interface RunSessionResult {
  record: RunRecord;
  /** The exit status `ghml run` should end with: the command's. */
  exitStatus: number;
  warnings: IngestWarning[];
  /** Set when the run was pushed. */
  pushed: PushResult | null;
  /** Why the push did not happen or failed; the run is kept locally either way. */
  pushProblem: string | null;
}

/** Writes the run and, when asked and a remote exists, pushes it. Never throws for a push. */
async function storeRun(
  store: TrackingStore,
  git: Git,
  config: GhmlConfig,
  ingested: IngestedRun,
  push: boolean,
  log: (message: string) => void,
): Promise<{ pushed: PushResult | null; pushProblem: string | null }> {
  const remote = config.tracking.remote;
  const canPush = push && (await git.hasRemote(remote));
  if (canPush) {
    // Start from the remote tip so the push is usually a fast-forward.
    try {
      await store.fetch();
    } catch (error) {
      log(
        `ghml: could not fetch ${config.tracking.branch} from ${remote}: ${(error as Error).message}`,
      );
    }
  }
  await store.writeRun({
    record: ingested.record,
    metricsJsonl: ingested.metricsJsonl,
    artifacts: ingested.artifactFiles,
  });
  if (!push)
    return { pushed: null, pushProblem: 'not pushed (--no-push): run `ghml push` to send it' };
  if (!canPush)
    return {
      pushed: null,
      pushProblem: `no remote '${remote}': the run is kept on the local ${config.tracking.branch} branch`,
    };
  try {
    return { pushed: await store.push(), pushProblem: null };
  } catch (error) {
    const hint = error instanceof GhmlError && error.hint ? ` (${error.hint})` : '';
    return { pushed: null, pushProblem: `${(error as Error).message}${hint}` };
  }
}

export /** Writes the run, pushes it when asked (never throws for a push), then drops its open folder. */
async function recordRun(
  git: Git,
  config: GhmlConfig,
  folder: string,
  ingested: IngestedRun,
  options: { push: boolean; log: (message: string) => void; exitStatus: number },
): Promise<RunSessionResult> {
  const store = openTrackingStore(git, config.tracking);
  const { pushed, pushProblem } = await storeRun(
    store,
    git,
    config,
    ingested,
    options.push,
    options.log,
  );
  await discardOpenRun(folder, ingested);
  return {
    record: ingested.record,
    exitStatus: options.exitStatus,
    warnings: ingested.warnings,
    pushed,
    pushProblem,
  };
}

/** Removes an open run's folder once recorded, keeping artifacts too large for the branch. */
async function discardOpenRun(folder: string, ingested: IngestedRun): Promise<void> {
  if (ingested.record.artifacts.some((artifact) => !artifact.stored)) {
    await rm(join(folder, 'events.jsonl'), { force: true });
    await rm(join(folder, 'session.json'), { force: true });
    return;
  }
  await rm(folder, { recursive: true, force: true });
}
