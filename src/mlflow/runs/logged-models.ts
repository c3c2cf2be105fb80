/**
 * MLflow 3 logged models as folders of runs. Creating a model inside a run gives it an id that
 * names the run (logged-model-id.ts), a folder of the run's artifacts (its name, or
 * `<name>-<n>` when taken) and a run tag holding its status (model-tags.ts). A model created
 * outside any run gets a run of its own in the experiment, recorded when the model is finalized.
 * Every logged model, and every 2.x `log_model`, is also a model output of its run, so
 * `ghml model register --run <id> --path <folder>` and `runs:/<id>/<folder>` find its files.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { invalidParameter, notFound } from '../http/mlflow-error.js';
import { runArtifactUri } from '../ids/artifact-location.js';
import { loggedModelId, parseLoggedModelId } from '../ids/logged-model-id.js';
import { keyProblem } from '../../tracking/run-limits.js';
import { checkTag } from '../validation/mlflow-validation.js';
import {
  appendLogModelHistory,
  decodeModelTags,
  encodeModelTag,
  encodeOutputTag,
  LOG_MODEL_HISTORY_TAG,
  MODEL_TAG_PREFIX,
  type LoggedModelRecord,
  type LoggedModelStatus,
} from './model-tags.js';
import type { FoundRun, RunBridge } from './run-bridge.js';
import { logBatch, type KeyValue } from './run-logging.js';
import type { OpenRunState } from './run-state.js';

/** Tag marking a run that exists only to hold a model logged outside any run. */
export const MODEL_RUN_TAG = 'ghml.mlflow.model_run';

export interface MlflowLoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    artifact_uri: string;
    creation_timestamp_ms: number;
    last_updated_timestamp_ms: number;
    status: LoggedModelStatus;
    model_type?: string;
    source_run_id: string;
    tags: KeyValue[];
    registrations: never[];
  };
  data: {
    params: KeyValue[];
    metrics: Array<{
      key: string;
      value: number;
      timestamp: number;
      step: number;
      run_id: string;
      model_id: string;
    }>;
  };
}

const STATUSES: ReadonlySet<string> = new Set([
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
]);

/** A model found with the run that holds it. */
interface FoundModel {
  model: LoggedModelRecord;
  run: FoundRun;
}

function tagsOf(run: FoundRun): Map<string, string> {
  return run.kind === 'open' ? run.state.tags : new Map(Object.entries(run.run.record.tags));
}

function folderName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '');
  return clean === '' || keyProblem(clean) !== undefined ? 'model' : clean;
}

/** A folder of the run's artifacts that no model uses and no file occupies. */
function freeFolder(state: OpenRunState, name: string, n: number): string {
  const base = folderName(name);
  const used = new Set(decodeModelTags(state.tags).map((m) => m.path));
  if (!used.has(base) && !existsSync(join(state.sink.artifactsDir, base))) return base;
  return `${base}-${n}`;
}

function nextModelNumber(state: OpenRunState): number {
  let n = state.modelCount;
  for (const model of decodeModelTags(state.tags)) {
    const parsed = parseLoggedModelId(model.id);
    if (parsed !== undefined && parsed.n > n) n = parsed.n;
  }
  state.modelCount = n + 1;
  return n + 1;
}

export class LoggedModels {
  constructor(private readonly bridge: RunBridge) {}

