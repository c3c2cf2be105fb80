/**
 * The one place the action reads its inputs and the runner's environment. Everything else in
 * src/action works on the typed settings returned here. The runner passes an input `foo-bar`
 * as the variable `INPUT_FOO-BAR` (hyphens kept, spaces become '_', upper case), and post-step
 * state saved with `core.saveState('x', …)` as `STATE_x`.
 */
import { isAbsolute, resolve } from 'node:path';
import { checkKubeTarget } from '../deploy/kube/kube-target-options.js';
import { parseCommentAuthor } from '../github/token-identity.js';
import { readEventPayload } from '../tracking/ingest/pull-request-event.js';
import {
  InvalidInputError,
  MissingInputError,
  UnknownCommandError,
  UnsupportedEventError,
} from './action-errors.js';

/** The verbs of the action (input `command`). */
export const ACTION_COMMANDS = [
  'run',
  'compare',
  'register',
  'promote',
  'deploy',
  'repro',
] as const;
export type ActionCommand = (typeof ACTION_COMMANDS)[number];

/** The event the workflow runs for. */
export interface ActionEvent {
  /** `GITHUB_EVENT_NAME`, e.g. `pull_request`; '' outside Actions. */
  name: string;
  /** The webhook payload at `GITHUB_EVENT_PATH` ({} when there is none). */
  payload: Record<string, unknown>;
}

/** Settings every command has. */
export interface CommonSettings {
  /** Absolute folder the command runs in (input `working-directory`, from the workspace). */
  workingDirectory: string;
  /** Input `token`; undefined when empty (then GITHUB_TOKEN / GH_TOKEN are tried). */
  token: string | undefined;
  /** `owner/name` from `GITHUB_REPOSITORY`; '' outside Actions. */
  repository: string;
  event: ActionEvent;
  /** The environment the services see (the runner's, as given). */
  env: NodeJS.ProcessEnv;
  /** Folder for temporary files (`RUNNER_TEMP`, else the OS temp folder). */
  tempDir: string | undefined;
}

/** `command: run`: train and record a run. */
export interface RunCommandSettings extends CommonSettings {
  command: 'run';
  /** Input `train`: a bash script, run like a `run:` step (`bash --noprofile --norc -eo pipefail`). */
  train: string;
  /** Input `experiment`; undefined: GHML_EXPERIMENT, then ghml.yml. */
  experiment: string | undefined;
  /** Input `name`: a human name for the run. */
  name: string | undefined;
  /** Input `params`: one `key=value` per line, logged before training starts. */
  params: Record<string, string>;
  /** Input `push` (default true): push the run to the remote tracking branch. */
  push: boolean;
  /** Input `stdout-metrics`; undefined: as ghml.yml says. */
  stdoutMetrics: boolean | undefined;
  /** Input `matrix` (default `${{ toJSON(matrix) }}`): JSON object of matrix values, or undefined. */
  matrix: string | undefined;
  /** Input `record-dir`: also write the run there for upload as a workflow artifact. */
  recordDir: string | undefined;
  /** Input `fail-on-push-error` (default true): fail the step when the run was not pushed. */
  failOnPushError: boolean;
}

/** `command: compare`: compare with the baseline, comment, set statuses. */
export interface CompareCommandSettings extends CommonSettings {
  command: 'compare';
  base: string | undefined;
  head: string | undefined;
  /** Input `experiments`: names separated by commas or new lines; empty = all at head. */
  experiments: string[];
  /** Input `comment` (default true): post the sticky PR comment and commit statuses. */
  comment: boolean;
  /** Input `fail-on-regression` (default false). */
  failOnRegression: boolean;
  /** Input `include-unfinished` (default false). */
  includeUnfinished: boolean;
  /** Input `all-params` (default false): list every param, not only the changed ones. */
  allParams: boolean;
  /** Input `fetch` (default true): fetch the tracking branch first. */
  fetch: boolean;
  /** Input `run-artifact`: folder of runs uploaded by a pull_request workflow (workflow_run only). */
  runArtifact: string | undefined;
  /** Input `comment-author`: the login the token comments as (a GitHub App's `<app>[bot]`). */
  commentAuthor: string | undefined;
}

