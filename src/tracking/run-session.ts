/**
 * `ghml run`: starts the training command with the GHML_* environment, then records what it
 * logged as one run on the tracking branch (FINISHED, FAILED or KILLED) and pushes it.
 *
 * Local state of an open run lives in `<git dir>/ghml/open/<run-id>/`: the events file, the
 * artifacts folder and `session.json` (the run's identity), so nothing touches the work tree
 * and a crashed ghml leaves enough behind for `recordAbandonedRun` to record it as KILLED.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { ulid } from 'ulid';
import { loadConfigFor } from '../config/find-config.js';
import type { GhmlConfig } from '../config/config-types.js';
import { GhmlError, UsageError } from '../errors/ghml-error.js';
import { createGit, type Git } from '../git/git.js';
import { pythonHelperDir } from '../package-paths.js';
import { readActionsEnvironment } from './ingest/github-context.js';
import { ingestRun, type IngestedRun } from './ingest/ingest-run.js';
import { formatWarning, type IngestWarning } from './ingest/ingest-warnings.js';
import { readParamsFile } from './ingest/params-file.js';
import { RunBuilder } from './ingest/run-builder.js';
import { validateExperimentName, validateKey, validateParamValue } from './run-limits.js';
import type { RunGithubContext, RunRecord, RunSource, RunStatus } from './run-record.js';
import { StdoutMetricsParser } from './ingest/stdout-metrics.js';
import { openTrackingStore, type PushResult, type TrackingStore } from './store/tracking-store.js';
import { runTrainingCommand, shellExitStatus, type CommandOutcome } from './training-command.js';

/** What `ghml run` was asked to do. */
export interface RunSessionSettings {
  command: readonly string[];
  /** Default: GHML_EXPERIMENT, then ghml.yml `default_experiment`. */
  experiment?: string | undefined;
  name?: string | undefined;
  /** `--param k=v` values, logged before the command starts. */
  params: Record<string, string>;
  /** False with --no-push. */
  push: boolean;
  /** Override of ghml.yml `tracking.stdout_metrics`. */
  stdoutMetrics?: boolean | undefined;
}

export interface RunSessionContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Progress and warnings for the user (stderr). */
  log(message: string): void;
}

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

/** What `session.json` holds while a run is open. */
interface OpenRunSession {
  id: string;
  experiment: string;
  name: string | null;
  startTime: number;
  source: RunSource;
  github: RunGithubContext | null;
  params: Record<string, string>;
  cwd: string;
  paramsFiles: string[];
  metricsFiles: string[];
}

/** Where the GHML_* files of an open run live. */
export function openRunFolder(gitDir: string, runId: string): string {
  return join(gitDir, 'ghml', 'open', runId);
}

function parseCliParams(params: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(params)) {
    validateKey(key, 'param key');
    validateParamValue(key, value);
  }
  return params;
}

async function describeSource(
  git: Git,
  env: NodeJS.ProcessEnv,
): Promise<{ source: RunSource; github: RunGithubContext | null }> {
  const actions = readActionsEnvironment(env);
  const headCommit = await git.headCommit();
  const source: RunSource = {
    commit: actions?.sourceCommit ?? headCommit,
    branch: actions?.sourceBranch ?? (await git.currentBranch()),
    dirty: await git.isDirty(),
  };
  return { source, github: actions?.context ?? null };
}

function statusOf(outcome: CommandOutcome): RunStatus {
  if (outcome.interrupted) return 'KILLED';
  return outcome.exitCode === 0 ? 'FINISHED' : 'FAILED';
}

function childEnvironment(
  env: NodeJS.ProcessEnv,
  session: OpenRunSession,
  folder: string,
): NodeJS.ProcessEnv {
  const helper = pythonHelperDir();
  return {
    ...env,
    GHML_RUN_ID: session.id,
    GHML_EXPERIMENT: session.experiment,
    GHML_EVENTS: join(folder, 'events.jsonl'),
    GHML_ARTIFACTS_DIR: join(folder, 'artifacts'),
    PYTHONPATH: env.PYTHONPATH ? `${helper}${delimiter}${env.PYTHONPATH}` : helper,
  };
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

/** Runs the command and records the run. */
export async function runAndRecord(
  settings: RunSessionSettings,
  context: RunSessionContext,
): Promise<RunSessionResult> {
  if (settings.command.length === 0) {
    throw new UsageError('no command given', { hint: 'usage: ghml run [options] -- <command...>' });
  }
  const git = await createGit(context.cwd);
  const root = await git.topLevel();
  const config = await loadConfigFor(context.cwd, root);
  const experiment = validateExperimentName(
    settings.experiment ?? context.env.GHML_EXPERIMENT ?? config.defaultExperiment,
  );
  const params = parseCliParams(settings.params);
  const { source, github } = await describeSource(git, context.env);

  // A broken params file fails before anything runs, naming the file and line.
  for (const file of config.sources.paramsFiles)
    await readParamsFile(join(context.cwd, file), file);

  const builder = new RunBuilder();
  for (const [key, value] of Object.entries(params)) builder.addParam(key, value);

  const session: OpenRunSession = {
    id: ulid(),
    experiment,
    name: settings.name ?? null,
    startTime: Date.now(),
    source,
    github,
    params,
    cwd: context.cwd,
    paramsFiles: config.sources.paramsFiles,
    metricsFiles: config.sources.metricsFiles,
  };
  const folder = openRunFolder(await git.gitDir(), session.id);
  await mkdir(join(folder, 'artifacts'), { recursive: true });
  await writeFile(join(folder, 'events.jsonl'), '');
  await writeFile(join(folder, 'session.json'), `${JSON.stringify(session, null, 2)}\n`);

  const parseStdout = settings.stdoutMetrics ?? config.tracking.stdoutMetrics;
  const stdoutParser = parseStdout ? new StdoutMetricsParser(builder) : undefined;
  context.log(
    `ghml: run ${session.id} started (experiment ${experiment}, commit ${source.commit.slice(0, 7)})`,
  );

  let outcome: CommandOutcome;
  try {
    outcome = await runTrainingCommand({
      command: settings.command,
      cwd: context.cwd,
      env: childEnvironment(context.env, session, folder),
      ...(stdoutParser ? { onStdout: (chunk: Buffer) => stdoutParser.write(chunk) } : {}),
    });
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  stdoutParser?.end();

  const ingested = await ingestOpenRun(session, folder, config, builder, {
    status: statusOf(outcome),
    exitCode: outcome.exitCode,
    endTime: Date.now(),
  });
  for (const warning of ingested.warnings) context.log(`ghml: warning: ${formatWarning(warning)}`);

  return recordRun(git, config, folder, ingested, {
    push: settings.push,
    log: context.log,
    exitStatus: shellExitStatus(outcome),
  });
}

/** Writes the run, pushes it when asked (never throws for a push), then drops its open folder. */
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

async function ingestOpenRun(
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

/** Removes an open run's folder once recorded, keeping artifacts too large for the branch. */
async function discardOpenRun(folder: string, ingested: IngestedRun): Promise<void> {
  if (ingested.record.artifacts.some((artifact) => !artifact.stored)) {
    await rm(join(folder, 'events.jsonl'), { force: true });
    await rm(join(folder, 'session.json'), { force: true });
    return;
  }
  await rm(folder, { recursive: true, force: true });
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
