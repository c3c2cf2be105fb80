/**
 * Runs one stage as one ghml run (`runAndRecord`): outputs that are not `persist` are removed
 * first (as DVC does), the launcher runs the commands, and the run is recorded with the stage's
 * params, its metrics files, its outputs as artifacts and the pipeline tags. A stage succeeds
 * only when the run FINISHED and every declared output exists; its outputs are then hashed,
 * saved to the content stores and written to the lock and the run cache by the caller.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { METRIC_KEY } from '../../config/name-rules.js';
import { runAndRecord } from '../../tracking/run-session.js';
import type { RunStatus } from '../../tracking/run-record.js';
import type { StageSpec } from '../definition/stage-spec.js';
import { canonicalJson, MISSING } from '../state/params-values.js';
import type { StageCheck } from '../state/stage-status.js';
import { CACHE_KEY_TAG } from './run-cache.js';
import { launcherCommand } from './stage-launcher.js';

export const PIPELINE_TAG = 'ghml.pipeline';
export const STAGE_TAG = 'ghml.pipeline.stage';
export const PIPELINE_RUN_TAG = 'ghml.pipeline.run_id';
export const DEPS_TAG = 'ghml.pipeline.deps';
const MATRIX_KEY_TAG = 'ghml.matrix_key';
const MAX_TAG = 5000;
const MAX_PARAM = 6000;
const EXPERIMENT = /^(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface StageRunSettings {
  root: string;
  pipeline: string;
  pipelineRunId: string;
  push: boolean;
  env: NodeJS.ProcessEnv;
  /** Folder for the launcher's process-group files. */
  pidDir: string;
  log(message: string): void;
}

export interface StageRunResult {
  status: RunStatus;
  runId: string;
  exitStatus: number;
  /** Why the stage failed although its command succeeded (a missing output). */
  problem: string | null;
  /** Process groups the launcher started. */
  groups: number[];
}

/** The experiment a stage's runs go to: its `experiment`, else its (group) name. */
export function stageExperiment(stage: StageSpec, fallback: string): string {
  if (stage.experiment !== null) return stage.experiment;
  return EXPERIMENT.test(stage.group) ? stage.group : fallback;
}

function paramText(value: unknown): string {
  return typeof value === 'string' ? value : canonicalJson(value);
}

/** The stage's param values as run params (`train.lr` -> '0.01'). */
export function runParams(check: StageCheck): Record<string, string> {
  const out: Record<string, string> = {};
  for (const byKey of Object.values(check.params)) {
    for (const [key, value] of Object.entries(byKey)) {
      if (value === MISSING || !METRIC_KEY.test(key)) continue;
      const text = paramText(value);
      if (text.length <= MAX_PARAM) out[key] = text;
    }
  }
  return out;
}

/** The pipeline tags of a stage run. */
export function stageTags(check: StageCheck, settings: StageRunSettings): Record<string, string> {
  const { stage } = check;
  const tags: Record<string, string> = {
    [PIPELINE_TAG]: settings.pipeline,
    [STAGE_TAG]: stage.name,
    [PIPELINE_RUN_TAG]: settings.pipelineRunId,
    [CACHE_KEY_TAG]: check.key ?? '',
  };
  const deps: Record<string, string> = {};
  for (const dep of check.deps) if (dep.current) deps[dep.path] = dep.current.hash;
  const text = JSON.stringify(deps);
  tags[DEPS_TAG] =
    text.length <= MAX_TAG ? text : `${check.deps.length} deps; their hashes are in ghml.lock`;
  if (stage.member !== null) tags[MATRIX_KEY_TAG] = stage.member;
  return tags;
}

function readGroups(file: string): number[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^\d+$/.test(line))
      .map(Number);
  } catch {
    return [];
  }
}

export async function runStage(
  check: StageCheck,
  experiment: string,
  settings: StageRunSettings,
): Promise<StageRunResult> {
  const { stage } = check;
  for (const out of stage.outs) {
    const full = join(settings.root, out.path);
    if (!out.persist) rmSync(full, { recursive: true, force: true });
    mkdirSync(dirname(full), { recursive: true });
  }
  mkdirSync(settings.pidDir, { recursive: true });
  const pidFile = join(
    settings.pidDir,
    `${process.pid}-${stage.name.replace(/[^A-Za-z0-9_.-]/g, '_')}`,
  );
  rmSync(pidFile, { force: true });
  const command = launcherCommand({
    cmds: stage.cmd,
    cwd: join(settings.root, stage.wdir),
    outs: stage.outs.map((o) => ({ full: join(settings.root, o.path), name: o.path })),
    pidFile,
  });
  const result = await runAndRecord(
    {
      command,
      experiment,
      name: stage.name,
      params: runParams(check),
      push: settings.push,
      tags: stageTags(check, settings),
      paramsFiles: [],
      metricsFiles: stage.outs.filter((o) => o.kind === 'metric').map((o) => o.path),
    },
    { cwd: settings.root, env: settings.env, log: settings.log },
  );
  const groups = readGroups(pidFile);
  rmSync(pidFile, { force: true });
  let problem: string | null = null;
  if (result.record.status === 'FINISHED') {
    const missing = stage.outs.filter((o) => !existsSync(join(settings.root, o.path)));
    if (missing.length > 0) {
      problem = `the command succeeded but did not write ${missing.map((o) => `'${o.path}'`).join(', ')}`;
    }
  }
  return {
    status: result.record.status,
    runId: result.record.id,
    exitStatus: result.exitStatus,
    problem,
    groups,
  };
}
