/**
 * Logging to an open run with MLflow's semantics: everything in a request is checked first
 * (limits, names, a param that would change), then written to the events file in one append,
 * then applied to the in-memory state. A refused request therefore writes nothing.
 */
import type { LogEvent } from '../../tracking/ingest/event-file.js';
import { invalidParameter, notFound } from '../http/mlflow-error.js';
import {
  checkBatchLimits,
  checkKey,
  checkMetric,
  checkParam,
  checkParamKeysUnique,
  checkTag,
  type MetricInput,
} from '../validation/mlflow-validation.js';
import type { RunBridge } from './run-bridge.js';
import type { OpenRunState } from './run-state.js';

export interface KeyValue {
  key: string;
  value: string;
}

function paramChanged(state: OpenRunState, key: string, previous: string, value: string): Error {
  return invalidParameter(
    `Changing param values is not allowed. Param with key='${key}' was already logged with value='${previous}' for run ID='${state.id}'. Attempted logging new value '${value}'.`,
    'log the new value in a new run (mlflow.start_run(nested=True) for each variant)',
  );
}

/** Checks metrics; keys seen before in this run skip the name checks. */
export function checkMetrics(
  state: OpenRunState,
  raw: readonly unknown[],
  pathOf: (i: number) => string,
): MetricInput[] {
  const metrics: MetricInput[] = new Array<MetricInput>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const item = raw[i];
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw invalidParameter(
        `Invalid value for parameter '${pathOf(i)}' supplied: expected an object.`,
      );
    }
    const entry = item as Record<string, unknown>;
    const key = Object.hasOwn(entry, 'key') ? entry.key : undefined;
    const known = typeof key === 'string' && state.checkedKeys.has(key);
    let metric: MetricInput;
    try {
      metric = checkMetric(entry, '', known);
    } catch {
      // Checked again with its path (built only now, not for every point) for the message.
      metric = checkMetric(entry, pathOf(i), known);
    }
    metrics[i] = metric;
    if (!known) state.checkedKeys.add(metric.key);
  }
  return metrics;
}

function metricEvents(metrics: readonly MetricInput[]): LogEvent[] {
  if (metrics.length === 0) return [];
  if (metrics.length === 1) {
    const m = metrics[0] as MetricInput;
    return [{ type: 'metric', key: m.key, value: m.value, step: m.step, timestamp: m.timestamp }];
  }
  return [
    {
      type: 'metric_batch',
      keys: metrics.map((m) => m.key),
      values: metrics.map((m) => m.value),
      steps: metrics.map((m) => m.step),
      timestamps: metrics.map((m) => m.timestamp),
    },
  ];
}

/** log-batch (and log-parameter / log-metric / set-tag, which are batches of one). */
export function logBatch(
  bridge: RunBridge,
  state: OpenRunState,
  batch: {
    metrics: readonly MetricInput[];
    params: readonly KeyValue[];
    tags: readonly KeyValue[];
  },
  options: {
    checkLimits?: boolean;
    paramPath?: (i: number) => string;
    tagPath?: (i: number) => string;
  } = {},
): void {
  const { params, tags } = batch;
  // The 3.x client logs a run's metrics again with the model id: a point identical to the
  // series' last one is the same point, as MLflow's store keeps it once.
  const metrics = batch.metrics.filter(
    (m) => state.metrics.get(m.key)?.isLast(m.value, m.step, m.timestamp) !== true,
  );
  if (options.checkLimits !== false) {
    checkBatchLimits(batch.metrics.length, params.length, tags.length);
  }
  params.forEach((p, i) => checkParam(p.key, p.value, options.paramPath?.(i) ?? ''));
  tags.forEach((t, i) => checkTag(t.key, t.value, options.tagPath?.(i) ?? ''));
  checkParamKeysUnique(params);
  const newParams: KeyValue[] = [];
  for (const p of params) {
    const previous = state.params.get(p.key);
    if (previous === undefined) newParams.push(p);
    else if (previous !== p.value) throw paramChanged(state, p.key, previous, p.value);
  }
  const events: LogEvent[] = [
    ...newParams.map((p): LogEvent => ({ type: 'param', key: p.key, value: p.value })),
    ...tags.map((t): LogEvent => ({ type: 'tag', key: t.key, value: t.value })),
    ...metricEvents(metrics),
  ];
  bridge.append(state, events);
  const builder = state.builder;
  for (const p of newParams) {
    state.params.set(p.key, p.value);
    builder?.addParam(p.key, p.value);
  }
  for (const t of tags) {
    state.tags.set(t.key, t.value);
    builder?.setTag(t.key, t.value);
    if (t.key === 'mlflow.runName') state.name = t.value;
  }
  for (const m of metrics) {
    state.addMetric(m.key, m.value, m.step, m.timestamp);
    builder?.addMetric(m.key, m.value, m.step, m.timestamp);
  }
}

/** delete-tag: MLflow's not-found error when the run has no such tag. */
export function deleteTag(state: OpenRunState, key: string): void {
  checkKey(key, 'key', 'key');
  if (!state.tags.has(key)) {
    throw notFound(`No tag with name: ${key} in run with id ${state.id}`);
  }
  if (state.isMain) {
    throw invalidParameter(
      `Tag '${key}' cannot be deleted from run ${state.id}: it is the run of 'ghml run', whose events file keeps every tag.`,
      'set the tag to an empty value instead',
    );
  }
  state.tags.delete(key);
}
