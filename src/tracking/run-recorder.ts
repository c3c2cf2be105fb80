/**
 * Records a finished run: files too large for the branch move into the local
 * content-addressed cache (`<git dir>/ghml/objects`, where `ghml push` and the artifact store
 * take them from), the run is written to the tracking branch, pushed when asked (a failed push
 * never throws: the run stays queued locally for `ghml push`), and the run's open folder is
 * removed. Once the run is written nothing can fail it: a file that cannot be kept and a
 * folder that cannot be removed are warnings.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { localCacheRoot, LocalContentStore } from '../artifacts/local-content-store.js';
import { openArtifactStore } from '../artifacts/store-settings.js';
import { describeError } from '../errors/ghml-error.js';
import type { GhmlConfig } from '../config/config-types.js';
import type { Git } from '../git/git.js';
import type { IngestedRun } from './ingest/ingest-run.js';
import { formatWarning, type IngestWarning } from './ingest/ingest-warnings.js';
import { pushAfterWrite } from './push-after-write.js';
import type { ArtifactEntry, RunRecord } from './run-record.js';
import { openTrackingStore, type PushResult } from './store/tracking-store.js';
import { RunTooLargeError } from './tracking-errors.js';

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

/** Moves not-inline artifacts from the open folder into the local cache; fixes their URIs. */
async function keepLargeFiles(
  git: Git,
  record: RunRecord,
  warnings: IngestWarning[],
): Promise<RunRecord> {
  if (record.artifacts.every((a) => a.stored || a.uri === undefined)) return record;
  const cache = new LocalContentStore(localCacheRoot(await git.gitDir()));
  const artifacts: ArtifactEntry[] = [];
  for (const artifact of record.artifacts) {
    if (artifact.stored || artifact.uri === undefined || !artifact.uri.startsWith('file://')) {
      artifacts.push(artifact);
      continue;
    }
    try {
      await cache.adopt(new URL(artifact.uri).pathname, artifact.sha256, artifact.size);
      artifacts.push({ ...artifact, uri: pathToFileURL(cache.pathOf(artifact.sha256)).href });
    } catch (error) {
      const kept: ArtifactEntry = { ...artifact };
      delete kept.uri;
      artifacts.push(kept);
      warnings.push({
        source: artifact.path,
        message: `not kept: ${(error as Error).message} (it changed or vanished after it was recorded; its digest stays in run.json)`,
      });
    }
  }
  return { ...record, artifacts };
}

/** How a run reaches the artifact store, when one is configured. */
export interface StoreAccess {
  /** The environment (artifacts.store's default and credentials come from it). */
  env: NodeJS.ProcessEnv;
  /** The workflow's job token, for GitHub's container registry. */
  token?: string | undefined;
}

/**
 * Uploads the run's not-inline files (already in the local cache) to the artifact store and
 * records where they are. When the store refuses or is unreachable they stay queued in the
 * cache for `ghml push`, with one warning; nothing fails the run.
 */
async function uploadLargeFiles(
  git: Git,
  config: GhmlConfig,
  record: RunRecord,
  access: StoreAccess,
  log: (message: string) => void,
): Promise<RunRecord> {
  const large = record.artifacts.filter((a) => !a.stored && a.uri?.startsWith('file://'));
  if (large.length === 0) return record;
  let store;
  try {
    store = openArtifactStore({
      setting: config.artifacts.store,
      env: access.env,
      gitDir: await git.gitDir(),
      ...(access.token ? { jobToken: access.token } : {}),
    });
  } catch (error) {
    log(`ghml: warning: the artifact store is not usable: ${describeError(error)}`);
    return record;
  }
  if (store === null) return record;
  const cache = new LocalContentStore(localCacheRoot(await git.gitDir()));
  try {
    const result = await store.uploadRun(
      record.id,
      large.map((a) => ({
        path: a.path,
        file: cache.pathOf(a.sha256),
        sha256: a.sha256,
        size: a.size,
      })),
      { experiment: record.experiment },
    );
    if (result.warning) log(`ghml: warning: ${result.warning}`);
    const uri = (path: string): string =>
      `oci://${store.registry}/${result.repository}@${result.manifestDigest}#${path}`;
    return {
      ...record,
      store: { url: result.store, repository: result.repository, manifest: result.manifestDigest },
      artifacts: record.artifacts.map((a) => (large.includes(a) ? { ...a, uri: uri(a.path) } : a)),
    };
  } catch (error) {
    log(
      `ghml: warning: ${large.length} large file(s) of run ${record.id} stay in the local cache (${describeError(error)}); \`ghml push\` retries`,
    );
    return record;
  }
}

/**
 * Moves a run's open folder to `<git dir>/ghml/dropped/<run-id>/` (where `ghml push --drop`
 * saves what it drops too) and returns that path.
 */
async function setAside(git: Git, folder: string, runId: string): Promise<string> {
  const dropped = join(await git.gitDir(), 'ghml', 'dropped');
  await mkdir(dropped, { recursive: true });
  const target = join(dropped, runId);
  await rm(target, { recursive: true, force: true });
  await rename(folder, target);
  return target;
}

/** Writes the run, pushes it when asked (never throws for a push), then drops its open folder. */
export async function recordRun(
  git: Git,
  config: GhmlConfig,
  folder: string,
  ingested: IngestedRun,
  options: {
    push: boolean;
    log: (message: string) => void;
    exitStatus: number;
    store?: StoreAccess;
  },
): Promise<RunSessionResult> {
  const store = openTrackingStore(git, config.tracking);
  const late: IngestWarning[] = [];
  const cached = await keepLargeFiles(git, ingested.record, late);
  const record = await uploadLargeFiles(
    git,
    config,
    cached,
    options.store ?? { env: process.env },
    options.log,
  );
  for (const warning of late) options.log(`ghml: warning: ${formatWarning(warning)}`);
  const warnings = [...ingested.warnings, ...late];
  const canPush = options.push && (await git.hasRemote(config.tracking.remote));
  if (canPush) {
    // Start from the remote tip so the push is usually a fast-forward.
    try {
      await store.fetch();
    } catch (error) {
      options.log(
        `ghml: could not fetch ${config.tracking.branch} from ${config.tracking.remote}: ${(error as Error).message}`,
      );
    }
  }
  try {
    await store.writeRun({
      record,
      metricsJsonl: ingested.metricsJsonl,
      artifacts: ingested.artifactFiles,
    });
  } catch (error) {
    // A record the branch can never take must not wedge every later `ghml run`/`ghml push`
    // (which would retry it as a stale open run): its folder moves to .git/ghml/dropped/.
    if (!(error instanceof RunTooLargeError)) throw error;
    throw error.movedTo(await setAside(git, folder, record.id));
  }
  const outcome = await pushAfterWrite(git, store, config, options.push);
  try {
    await rm(folder, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    options.log(
      `ghml: warning: run ${record.id} is recorded, but its open folder ${folder} could not be removed: ${(error as Error).message}`,
    );
  }
  return {
    record,
    exitStatus: options.exitStatus,
    warnings,
    pushed: outcome.pushed,
    pushProblem: outcome.problem,
  };
}
