/**
 * `ghml run`: starts the training command with the GHML_* environment, then records what it
 * logged as one run on the tracking branch (FINISHED, FAILED or KILLED) and pushes it.
 * The open run's local state is described in open-run.ts.
 *
 * Everything that can be refused is refused before the command starts (experiment, name,
 * matrix, params files, `-S` and `-p` values): once training ran, the run is recorded.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { loadConfigFor } from '../config/find-config.js';
import { UsageError } from '../errors/ghml-error.js';
import { createGit, type Git } from '../git/git.js';
import { startRunEndpoint } from '../mlflow/run-endpoint.js';
import { childEnvironment } from './child-environment.js';
import type { GhmlConfig } from '../config/config-types.js';
import { plural } from '../text/format-number.js';
import { readActionsEnvironment, readMatrixVariable } from './ingest/github-context.js';
import { formatWarning } from './ingest/ingest-warnings.js';
import { parseYamlText } from './ingest/ingest-yaml.js';
import { flattenParams, readParamsFile } from './ingest/params-file.js';
import { RunBuilder } from './ingest/run-builder.js';
import { StdoutMetricsParser } from './ingest/stdout-metrics.js';
import {
  ingestOpenRun,
  openRunFolder,
  recordStaleOpenRuns,
  type OpenRunSession,
} from './open-run.js';
import { openTrackingStore } from './store/tracking-store.js';
import { validateExperimentName, validateKey, validateParamValue } from './run-limits.js';
import {
  applyParamOverrides,
  planParamOverrides,
  type AppliedOverrides,
  type ParamOverride,
} from './param-overrides.js';
import type { RunGithubContext, RunSource, RunStatus } from './run-record.js';
import { InvalidRunRecordError, runIdentityProblem } from './run-record-schema.js';
import { recordRun, type RunSessionResult } from './run-recorder.js';
import { runTrainingCommand, shellExitStatus, type CommandOutcome } from './training-command.js';

export type { RunSessionResult } from './run-recorder.js';

/** What `ghml run` was asked to do. */
export interface RunSessionSettings {
  command: readonly string[];
  /** Default: GHML_EXPERIMENT, then ghml.yml `default_experiment`. */
  experiment?: string | undefined;
  name?: string | undefined;
  /**
   * `--param k=v` values, logged before the command starts. A key that a params file sets
   * to another value is refused (the training would never see it): use `setParams`.
   */
  params: Record<string, string>;
  /** `-S/--set-param`: values set in the params files for the run, restored afterwards. */
  setParams?: readonly ParamOverride[] | undefined;
  /**
   * `--matrix k=v` values, recorded as the run's matrix (github.matrix) over GHML_MATRIX's,
   * in Actions and outside it, so local sweeps pair up in comparisons as matrix jobs do.
   */
  matrix?: Record<string, string> | undefined;
  /** False with --no-push. */
  push: boolean;
  /** Override of ghml.yml `tracking.stdout_metrics`. */
  stdoutMetrics?: boolean | undefined;
  /** Where the command's stdout goes; 'stderr' for `--json`. Default 'stdout'. */
  commandStdout?: 'stdout' | 'stderr' | undefined;
  /** Tags set before the command starts (e.g. a pipeline stage's identity). */
  tags?: Record<string, string> | undefined;
  /** Override of ghml.yml `sources.params` (paths relative to cwd). */
  paramsFiles?: readonly string[] | undefined;
  /** Override of ghml.yml `sources.metrics` (paths relative to cwd). */
  metricsFiles?: readonly string[] | undefined;
  /**
   * Serve MLflow's tracking API to the command for its lifetime (MLFLOW_TRACKING_URI and
   * friends), so unchanged MLflow code logs to this run. Default true; --no-mlflow turns it off.
   */
  mlflow?: boolean | undefined;
}

export interface RunSessionContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Progress and warnings for the user (stderr). */
  log(message: string): void;
  /** The workflow's job token, for uploading large files to GitHub's container registry. */
  storeToken?: string | undefined;
}

function parseCliParams(params: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(params)) {
    validateKey(key, 'param key');
    validateParamValue(key, value);
  }
  return params;
}

/** The GitHub context of a run outside Actions: only its matrix (`--matrix`, GHML_MATRIX). */
function localGithubContext(matrix: Record<string, string>): RunGithubContext {
  return {
    repository: '',
    serverUrl: '',
    workflow: '',
    runId: '',
    runAttempt: '',
    job: '',
    matrix,
  };
}

async function describeSource(
  git: Git,
  env: NodeJS.ProcessEnv,
  matrixFlags: Record<string, string> | undefined,
): Promise<{ source: RunSource; github: RunGithubContext | null }> {
  const actions = readActionsEnvironment(env);
  const headCommit = await git.headCommit();
  const source: RunSource = {
    commit: actions?.sourceCommit ?? headCommit,
    branch: actions?.sourceBranch ?? (await git.currentBranch()),
    dirty: await git.isDirty(),
  };
  let github = actions?.context ?? null;
  const matrix = {
    ...(actions ? actions.context.matrix : readMatrixVariable(env)),
    ...matrixFlags,
  };
  if (Object.keys(matrix).length > 0) {
    github = github ? { ...github, matrix } : localGithubContext(matrix);
  }
  return { source, github };
}

/** Refuses, before anything runs, a run identity its record could not be written with. */
function checkIdentity(name: string | null, github: RunGithubContext | null): void {
  const problem = runIdentityProblem({ name, startTime: Date.now(), endTime: null, github });
  if (problem === undefined) return;
  const hint =
    problem.field === 'name'
      ? 'pass a shorter name with -n/--name'
      : problem.field.startsWith('github.matrix')
        ? 'fix the --matrix values or GHML_MATRIX (at most 100 names of 1 to 250 printable characters, values of at most 5000)'
        : 'check the GITHUB_* variables the job runs with';
  throw new InvalidRunRecordError(problem, hint);
}

