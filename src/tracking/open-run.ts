/**
 * The local state of a run that is still open: `<git dir>/ghml/open/<run-id>/` holds the
 * events file, the artifacts folder and `session.json` (the run's identity), so nothing
 * touches the work tree and a crashed ghml leaves enough behind to record the run as KILLED.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfigFor } from '../config/find-config.js';
import type { GhmlConfig } from '../config/config-types.js';
import type { Git } from '../git/git.js';
import { ingestRun, type IngestedRun } from './ingest/ingest-run.js';
import { RunBuilder } from './ingest/run-builder.js';
import type { RunGithubContext, RunSource, RunStatus } from './run-record.js';
import { recordRun, type RunSessionResult } from './run-recorder.js';

/** What `session.json` holds while a run is open. */
export interface OpenRunSession {
  id: string;
  experiment: string;
  name: string | null;
  startTime: number;
  source: RunSource;
  github: RunGithubContext | null;
  params: Record<string, string>;
  /** Tags set before the command started (absent in folders left by older versions). */
  tags?: Record<string, string>;
  cwd: string;
  paramsFiles: string[];
  metricsFiles: string[];
}

/** Where the GHML_* files of an open run live. */
export function openRunFolder(gitDir: string, runId: string): string {
  return join(gitDir, 'ghml', 'open', runId);
}

/** Turns what an open run's folder holds into a run. */
export async function ingestOpenRun(
  session: OpenRunSession,
  folder: string,
  config: GhmlConfig,
  builder: RunBuilder,
  outcome: { status: RunStatus; exitCode: number | null; endTime: number },
): Promise<IngestedRun> {
  return ingestRun({
    run: {
      id: session.id,
      experiment: session.experiment,
      name: session.name,
      status: outcome.status,
      startTime: session.startTime,
      endTime: outcome.endTime,
      exitCode: outcome.exitCode,
      source: session.source,
      github: session.github,
    },
    builder,
    eventsFile: join(folder, 'events.jsonl'),
    paramsFiles: session.paramsFiles,
    metricsFiles: session.metricsFiles,
    artifactsDir: join(folder, 'artifacts'),
    artifactLimits: config.artifacts,
    cwd: session.cwd,
  });
}

/**
 * Records a run whose ghml process died (e.g. a cancelled CI job) as KILLED, from what its
 * open folder holds. Returns undefined when there is no such open run.
 */
export async function recordAbandonedRun(
  git: Git,
  runId: string,
  options: { push: boolean; log: (message: string) => void; status?: RunStatus },
): Promise<RunSessionResult | undefined> {
  const folder = openRunFolder(await git.gitDir(), runId);
  let session: OpenRunSession;
  try {
    session = JSON.parse(await readFile(join(folder, 'session.json'), 'utf8')) as OpenRunSession;
  } catch {
    return undefined;
  }
  const config = await loadConfigFor(session.cwd, await git.topLevel());
  const builder = new RunBuilder();
  for (const [key, value] of Object.entries(session.params)) builder.addParam(key, value);
  for (const [key, value] of Object.entries(session.tags ?? {})) builder.setTag(key, value);
  const ingested = await ingestOpenRun(session, folder, config, builder, {
    status: options.status ?? 'KILLED',
    exitCode: null,
    endTime: Date.now(),
  });
  return recordRun(git, config, folder, ingested, {
    push: options.push,
    log: options.log,
    exitStatus: 1,
  });
}
