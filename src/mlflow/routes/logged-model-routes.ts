/** logged-models: create, get, finalize (PATCH), set tags, search. */
import { invalidParameter } from '../http/mlflow-error.js';
import {
  keyValueList,
  optionalInteger,
  optionalString,
  requiredString,
  stringList,
} from '../http/request-input.js';
import type { Router } from '../http/router.js';
import { DEFAULT_EXPERIMENT_ID } from '../ids/experiment-id.js';
import type { MlflowServices } from '../mlflow-services.js';
import type { MlflowLoggedModel } from '../runs/logged-models.js';
import { decodePageToken, encodePageToken } from '../runs/run-search.js';
import type { FoundRun } from '../runs/run-bridge.js';

type ModelTest = (model: MlflowLoggedModel) => boolean;

const MODEL_FIELDS: Readonly<Record<string, (m: MlflowLoggedModel) => string>> = {
  name: (m) => m.info.name,
  model_id: (m) => m.info.model_id,
  source_run_id: (m) => m.info.source_run_id,
  status: (m) => m.info.status,
  model_type: (m) => m.info.model_type ?? '',
};

/** `field = 'value'` / `!=` conditions on name, model_id, source_run_id, status, joined by AND. */
function modelFilter(text: string): ModelTest {
  const tests: ModelTest[] = [];
  for (const part of text.split(/\s+and\s+/i)) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const match = /^(?:attributes?\.)?(\w+)\s*(=|!=)\s*(['"])(.*)\3$/i.exec(trimmed);
    const read = match ? MODEL_FIELDS[(match[1] as string).toLowerCase()] : undefined;
    if (!match || read === undefined) {
      throw invalidParameter(
        `Invalid filter '${text}': ghml filters logged models with = or != on name, model_id, source_run_id, status and model_type.`,
      );
    }
    const value = match[4] as string;
    tests.push(match[2] === '=' ? (m) => read(m) === value : (m) => read(m) !== value);
  }
  return (m) => tests.every((t) => t(m));
}

export function addLoggedModelRoutes(router: Router, services: MlflowServices): void {
  const { models, experiments, runs } = services;

  router.add('POST', '/mlflow/logged-models', async (req) => {
    const fields = await req.fields();
    const experiment = await experiments.nameOf(
      optionalString(fields, 'experiment_id') || DEFAULT_EXPERIMENT_ID,
    );
    const model = await models.create({
      experiment,
      name: optionalString(fields, 'name') || 'model',
      sourceRunId: optionalString(fields, 'source_run_id'),
      modelType: optionalString(fields, 'model_type'),
      tags: keyValueList(fields, 'tags'),
      params: keyValueList(fields, 'params'),
    });
    return { json: { model } };
  });

  router.add('GET', '/mlflow/logged-models/{model_id}', async (req) => {
    return { json: { model: await models.get(req.params.model_id ?? '') } };
  });

  router.add('PATCH', '/mlflow/logged-models/{model_id}', async (req) => {
    const fields = await req.fields();
    const model = await models.finalize(
      req.params.model_id ?? '',
      requiredString(fields, 'status'),
    );
    return { json: { model } };
  });

  router.add('PATCH', '/mlflow/logged-models/{model_id}/tags', async (req) => {
    await models.setTags(req.params.model_id ?? '', keyValueList(await req.fields(), 'tags'));
    return { json: {} };
  });

  router.add('POST', '/mlflow/logged-models/search', async (req) => {
    const fields = await req.fields();
    const names = await Promise.all(
      stringList(fields, 'experiment_ids').map((id) => experiments.nameOf(id)),
    );
    const test = modelFilter(optionalString(fields, 'filter') ?? '');
    const maxResults = optionalInteger(fields, 'max_results') ?? 100;
    if (maxResults < 1)
      throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results' supplied.`);
    const offset = decodePageToken(optionalString(fields, 'page_token'));
    const found: FoundRun[] = [];
    const openIds = new Set<string>();
    for (const state of runs.openRuns()) {
      if (!names.includes(state.experiment)) continue;
      openIds.add(state.id);
      found.push({ kind: 'open', state });
    }
    for (const experiment of names) {
      for (const run of await services.store.listRuns({ experiment })) {
        if (!openIds.has(run.id)) found.push({ kind: 'stored', run, deleted: runs.isDeleted(run) });
      }
    }
    const all = found
      .flatMap((run) => models.modelsOf(run))
      .filter(test)
      .sort((a, b) => b.info.creation_timestamp_ms - a.info.creation_timestamp_ms);
    const page = all.slice(offset, offset + maxResults);
    const next = offset + maxResults;
    return {
      json: {
        models: page,
        ...(next < all.length ? { next_page_token: encodePageToken(next) } : {}),
      },
    };
  });
}
