/**
 * runs/*: create, get, update, delete, restore, log-parameter, log-metric, log-batch, set-tag,
 * delete-tag, log-model, log-inputs, outputs, search; and metrics/get-history.
 */
import type { MetricPoint } from '../../tracking/run-record.js';
import { invalidParameter } from '../http/mlflow-error.js';
import {
  keyValueList,
  optionalInteger,
  optionalList,
  optionalString,
  rawField,
  requestRunId,
  requiredString,
  stringList,
  stringValue,
  type Fields,
} from '../http/request-input.js';
import type { RouteRequest, Router } from '../http/router.js';
import type { MlflowServices } from '../mlflow-services.js';
import { DEFAULT_EXPERIMENT_ID } from '../ids/experiment-id.js';
import { encodeInputTag } from '../runs/model-tags.js';
import { checkMetrics, deleteTag, logBatch } from '../runs/run-logging.js';
import {
  decodePageToken,
  encodePageToken,
  searchRuns,
  type RunViewType,
} from '../runs/run-search.js';
import type { MlflowRunStatus } from '../runs/run-state.js';
import { checkBatchRequestSize, checkKey, checkTag } from '../validation/mlflow-validation.js';

const STATUSES: ReadonlySet<string> = new Set([
  'RUNNING',
  'SCHEDULED',
  'FINISHED',
  'FAILED',
  'KILLED',
]);
const VIEW_TYPES: ReadonlySet<string> = new Set(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']);
/** MLflow's default page of metric history. */
const HISTORY_PAGE = 25_000;

function ok() {
  return { json: {} };
}

function status(fields: Fields): MlflowRunStatus | undefined {
  const value = optionalString(fields, 'status');
  if (value === undefined || value === '') return undefined;
  if (!STATUSES.has(value)) {
    throw invalidParameter(
      `Invalid value ${JSON.stringify(value)} for parameter 'status' supplied.`,
    );
  }
  return value as MlflowRunStatus;
}

export function addRunRoutes(router: Router, services: MlflowServices): void {
  const { runs, experiments, models } = services;

  router.add('POST', '/mlflow/runs/create', async (req) => {
    const fields = await req.fields();
    const experimentId = optionalString(fields, 'experiment_id') || DEFAULT_EXPERIMENT_ID;
    const experiment = await experiments.nameOf(experimentId);
    const tags = keyValueList(fields, 'tags');
    const userId = optionalString(fields, 'user_id');
    if (userId !== undefined && userId !== '' && !tags.some((t) => t.key === 'mlflow.user')) {
      tags.push({ key: 'mlflow.user', value: userId });
    }
    const state = await runs.createRun({
      experiment,
      runName: optionalString(fields, 'run_name') || null,
      startTime: optionalInteger(fields, 'start_time') ?? Date.now(),
      tags,
    });
    return { json: { run: await runs.view(state.id) } };
  });

  router.add('GET', '/mlflow/runs/get', async (req) => {
    return { json: { run: await runs.view(requestRunId(await req.fields())) } };
  });

  router.add('POST', '/mlflow/runs/update', async (req) => {
    const fields = await req.fields();
    const runId = requestRunId(fields);
    const next = status(fields);
    const runName = optionalString(fields, 'run_name');
    const found = await runs.find(runId);
    if (found.kind === 'stored' && !found.deleted) {
      // A recorded run keeps its status; a new name is a lifecycle event, as MLflow allows.
      const record = found.run.record;
      if (next === undefined || next === record.status) {
        if (runName !== undefined && runName !== '' && runName !== (record.name ?? '')) {
          checkTag('mlflow.runName', runName, 'run_name');
          await runs.changeRecordedTag(found.run, 'mlflow.runName', runName);
        }
        return { json: { run_info: (await runs.view(runId)).info } };
      }
    }
    const state = await runs.writable(runId);
    if (runName !== undefined && runName !== '' && runName !== state.name) {
      logBatch(runs, state, {
        metrics: [],
        params: [],
        tags: [{ key: 'mlflow.runName', value: runName }],
      });
    }
    if (next !== undefined) {
      await runs.end(state, next, optionalInteger(fields, 'end_time') ?? Date.now());
    }
    return { json: { run_info: (await runs.view(runId)).info } };
  });

  router.add('POST', '/mlflow/runs/delete', async (req) => {
    await runs.setDeleted(requestRunId(await req.fields()), true);
    return ok();
  });

  router.add('POST', '/mlflow/runs/restore', async (req) => {
    await runs.setDeleted(requestRunId(await req.fields()), false);
    return ok();
  });

  router.add('POST', '/mlflow/runs/log-parameter', async (req) => {
    const fields = await req.fields();
    const state = await runs.writable(requestRunId(fields));
    const key = requiredString(fields, 'key');
    const value = rawField(fields, 'value');
    logBatch(runs, state, {
      metrics: [],
      params: [{ key, value: value === undefined || value === null ? '' : stringValue(value) }],
      tags: [],
    });
    return ok();
  });

  router.add('POST', '/mlflow/runs/log-metric', async (req) => {
    const fields = await req.fields();
    const state = await runs.writable(requestRunId(fields));
    const metrics = checkMetrics(state, [fields], () => '');
    logBatch(runs, state, { metrics, params: [], tags: [] });
    return ok();
  });

  router.add('POST', '/mlflow/runs/log-batch', async (req) => {
    const fields = await req.fields();
    checkBatchRequestSize(req.bodyBytes());
    const state = await runs.writable(requestRunId(fields));
    const rawMetrics = optionalList(fields, 'metrics');
    const params = keyValueList(fields, 'params');
    const tags = keyValueList(fields, 'tags');
    const metrics = checkMetrics(state, rawMetrics, (i) => `metrics[${i}]`);
    logBatch(
      runs,
      state,
      { metrics, params, tags },
      {
        paramPath: (i) => `params[${i}]`,
        tagPath: (i) => `tags[${i}]`,
      },
    );
    return ok();
  });

  // Tags may change after a run ended (MLflow allows it): on a recorded run each change is a
  // lifecycle event on the branch.
  router.add('POST', '/mlflow/runs/set-tag', async (req) => {
    const fields = await req.fields();
    const runId = requestRunId(fields);
    const key = requiredString(fields, 'key');
    const raw = rawField(fields, 'value');
    const value = raw === undefined || raw === null ? '' : stringValue(raw);
    const found = await runs.find(runId);
    if (found.kind === 'stored' && !found.deleted) {
      checkTag(key, value);
      await runs.changeRecordedTag(found.run, key, value);
      return ok();
    }
    logBatch(runs, await runs.writable(runId), { metrics: [], params: [], tags: [{ key, value }] });
    return ok();
  });

  router.add('POST', '/mlflow/runs/delete-tag', async (req) => {
    const fields = await req.fields();
    const runId = requestRunId(fields);
    const key = requiredString(fields, 'key');
    const found = await runs.find(runId);
    if (found.kind === 'stored' && !found.deleted) {
      checkKey(key, 'key', 'key');
      await runs.changeRecordedTag(found.run, key, null);
      return ok();
    }
    deleteTag(await runs.writable(runId), key);
    return ok();
  });

  router.add('POST', '/mlflow/runs/log-model', async (req) => {
    const fields = await req.fields();
    const state = await runs.writable(requestRunId(fields));
    models.logModel(state, requiredString(fields, 'model_json'));
    return ok();
  });

  router.add('POST', '/mlflow/runs/log-inputs', async (req) => {
    const fields = await req.fields();
    const state = await runs.writable(requestRunId(fields));
    const datasets = optionalList(fields, 'datasets');
    const tags = datasets.map((item, i) => {
      const input = (typeof item === 'object' && item !== null ? item : {}) as Fields;
      const dataset = (Object.hasOwn(input, 'dataset') ? input.dataset : undefined) as
        Fields | undefined;
      if (typeof dataset !== 'object' || dataset === null) {
        throw invalidParameter(`Missing value for required parameter 'datasets[${i}].dataset'.`);
      }
      const name = requiredString(dataset, 'name');
      const digest = requiredString(dataset, 'digest');
      if (name.length > 500)
        throw invalidParameter("'name' exceeds the maximum length of 500 characters");
      if (digest.length > 36)
        throw invalidParameter("'digest' exceeds the maximum length of 36 characters");
      const context = keyValueList(input, 'tags').find(
        (t) => t.key === 'mlflow.data.context',
      )?.value;
      const source = optionalString(dataset, 'source');
      const [key, value] = encodeInputTag(state.inputCount + i + 1, {
        name,
        digest,
        source_type: requiredString(dataset, 'source_type'),
        ...(source === undefined ? {} : { source }),
        ...(context === undefined ? {} : { context }),
      });
      return { key, value };
    });
    const modelTags = optionalList(fields, 'models').map((item) => {
      const id = typeof item === 'object' && item !== null ? (item as Fields).model_id : undefined;
      if (typeof id !== 'string' || id === '')
        throw invalidParameter(`Missing value for required parameter 'models.model_id'.`);
      return { key: `ghml.mlflow.model_input.${id}`, value: '' };
    });
    logBatch(
      runs,
      state,
      { metrics: [], params: [], tags: [...tags, ...modelTags] },
      { checkLimits: false },
    );
    state.inputCount += tags.length;
    return ok();
  });

  router.add('POST', '/mlflow/runs/outputs', async (req) => {
    const fields = await req.fields();
    const state = await runs.writable(requestRunId(fields));
    const outputs = optionalList(fields, 'models').map((item) => {
      const entry = (typeof item === 'object' && item !== null ? item : {}) as Fields;
      return {
        modelId: requiredString(entry, 'model_id'),
        step: optionalInteger(entry, 'step') ?? 0,
      };
    });
    for (const { modelId } of outputs) await models.find(modelId);
    models.logOutputs(state, outputs);
    return ok();
  });

  router.add('POST', '/mlflow/runs/search', async (req) => {
    const fields = await req.fields();
    const ids = stringList(fields, 'experiment_ids');
    const names = await Promise.all(ids.map((id) => experiments.nameOf(id)));
    const viewType = optionalString(fields, 'run_view_type') ?? 'ACTIVE_ONLY';
    if (!VIEW_TYPES.has(viewType)) {
      throw invalidParameter(
        `Invalid value ${JSON.stringify(viewType)} for parameter 'run_view_type' supplied.`,
      );
    }
    const result = await searchRuns(runs, {
      experimentNames: names,
      filter: optionalString(fields, 'filter') ?? '',
      viewType: viewType as RunViewType,
      maxResults: optionalInteger(fields, 'max_results') ?? 1000,
      orderBy: stringList(fields, 'order_by'),
      pageToken: optionalString(fields, 'page_token'),
    });
    return { json: result };
  });

  router.add('GET', '/mlflow/metrics/get-history', async (req: RouteRequest) => {
    const fields = await req.fields();
    const runId = requestRunId(fields);
    const key = requiredString(fields, 'metric_key');
    const maxResults = optionalInteger(fields, 'max_results') ?? HISTORY_PAGE;
    if (maxResults < 1) {
      throw invalidParameter(`max_results must be between 1 and ${HISTORY_PAGE}.`);
    }
    const offset = decodePageToken(optionalString(fields, 'page_token'));
    const found = await runs.find(runId);
    let points: Array<{ key: string; value: number; timestamp: number; step: number }>;
    if (found.kind === 'open') {
      const series = found.state.metrics.get(key);
      points = [];
      if (series !== undefined) {
        const order = series.steps.map((_, i) => i);
        order.sort(
          (a, b) =>
            (series.steps[a] as number) - (series.steps[b] as number) ||
            (series.timestamps[a] as number) - (series.timestamps[b] as number) ||
            a - b,
        );
        points = order.map((i) => ({
          key,
          value: series.values[i] as number,
          timestamp: series.timestamps[i] as number,
          step: series.steps[i] as number,
        }));
      }
    } else if (Object.hasOwn(found.run.record.metrics, key)) {
      points = (await services.store.readMetrics(found.run))
        .filter((p: MetricPoint) => p.key === key)
        .map((p) => ({ key, value: p.value, timestamp: p.timestamp, step: p.step }));
    } else points = [];
    const page = points.slice(offset, offset + maxResults).map((p) => ({ ...p, run_id: runId }));
    const next = offset + maxResults;
    return {
      json: {
        metrics: page,
        ...(next < points.length ? { next_page_token: encodePageToken(next) } : {}),
      },
    };
  });
}