/**
 * Reads each params file as the command will see it (with `-S` changes) so a broken file fails
 * before anything runs, and refuses a `-p` value that a file contradicts.
 */
async function checkParamsFiles(
  cwd: string,
  paramsFiles: readonly string[],
  changed: ReadonlyMap<string, { changed: string }>,
  cliParams: Record<string, string>,
): Promise<void> {
  for (const file of paramsFiles) {
    const plan = changed.get(file);
    const result =
      plan === undefined
        ? await readParamsFile(join(cwd, file), file)
        : flattenParams(parseYamlText(plan.changed, file), file);
    if (result === undefined) continue;
    for (const [key, value] of Object.entries(cliParams)) {
      if (!Object.hasOwn(result.params, key) || result.params[key] === value) continue;
      throw new UsageError(
        `-p ${key}=${value}: ${file} sets '${key}' to '${result.params[key] ?? ''}', which is what the training reads; the run would record a value it never used`,
        { hint: `set it in ${file} for this run with -S ${key}=${value} (restored afterwards)` },
      );
    }
  }
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
  const name = settings.name ?? null;
  const { source, github } = await describeSource(git, context.env, settings.matrix);
  checkIdentity(name, github);

  // A broken params file, a bad -S or a contradicted -p fails before anything runs.
  const paramsFiles = [...(settings.paramsFiles ?? config.sources.paramsFiles)];
  const metricsFiles = [...(settings.metricsFiles ?? config.sources.metricsFiles)];
  const plans = await planParamOverrides(context.cwd, paramsFiles, settings.setParams ?? []);
  await checkParamsFiles(context.cwd, paramsFiles, plans, params);
  const tags = settings.tags ?? {};
  // A branch this ghml cannot write fails before anything runs, so no run is lost to it.
  await prepareTrackingBranch(git, config, settings.push, context.log);

  const builder = new RunBuilder();
  for (const [key, value] of Object.entries(params)) builder.addParam(key, value);
  for (const [key, value] of Object.entries(tags)) builder.setTag(key, value);

  const session: OpenRunSession = {
    id: ulid(),
    experiment,
    name,
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
  const parseStdout = settings.stdoutMetrics ?? config.tracking.stdoutMetrics;
  const stdoutParser = parseStdout
    ? new StdoutMetricsParser(builder, { integerKeys: declaredMetrics(config, experiment) })
    : undefined;
  let applied: AppliedOverrides | undefined;
  try {
    if (plans.size > 0) {
      applied = await applyParamOverrides(context.cwd, plans);
      context.log(
        `ghml: set ${plural((settings.setParams ?? []).length, 'param')} in ${[...plans.keys()].join(', ')} for this run`,
      );
    }
    await mkdir(join(folder, 'artifacts'), { recursive: true });
    await writeFile(join(folder, 'events.jsonl'), '');
    await writeFile(join(folder, 'session.json'), `${JSON.stringify(session, null, 2)}\n`);
    context.log(
      `ghml: run ${session.id} started (experiment ${experiment}, commit ${source.commit.slice(0, 7)})`,
    );

    let outcome: CommandOutcome;
    // The MLflow endpoint's variables go on top: the token-stripping rule would drop its token.
    const endpoint =
      settings.mlflow === false
        ? undefined
        : await startRunEndpoint({
            git,
            config,
            cwd: context.cwd,
            log: context.log,
            store: { env: context.env, token: context.storeToken },
            mainRun: {
              id: session.id,
              experiment,
              name: session.name,
              startTime: session.startTime,
              source,
              github,
              params,
              tags,
              eventsFile: join(folder, 'events.jsonl'),
              artifactsDir: join(folder, 'artifacts'),
            },
          });
    applied?.commandRunning(true);
    try {
      outcome = await runTrainingCommand({
        command: settings.command,
        cwd: context.cwd,
        env: { ...childEnvironment(context.env, session, folder), ...endpoint?.env },
        ...(settings.commandStdout === 'stderr' ? { stdoutTo: 'stderr' as const } : {}),
        ...(stdoutParser ? { onStdout: (chunk: Buffer) => stdoutParser.write(chunk) } : {}),
      });
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    } finally {
      applied?.commandRunning(false);
      // Runs the command started through MLflow and left open are recorded KILLED here.
      await endpoint?.close();
    }
    stdoutParser?.end();

    const ingested = await ingestOpenRun(session, folder, config, builder, {
      status: statusOf(outcome),
      exitCode: outcome.exitCode,
      endTime: Date.now(),
    });
    // The params files were read: put them back before the (possibly slow) push.
    applied?.restore();
    for (const warning of ingested.warnings)
      context.log(`ghml: warning: ${formatWarning(warning)}`);

    // Removes the open folder, with the copies of stored artifacts in it.
    return await recordRun(git, config, folder, ingested, {
      push: settings.push,
      log: context.log,
      exitStatus: shellExitStatus(outcome),
      store: { env: context.env, token: context.storeToken },
    });
  } finally {
    applied?.restore();
  }
}

/** Metric names the experiment declares in ghml.yml: their integer stdout values count too. */
function declaredMetrics(config: GhmlConfig, experiment: string): ReadonlySet<string> {
  const settings = Object.hasOwn(config.experiments, experiment)
    ? config.experiments[experiment]
    : undefined;
  return new Set(Object.keys(settings?.metrics ?? {}));
}
