/**
 * A run as MLflow's REST API shows it (`{"info", "data", "inputs", "outputs"}`), from an open
 * run's state or from a record on the tracking branch. Both views say the same thing about the
 * same data, so a client cannot tell whether a run is still open, except by its status.
 */
import type { RunRecord } from '../../tracking/run-record.js';
import { runArtifactUri } from '../ids/artifact-location.js';
import { decodeInputTags, decodeOutputTags } from './model-tags.js';
import type { OpenRunState } from './run-state.js';

export interface MlflowMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface MlflowRun {
  info: {
    run_id: string;
    run_uuid: string;
    run_name: string;
    experiment_id: string;
    user_id: string;
    status: string;
    start_time: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: 'active' | 'deleted';
  };
  data: {
    metrics: MlflowMetric[];
    params: Array<{ key: string; value: string }>;
    tags: Array<{ key: string; value: string }>;
  };
  inputs: {
    dataset_inputs: Array<Record<string, unknown>>;
    model_inputs: Array<{ model_id: string }>;
  };
  outputs: { model_outputs: Array<{ model_id: string; step: number }> };
}

const RUN_NAME_TAG = 'mlflow.runName';
const USER_TAG = 'mlflow.user';

function keyValues(entries: Iterable<[string, string]>): Array<{ key: string; value: string }> {
  return [...entries].map(([key, value]) => ({ key, value }));
}

function inputsOf(tags: ReadonlyMap<string, string> | Record<string, string>): MlflowRun['inputs'] {
  return {
    dataset_inputs: decodeInputTags(tags).map((input) => ({
      tags:
        input.context === undefined ? [] : [{ key: 'mlflow.data.context', value: input.context }],
      dataset: {
        name: input.name,
        digest: input.digest,
        source_type: input.source_type,
        source: input.source ?? '',
      },
    })),
    model_inputs: [],
  };
}

function outputsOf(
  tags: ReadonlyMap<string, string> | Record<string, string>,
): MlflowRun['outputs'] {
  return { model_outputs: decodeOutputTags(tags) };
}

/** The MLflow view of an open run. */
export function openRunView(state: OpenRunState, experimentId: string): MlflowRun {
  const metrics: MlflowMetric[] = [];
  for (const [key, series] of state.metrics) metrics.push({ key, ...series.latest() });
  const name = state.name ?? state.tags.get(RUN_NAME_TAG) ?? '';
  return {
    info: {
      run_id: state.id,
      run_uuid: state.id,
      run_name: name,
      experiment_id: experimentId,
      user_id: state.tags.get(USER_TAG) ?? '',
      status: state.status === 'SCHEDULED' ? 'RUNNING' : state.status,
      start_time: state.startTime,
      ...(state.endTime === null ? {} : { end_time: state.endTime }),
      artifact_uri: runArtifactUri(experimentId, state.id),
      lifecycle_stage: state.deleted ? 'deleted' : 'active',
    },
    data: {
      metrics,
      params: keyValues(state.params),
      tags: keyValues(withRunName(state.tags, name)),
    },
    inputs: inputsOf(state.tags),
    outputs: outputsOf(state.tags),
  };
}

/** The MLflow view of a run recorded on the tracking branch. */
export function recordedRunView(
  record: RunRecord,
  experimentId: string,
  deleted: boolean,
): MlflowRun {
  const metrics: MlflowMetric[] = [];
  for (const [key, summary] of Object.entries(record.metrics)) {
    metrics.push({ key, value: summary.value, timestamp: summary.timestamp, step: summary.step });
  }
  const tags = new Map(Object.entries(record.tags));
  const name = record.name ?? tags.get(RUN_NAME_TAG) ?? '';
  return {
    info: {
      run_id: record.id,
      run_uuid: record.id,
      run_name: name,
      experiment_id: experimentId,
      user_id: tags.get(USER_TAG) ?? '',
      status: record.status,
      start_time: record.startTime,
      ...(record.endTime === null ? {} : { end_time: record.endTime }),
      artifact_uri: runArtifactUri(experimentId, record.id),
      lifecycle_stage: deleted ? 'deleted' : 'active',
    },
    data: {
      metrics,
      params: keyValues(Object.entries(record.params)),
      tags: keyValues(withRunName(tags, name)),
    },
    inputs: inputsOf(tags),
    outputs: outputsOf(tags),
  };
}

function withRunName(tags: ReadonlyMap<string, string>, name: string): Iterable<[string, string]> {
  if (name === '' || tags.has(RUN_NAME_TAG)) return tags;
  return [...tags, [RUN_NAME_TAG, name]];
}
