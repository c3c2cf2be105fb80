/**
 * The local state of a run that is still open: `<git dir>/ghml/open/<run-id>/` holds the
 * events file, the artifacts folder and `session.json` (the run's identity), so nothing
 * touches the work tree and a crashed ghml leaves enough behind to record the run as KILLED.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { localCacheRoot, LocalContentStore } from '../artifacts/local-content-store.js';
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
  /** The ghml process that owns the run, and its machine (absent in older folders). */
  pid?: number;
  host?: string;
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

/** An open folder without an owner this long is stale even when its owner cannot be checked. */
const UNCHECKABLE_AFTER_MS = 24 * 60 * 60 * 1000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(folder: string, session: OpenRunSession, now: number): Promise<boolean> {
  if (session.pid !== undefined && session.host === hostname()) return !processAlive(session.pid);
  const age = now - (await stat(join(folder, 'session.json'))).mtimeMs;
  return age > UNCHECKABLE_AFTER_MS;
}

/** Moves every file of a leftover folder into the local cache (by its digest), then removes it. */
async function absorbLeftover(git: Git, folder: string): Promise<void> {
  const cache = new LocalContentStore(localCacheRoot(await git.gitDir()));
  const entries = await readdir(join(folder, 'artifacts'), {
    recursive: true,
    withFileTypes: true,
  }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    await cache.put(join(entry.parentPath, entry.name)).catch(() => undefined);
  }
  await rm(folder, { recursive: true, force: true });
}

/**
 * Records every open run whose ghml process is gone (killed with the machine, a crash) as
 * KILLED, and clears folders left by older versions, keeping their large files in the local
 * cache. Open runs of live processes are left alone. Never throws for one folder: problems
 * are logged and the next folder is tried.
 */
export async function recordStaleOpenRuns(
  git: Git,
  options: { push: boolean; log: (message: string) => void; now?: number },
): Promise<RunSessionResult[]> {
  const root = join(await git.gitDir(), 'ghml', 'open');
  const names = await readdir(root).catch(() => [] as string[]);
  const now = options.now ?? Date.now();
  const recorded: RunSessionResult[] = [];
  for (const name of names) {
    const folder = join(root, name);
    try {
      let session: OpenRunSession | undefined;
      try {
        session = JSON.parse(
          await readFile(join(folder, 'session.json'), 'utf8'),
        ) as OpenRunSession;
      } catch {
        session = undefined;
      }
      if (session === undefined) {
        if (now - (await stat(folder)).mtimeMs > UNCHECKABLE_AFTER_MS)
          await absorbLeftover(git, folder);
        continue;
      }
      if (!(await isStale(folder, session, now))) continue;
      options.log(
        `ghml: run ${session.id} was left open by a ghml process that is gone: recording it as KILLED`,
      );
      const result = await recordAbandonedRun(git, session.id, {
        push: options.push,
        log: options.log,
      });
      if (result) recorded.push(result);
    } catch (error) {
      options.log(
        `ghml: warning: could not record the open run in ${folder}: ${(error as Error).message}`,
      );
    }
  }
  return recorded;
}