/** `command: register`. */
export interface RegisterCommandSettings extends CommonSettings {
  command: 'register';
  model: string;
  /** Input `version`: `vX.Y.Z`, or a whole tag `name@vX.Y.Z` that also names the model. */
  version: string | undefined;
  bump: 'major' | 'minor' | 'patch' | undefined;
  /** Input `ref`: the commit the model was trained from (default HEAD). */
  ref: string | undefined;
  runId: string | undefined;
}

/** `command: promote`. */
export interface PromoteCommandSettings extends CommonSettings {
  command: 'promote';
  model: string;
  version: string;
  stage: string;
}

/** `command: deploy`. */
export interface DeployCommandSettings extends CommonSettings {
  command: 'deploy';
  model: string;
  stage: string;
  /** Input `version`; undefined: the stage's current version. */
  version: string | undefined;
  dryRun: boolean;
  namespace: string | undefined;
  context: string | undefined;
  /** Input `timeout` in seconds (default 300). */
  timeoutSeconds: number;
}

/** `command: repro`: bring pipeline stages up to date (each stage that runs is a run). */
export interface ReproCommandSettings extends CommonSettings {
  command: 'repro';
  /** Input `stage`: pipeline stages separated by commas or new lines; empty = every stage. */
  stages: string[];
  /** Input `push` (default true): push the stage runs to the remote tracking branch. */
  push: boolean;
}

export type ActionSettings =
  | RunCommandSettings
  | CompareCommandSettings
  | RegisterCommandSettings
  | PromoteCommandSettings
  | DeployCommandSettings
  | ReproCommandSettings;

/** What the main step saved for the post step (`STATE_*`). */
export interface PostState {
  /** True in the post step: the main step saved state, so `STATE_isPost` is set. */
  isPost: boolean;
  command: string;
  /** 'training' while the command ran, 'done' after, 'crashed' when ghml itself failed. */
  phase: string;
  /** Folder the run started in. */
  workingDirectory: string;
  /** Milliseconds when training started; open runs started before are not ours. */
  since: number;
  push: boolean;
}

/** State names shared by the main and post steps. */
export const STATE = {
  isPost: 'isPost',
  command: 'command',
  phase: 'phase',
  workingDirectory: 'working-directory',
  since: 'since',
  push: 'push',
} as const;

/** Events each command runs on; refused ones get a reason. */
export const SUPPORTED_EVENTS: Record<ActionCommand, readonly string[]> = {
  run: [
    'pull_request',
    'push',
    'workflow_dispatch',
    'schedule',
    'merge_group',
    'release',
    'repository_dispatch',
  ],
  compare: ['pull_request', 'push', 'workflow_dispatch', 'schedule', 'merge_group', 'workflow_run'],
  register: ['release', 'push', 'workflow_dispatch', 'repository_dispatch'],
  repro: [
    'pull_request',
    'push',
    'workflow_dispatch',
    'schedule',
    'merge_group',
    'repository_dispatch',
  ],
  promote: ['workflow_dispatch', 'push', 'release', 'repository_dispatch'],
  deploy: ['workflow_dispatch', 'push', 'release', 'deployment', 'repository_dispatch'],
};

const UNSAFE_TRAINING_EVENTS: Record<string, string> = {
  pull_request_target:
    'it runs with a write token and secrets, so training pull-request code there hands the repository to the PR; use train-fork-safe.yml and report.yml',
  workflow_run:
    'it runs with a write token in the base repository; train in the pull_request workflow and use command: compare with run-artifact here',
};

/** Reads an input the way @actions/core does: `INPUT_<NAME>`, trimmed; '' when unset. */
export function readInput(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = readInput(env, name);
  return value === '' ? undefined : value;
}

function required(env: NodeJS.ProcessEnv, name: string, command: string): string {
  const value = readInput(env, name);
  if (value === '') throw new MissingInputError(name, command);
  return value;
}

const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

/** A YAML 1.2 core-schema boolean, as `core.getBooleanInput` accepts; `fallback` when empty. */
export function readBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  return readOptionalBoolean(env, name) ?? fallback;
}

function readOptionalBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = readInput(env, name);
  if (value === '') return undefined;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new InvalidInputError(name, value, 'true or false');
}