  /** logged-models POST. */
  async create(input: {
    experiment: string;
    name: string;
    sourceRunId: string | undefined;
    modelType: string | undefined;
    tags: KeyValue[];
    params: KeyValue[];
  }): Promise<MlflowLoggedModel> {
    input.tags.forEach((t, i) => checkTag(t.key, t.value, `tags[${i}]`));
    let state: OpenRunState;
    if (input.sourceRunId !== undefined && input.sourceRunId !== '') {
      state = await this.bridge.writable(input.sourceRunId);
    } else {
      state = await this.bridge.createRun({
        experiment: input.experiment,
        runName: input.name,
        startTime: Date.now(),
        tags: [{ key: MODEL_RUN_TAG, value: 'true' }],
      });
      if (input.params.length > 0)
        logBatch(this.bridge, state, { metrics: [], params: input.params, tags: [] });
    }
    const n = nextModelNumber(state);
    const now = Date.now();
    const model: LoggedModelRecord = {
      id: loggedModelId(state.id, n),
      name: input.name,
      path: freeFolder(state, input.name, n),
      status: 'LOGGED_MODEL_PENDING',
      created: now,
      updated: now,
      ...(input.modelType === undefined ? {} : { modelType: input.modelType }),
      ...(input.tags.length === 0
        ? {}
        : { tags: Object.fromEntries(input.tags.map((t) => [t.key, t.value])) }),
    };
    this.write(state, model);
    return this.view(model, { kind: 'open', state });
  }

  /** runs/log-model (MLflow 2.x): the model folder the client uploaded becomes a logged model. */
  logModel(state: OpenRunState, modelJson: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(modelJson);
    } catch {
      throw invalidParameter(`Invalid value for parameter 'model_json' supplied: not valid JSON.`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw invalidParameter(
        `Invalid value for parameter 'model_json' supplied: expected a JSON object.`,
      );
    }
    const info = parsed as Record<string, unknown>;
    const path =
      typeof info.artifact_path === 'string' ? info.artifact_path.replace(/^\/+|\/+$/g, '') : '';
    if (path === '' || keyProblem(path) !== undefined) {
      throw invalidParameter(
        `Invalid value ${JSON.stringify(info.artifact_path ?? null)} for parameter 'model_json.artifact_path' supplied.`,
      );
    }
    const flavors =
      typeof info.flavors === 'object' && info.flavors !== null ? Object.keys(info.flavors) : [];
    const history = appendLogModelHistory(state.tags.get(LOG_MODEL_HISTORY_TAG), {
      run_id: state.id,
      artifact_path: path,
      utc_time_created: info.utc_time_created ?? null,
      model_uuid: info.model_uuid ?? null,
      flavors: Object.fromEntries(flavors.map((f) => [f, {}])),
    });
    const existing = decodeModelTags(state.tags).find((m) => m.path === path);
    const now = Date.now();
    const model: LoggedModelRecord = existing ?? {
      id: loggedModelId(state.id, nextModelNumber(state)),
      name: path.split('/').pop() ?? path,
      path,
      status: 'LOGGED_MODEL_READY',
      created: now,
      updated: now,
    };
    const [modelKey, modelValue] = encodeModelTag(model);
    const [outputKey, outputValue] = encodeOutputTag(model.id, 0);
    logBatch(this.bridge, state, {
      metrics: [],
      params: [],
      tags: [
        { key: LOG_MODEL_HISTORY_TAG, value: history },
        { key: modelKey, value: modelValue },
        { key: outputKey, value: outputValue },
      ],
    });
  }

  /** Finds a model by id; MLflow's not-found error otherwise. */
  async find(modelId: string): Promise<FoundModel> {
    const parsed = parseLoggedModelId(modelId);
    if (parsed === undefined) throw modelNotFound(modelId);
    let run: FoundRun;
    try {
      run = await this.bridge.find(parsed.runId);
    } catch {
      throw modelNotFound(modelId);
    }
    const model = decodeModelTags(tagsOf(run)).find((m) => m.id === modelId);
    if (model === undefined) throw modelNotFound(modelId);
    return { model, run };
  }

  async get(modelId: string): Promise<MlflowLoggedModel> {
    const { model, run } = await this.find(modelId);
    return this.view(model, run);
  }

