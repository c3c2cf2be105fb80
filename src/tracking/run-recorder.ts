/**
 * Records a finished run: files too large for the branch move into the local
 * content-addressed cache (`<git dir>/ghml/objects`, where `ghml push` and the artifact store
 * take them from), the run is written to the tracking branch, pushed when asked (a failed push
 * never throws: the run stays queued locally for `ghml push`), and the run's open folder is
 * removed. Once the run is written nothing can fail it: a file that cannot be kept and a
 * folder that cannot be removed are warnings.
 */
import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { localCacheRoot, LocalContentStore } from '../artifacts/local-content-store.js';
import type { GhmlConfig } from '../config/config-types.js';
import type { Git } from '../git/git.js';
import type { IngestedRun } from './ingest/ingest-run.js';
import { formatWarning, type IngestWarning } from './ingest/ingest-warnings.js';
import { pushAfterWrite } from './push-after-write.js';
import type { ArtifactEntry, RunRecord } from './run-record.js';
import { openTrackingStore, type PushResult } from './store/tracking-store.js';

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

/** Writes the run, pushes it when asked (never throws for a push), then drops its open folder. */
export async function recordRun(
  git: Git,
  config: GhmlConfig,
  folder: string,
  ingested: IngestedRun,
  options: { push: boolean; log: (message: string) => void; exitStatus: number },
): Promise<RunSessionResult> {
  const store = openTrackingStore(git, config.tracking);
  const late: IngestWarning[] = [];
  const record = await keepLargeFiles(git, ingested.record, late);
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
  await store.writeRun({
    record,
    metricsJsonl: ingested.metricsJsonl,
    artifacts: ingested.artifactFiles,
  });
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