function readParams(env: NodeJS.ProcessEnv): Record<string, string> {
  const params: Record<string, string> = {};
  for (const line of readInput(env, 'params').split(/\r?\n/)) {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) continue;
    const at = text.indexOf('=');
    if (at <= 0) throw new InvalidInputError('params', text, 'one key=value per line');
    params[text.slice(0, at).trim()] = text.slice(at + 1).trim();
  }
  return params;
}

function readMatrix(env: NodeJS.ProcessEnv): string | undefined {
  const value = readInput(env, 'matrix');
  if (value === '' || value === 'null') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidInputError('matrix', value, 'a JSON object such as ${{ toJSON(matrix) }}');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidInputError('matrix', value, 'a JSON object such as ${{ toJSON(matrix) }}');
  }
  return value;
}

function readList(env: NodeJS.ProcessEnv, name: string): string[] {
  return readInput(env, name)
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function readBump(env: NodeJS.ProcessEnv): RegisterCommandSettings['bump'] {
  const value = optional(env, 'bump');
  if (value === undefined) return undefined;
  if (value === 'major' || value === 'minor' || value === 'patch') return value;
  throw new InvalidInputError('bump', value, 'major, minor or patch');
}

function readTimeout(env: NodeJS.ProcessEnv): number {
  const value = optional(env, 'timeout');
  if (value === undefined) return 300;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds > 6 * 3600) {
    throw new InvalidInputError('timeout', value, 'whole seconds between 1 and 21600');
  }
  return seconds;
}

/**
 * `model` and `version` of register: `version` may be a whole registration tag
 * (`name@vX.Y.Z`, e.g. a published release's tag name), which then names the model too.
 */
function readModelVersion(
  env: NodeJS.ProcessEnv,
  command: string,
): { model: string; version: string | undefined } {
  const model = optional(env, 'model');
  const version = optional(env, 'version');
  const at = version?.lastIndexOf('@') ?? -1;
  if (version !== undefined && at > 0) {
    const tagModel = version.slice(0, at);
    if (model !== undefined && model !== tagModel) {
      throw new InvalidInputError(
        'version',
        version,
        `a version of model '${model}' (the tag names '${tagModel}')`,
      );
    }
    return { model: tagModel, version: version.slice(at + 1) };
  }
  if (model === undefined) throw new MissingInputError('model', command);
  return { model, version };
}

/** `GITHUB_EVENT_NAME` and the payload at `GITHUB_EVENT_PATH`. */
export function readEvent(env: NodeJS.ProcessEnv): ActionEvent {
  return { name: env.GITHUB_EVENT_NAME ?? '', payload: readEventPayload(env) };
}