  /** logged-models PATCH: the model's final status; a model's own run ends with it. */
  async finalize(modelId: string, status: string): Promise<MlflowLoggedModel> {
    if (!STATUSES.has(status)) {
      throw invalidParameter(
        `Invalid value ${JSON.stringify(status)} for parameter 'status' supplied.`,
      );
    }
    const { model, run } = await this.find(modelId);
    if (run.kind === 'stored') {
      if (model.status === status) return this.view(model, run);
      throw invalidParameter(
        `Logged model ${modelId} cannot change: its run ${run.run.id} is recorded on the tracking branch.`,
      );
    }
    const state = await this.bridge.writable(run.state.id);
    const updated: LoggedModelRecord = {
      ...model,
      status: status as LoggedModelStatus,
      updated: Date.now(),
    };
    this.write(state, updated);
    if (state.tags.get(MODEL_RUN_TAG) === 'true' && status !== 'LOGGED_MODEL_PENDING') {
      await this.bridge.end(
        state,
        status === 'LOGGED_MODEL_READY' ? 'FINISHED' : 'FAILED',
        Date.now(),
      );
      return this.get(modelId);
    }
    return this.view(updated, { kind: 'open', state });
  }

  /** logged-models/{id}/tags PATCH. */
  async setTags(modelId: string, tags: KeyValue[]): Promise<void> {
    tags.forEach((t, i) => checkTag(t.key, t.value, `tags[${i}]`));
    const { model, run } = await this.find(modelId);
    if (run.kind === 'stored') {
      throw invalidParameter(
        `Logged model ${modelId} cannot change: its run ${run.run.id} is recorded on the tracking branch.`,
      );
    }
    const merged = {
      ...(model.tags ?? {}),
      ...Object.fromEntries(tags.map((t) => [t.key, t.value])),
    };
    this.write(await this.bridge.writable(run.state.id), {
      ...model,
      tags: merged,
      updated: Date.now(),
    });
  }

  /** runs/outputs: links models to the run as outputs at a step. */
  logOutputs(state: OpenRunState, outputs: Array<{ modelId: string; step: number }>): void {
    const tags = outputs.map(({ modelId, step }) => {
      const [key, value] = encodeOutputTag(modelId, step);
      return { key, value };
    });
    logBatch(this.bridge, state, { metrics: [], params: [], tags });
  }

  /** Every model of the given runs, as views. */
  modelsOf(run: FoundRun): MlflowLoggedModel[] {
    return decodeModelTags(tagsOf(run)).map((model) => this.view(model, run));
  }

  private write(state: OpenRunState, model: LoggedModelRecord): void {
    const [key, value] = encodeModelTag(model);
    logBatch(this.bridge, state, { metrics: [], params: [], tags: [{ key, value }] });
  }

  view(model: LoggedModelRecord, run: FoundRun): MlflowLoggedModel {
    const runId = run.kind === 'open' ? run.state.id : run.run.id;
    const experiment = run.kind === 'open' ? run.state.experiment : run.run.record.experiment;
    const experimentId = this.bridge.experiments.idOf(experiment);
    const params =
      run.kind === 'open'
        ? [...run.state.params].map(([key, value]) => ({ key, value }))
        : Object.entries(run.run.record.params).map(([key, value]) => ({ key, value }));
    const metrics =
      run.kind === 'open'
        ? [...run.state.metrics].map(([key, series]) => ({ key, ...series.latest() }))
        : Object.entries(run.run.record.metrics).map(([key, m]) => ({
            key,
            value: m.value,
            timestamp: m.timestamp,
            step: m.step,
          }));
    return {
      info: {
        model_id: model.id,
        experiment_id: experimentId,
        name: model.name,
        artifact_uri: `${runArtifactUri(experimentId, runId)}/${model.path}`,
        creation_timestamp_ms: model.created,
        last_updated_timestamp_ms: model.updated,
        status: model.status,
        ...(model.modelType === undefined ? {} : { model_type: model.modelType }),
        source_run_id: runId,
        tags: Object.entries(model.tags ?? {}).map(([key, value]) => ({ key, value })),
        registrations: [],
      },
      data: {
        params,
        metrics: metrics.map((m) => ({ ...m, run_id: runId, model_id: model.id })),
      },
    };
  }
}

export function modelNotFound(modelId: string) {
  return notFound(`Logged model with ID '${modelId}' not found.`);
}

export { MODEL_TAG_PREFIX };
