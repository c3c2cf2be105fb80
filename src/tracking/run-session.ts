/**
 * `ghml run`: starts the training command with the GHML_* environment, then records what it
 * logged as one run on the tracking branch (FINISHED, FAILED or KILLED) and pushes it.
 * The open run's local state is described in open-run.ts.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { loadConfigFor } from '../config/find-config.js';
import { UsageError } from '../errors/ghml-error.js';
import { createGit, type Git } from '../git/git.js';
import { childEnvironment } from './child-environment.js';
import { readActionsEnvironment } from './ingest/github-context.js';
import { formatWarning } from './ingest/ingest-warnings.js';
import { readParamsFile } from './ingest/params-file.js';
import { RunBuilder } from './ingest/run-builder.js';
import { StdoutMetricsParser } from './ingest/stdout-metrics.js';
import {
  ingestOpenRun,
  openRunFolder,
  recordStaleOpenRuns,
  type OpenRunSession,
} from './open-run.js';
import { openTrackingStore } from './store/tracking-store.js';
import type { GhmlConfig } from '../config/config-types.js';
import { validateExperimentName, validateKey, validateParamValue } from './run-limits.js';
import type { RunGithubContext, RunSource, RunStatus } from './run-record.js';
import { recordRun, type RunSessionResult } from './run-recorder.js';
import { runTrainingCommand, shellExitStatus, type CommandOutcome } from './training-command.js';

export type { RunSessionResult } from './run-recorder.js';

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
  /** Tags set before the command starts (e.g. a pipeline stage's identity). */
  tags?: Record<string, string> | undefined;
  /** Override of ghml.yml `sources.params_files` (paths relative to cwd). */
  paramsFiles?: readonly string[] | undefined;
  /** Override of ghml.yml `sources.metrics_files` (paths relative to cwd). */
  metricsFiles?: readonly string[] | undefined;
}

export interface RunSessionContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Progress and warnings for the user (stderr). */
  log(message: string): void;
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

/**
 * Before training: fetch the branch (so a branch migrated or started elsewhere is known), refuse
 * a format this ghml cannot write, and record runs left open by dead ghml processes.
 */
async function prepareTrackingBranch(
  git: Git,
  config: GhmlConfig,
  push: boolean,
  log: (message: string) => void,
): Promise<void> {
  const store = openTrackingStore(git, config.tracking);
  if (push && (await git.hasRemote(config.tracking.remote))) {
    try {
      await store.fetch();
    } catch (error) {
      log(`ghml: could not fetch ${config.tracking.branch}: ${(error as Error).message}`);
    }
  }
  await store.checkWritable();
  await recordStaleOpenRuns(git, { push, log });
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
  const paramsFiles = [...(settings.paramsFiles ?? config.sources.paramsFiles)];
  const metricsFiles = [...(settings.metricsFiles ?? config.sources.metricsFiles)];
  for (const file of paramsFiles) await readParamsFile(join(context.cwd, file), file);
  const tags = settings.tags ?? {};
  // A branch this ghml cannot write fails before anything runs, so no run is lost to it.
  await prepareTrackingBranch(git, config, settings.push, context.log);

  const builder = new RunBuilder();
  for (const [key, value] of Object.entries(params)) builder.addParam(key, value);
  for (const [key, value] of Object.entries(tags)) builder.setTag(key, value);

  const session: OpenRunSession = {
    id: ulid(),
    experiment,
    name: settings.name ?? null,
    startTime: Date.now(),
    source,
    github,
    params,
    cwd: context.cwd,
    tags,
    paramsFiles,
    metricsFiles,
    pid: process.pid,
    host: hostname(),
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