function resolveFrom(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

function checkEvent(
  command: ActionCommand,
  event: ActionEvent,
  runArtifact: string | undefined,
): void {
  if (event.name === '') return; // not on Actions (a laptop, @github/local-action)
  const supported = SUPPORTED_EVENTS[command];
  if (
    (command === 'run' || command === 'repro') &&
    UNSAFE_TRAINING_EVENTS[event.name] !== undefined
  ) {
    throw new UnsupportedEventError(
      event.name,
      command,
      supported,
      UNSAFE_TRAINING_EVENTS[event.name],
    );
  }
  if (command === 'compare' && runArtifact !== undefined && event.name !== 'workflow_run') {
    throw new UnsupportedEventError(
      event.name,
      command,
      ['workflow_run'],
      "'run-artifact' is only read on workflow_run events",
    );
  }
  if (command === 'compare' && runArtifact === undefined && event.name === 'workflow_run') {
    throw new UnsupportedEventError(
      event.name,
      command,
      supported.filter((name) => name !== 'workflow_run'),
      "on workflow_run, set 'run-artifact' to the folder the pull_request workflow's run artifact was downloaded to",
    );
  }
  if (!supported.includes(event.name))
    throw new UnsupportedEventError(event.name, command, supported);
}

/** Reads every input and the environment into the settings of the command. */
export function readActionSettings(env: NodeJS.ProcessEnv, cwd: string): ActionSettings {
  const commandText = readInput(env, 'command');
  if (commandText === '') throw new MissingInputError('command', 'the ghml action');
  if (!(ACTION_COMMANDS as readonly string[]).includes(commandText)) {
    throw new UnknownCommandError(commandText, ACTION_COMMANDS);
  }
  const command = commandText as ActionCommand;
  const workspace = env.GITHUB_WORKSPACE || cwd;
  const workingDirectory = resolveFrom(workspace, optional(env, 'working-directory') ?? '.');
  const common: CommonSettings = {
    workingDirectory,
    token: optional(env, 'token'),
    repository: env.GITHUB_REPOSITORY ?? '',
    event: readEvent(env),
    env,
    tempDir: env.RUNNER_TEMP || undefined,
  };
  const path = (name: string): string | undefined => {
    const value = optional(env, name);
    return value === undefined ? undefined : resolveFrom(workingDirectory, value);
  };

  switch (command) {
    case 'run': {
      const settings: RunCommandSettings = {
        ...common,
        command,
        train: required(env, 'train', command),
        experiment: optional(env, 'experiment'),
        name: optional(env, 'name'),
        params: readParams(env),
        push: readBoolean(env, 'push', true),
        stdoutMetrics: readOptionalBoolean(env, 'stdout-metrics'),
        matrix: readMatrix(env),
        recordDir: path('record-dir'),
        failOnPushError: readBoolean(env, 'fail-on-push-error', true),
      };
      checkEvent(command, common.event, undefined);
      return settings;
    }
    case 'compare': {
      const settings: CompareCommandSettings = {
        ...common,
        command,
        base: optional(env, 'base'),
        head: optional(env, 'head'),
        experiments: readList(env, 'experiments'),
        comment: readBoolean(env, 'comment', true),
        failOnRegression: readBoolean(env, 'fail-on-regression', false),
        includeUnfinished: readBoolean(env, 'include-unfinished', false),
        allParams: readBoolean(env, 'all-params', false),
        fetch: readBoolean(env, 'fetch', true),
        runArtifact: path('run-artifact'),
        commentAuthor: parseCommentAuthor(optional(env, 'comment-author'), 'comment-author'),
      };
      checkEvent(command, common.event, settings.runArtifact);
      return settings;
    }
    case 'register': {
      const { model, version } = readModelVersion(env, command);
      const settings: RegisterCommandSettings = {
        ...common,
        command,
        model,
        version,
        bump: readBump(env),
        ref: optional(env, 'ref'),
        runId: optional(env, 'run-id'),
      };
      checkEvent(command, common.event, undefined);
      return settings;
    }
    case 'promote': {
      const settings: PromoteCommandSettings = {
        ...common,
        command,
        model: required(env, 'model', command),
        version: required(env, 'version', command),
        stage: required(env, 'stage', command),
      };
      checkEvent(command, common.event, undefined);
      return settings;
    }
    case 'deploy': {
      const settings: DeployCommandSettings = {
        ...common,
        command,
        model: required(env, 'model', command),
        stage: required(env, 'stage', command),
        version: optional(env, 'version'),
        dryRun: readBoolean(env, 'dry-run', false),
        namespace: optional(env, 'namespace'),
        context: optional(env, 'kube-context'),
        timeoutSeconds: readTimeout(env),
      };
      checkKubeTarget(settings, { namespace: 'input namespace', context: 'input kube-context' });
      checkEvent(command, common.event, undefined);
      return settings;
    }
    case 'repro': {
      const settings: ReproCommandSettings = {
        ...common,
        command,
        stages: readList(env, 'stage'),
        push: readBoolean(env, 'push', true),
      };
      checkEvent(command, common.event, undefined);
      return settings;
    }
  }
}

/** The state the main step saved, as the post step sees it. */
export function readPostState(env: NodeJS.ProcessEnv): PostState {
  const state = (name: string): string => env[`STATE_${name}`] ?? '';
  const since = Number(state(STATE.since));
  return {
    isPost: state(STATE.isPost) === 'true',
    command: state(STATE.command),
    phase: state(STATE.phase),
    workingDirectory: state(STATE.workingDirectory),
    since: Number.isFinite(since) ? since : 0,
    push: state(STATE.push) !== 'false',
  };
}
