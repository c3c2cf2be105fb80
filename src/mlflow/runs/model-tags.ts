/**
 * MLflow objects that live in run tags on the tracking branch:
 * - a logged model (MLflow 3 `model_id`, or a 2.x `log_model`) is the tag
 *   `ghml.mlflow.model.<model id>` holding compact JSON: its name, the folder of the run's
 *   artifacts holding its files, status, times, step and tags;
 * - a model output of the run (runs/outputs, and every 2.x `log_model`) is the tag
 *   `ghml.mlflow.output.<model id>` holding its step;
 * - a dataset input (`log_inputs`) is the tag `ghml.mlflow.input.<n>` holding its name, digest,
 *   source type and context (schema, profile and long sources are not kept);
 * - `mlflow.log-model.history` lists the models logged the 2.x way, as MLflow's server keeps it.
 * Tag values are capped at 5000 characters, so the optional parts are dropped to fit.
 */
import { MLFLOW_LIMITS } from '../validation/mlflow-validation.js';

export const MODEL_TAG_PREFIX = 'ghml.mlflow.model.';
export const INPUT_TAG_PREFIX = 'ghml.mlflow.input.';
export const OUTPUT_TAG_PREFIX = 'ghml.mlflow.output.';
export const LOG_MODEL_HISTORY_TAG = 'mlflow.log-model.history';

export type LoggedModelStatus =
  'LOGGED_MODEL_PENDING' | 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED';

/** A logged model as kept in its tag. */
export interface LoggedModelRecord {
  id: string;
  name: string;
  /** Folder of the run's artifacts holding the model's files. */
  path: string;
  status: LoggedModelStatus;
  created: number;
  updated: number;
  modelType?: string;
  tags?: Record<string, string>;
}

export function encodeModelTag(model: LoggedModelRecord): [string, string] {
  const { id, ...rest } = model;
  let value = JSON.stringify(rest);
  if (value.length > MLFLOW_LIMITS.maxTagValueLength) {
    value = JSON.stringify({ ...rest, tags: undefined });
  }
  return [`${MODEL_TAG_PREFIX}${id}`, value];
}

/** The logged models recorded in a run's tags. */
export function decodeModelTags(
  tags: ReadonlyMap<string, string> | Record<string, string>,
): LoggedModelRecord[] {
  const models: LoggedModelRecord[] = [];
  for (const [key, value] of entries(tags)) {
    if (!key.startsWith(MODEL_TAG_PREFIX)) continue;
    try {
      const parsed = JSON.parse(value) as Omit<LoggedModelRecord, 'id'>;
      if (typeof parsed.name !== 'string' || typeof parsed.path !== 'string') continue;
      models.push({ ...parsed, id: key.slice(MODEL_TAG_PREFIX.length) });
    } catch {
      // A tag someone edited by hand: not a model.
    }
  }
  return models.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
}

/** A dataset input as kept in its tag. */
export interface DatasetInputRecord {
  name: string;
  digest: string;
  source_type: string;
  source?: string;
  context?: string;
}

export function encodeInputTag(n: number, input: DatasetInputRecord): [string, string] {
  let value = JSON.stringify(input);
  if (value.length > MLFLOW_LIMITS.maxTagValueLength) {
    value = JSON.stringify({ ...input, source: undefined });
  }
  return [`${INPUT_TAG_PREFIX}${n}`, value];
}

export function decodeInputTags(
  tags: ReadonlyMap<string, string> | Record<string, string>,
): DatasetInputRecord[] {
  const inputs: Array<[number, DatasetInputRecord]> = [];
  for (const [key, value] of entries(tags)) {
    if (!key.startsWith(INPUT_TAG_PREFIX)) continue;
    try {
      inputs.push([
        Number(key.slice(INPUT_TAG_PREFIX.length)),
        JSON.parse(value) as DatasetInputRecord,
      ]);
    } catch {
      // not ours
    }
  }
  return inputs.sort((a, b) => a[0] - b[0]).map(([, input]) => input);
}

/** Appends a model to the 2.x history tag, dropping the oldest entries to stay within the cap. */
export function appendLogModelHistory(
  previous: string | undefined,
  model: Record<string, unknown>,
): string {
  let history: unknown[] = [];
  try {
    const parsed: unknown = previous === undefined ? [] : JSON.parse(previous);
    if (Array.isArray(parsed)) history = parsed;
  } catch {
    history = [];
  }
  history.push(model);
  let value = JSON.stringify(history);
  while (value.length > MLFLOW_LIMITS.maxTagValueLength && history.length > 1) {
    history.shift();
    value = JSON.stringify(history);
  }
  return value.length > MLFLOW_LIMITS.maxTagValueLength ? '[]' : value;
}

function entries(
  tags: ReadonlyMap<string, string> | Record<string, string>,
): Iterable<[string, string]> {
  return tags instanceof Map ? tags.entries() : Object.entries(tags);
}

export function encodeOutputTag(modelId: string, step: number): [string, string] {
  return [`${OUTPUT_TAG_PREFIX}${modelId}`, String(step)];
}

/** The run's model outputs, in model id order. */
export function decodeOutputTags(
  tags: ReadonlyMap<string, string> | Record<string, string>,
): Array<{ model_id: string; step: number }> {
  const outputs: Array<{ model_id: string; step: number }> = [];
  for (const [key, value] of entries(tags)) {
    if (!key.startsWith(OUTPUT_TAG_PREFIX)) continue;
    const step = Number(value);
    outputs.push({
      model_id: key.slice(OUTPUT_TAG_PREFIX.length),
      step: Number.isSafeInteger(step) ? step : 0,
    });
  }
  return outputs.sort((a, b) => (a.model_id < b.model_id ? -1 : a.model_id > b.model_id ? 1 : 0));
}
