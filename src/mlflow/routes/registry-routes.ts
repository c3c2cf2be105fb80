/**
 * The model registry API (registered-models/*, model-versions/*) over the git-tag registry;
 * see registry-bridge.ts for the mapping.
 */
import { invalidParameter } from '../http/mlflow-error.js';
import {
  optionalBoolean,
  optionalInteger,
  optionalString,
  requiredString,
  stringList,
  type Fields,
} from '../http/request-input.js';
import type { RouteRequest, Router } from '../http/router.js';
import type { MlflowServices } from '../mlflow-services.js';
import { decodePageToken, encodePageToken } from '../runs/run-search.js';

/** `name = 'x'`, `name LIKE 'x%'`, `run_id = '…'` joined by AND: what the clients send. */
function registryFilter(text: string): { name: (n: string) => boolean; runId?: string } {
  const names: Array<(n: string) => boolean> = [];
  let runId: string | undefined;
  for (const part of text.split(/\s+and\s+/i)) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const match = /^(name|run_id)\s*(=|!=|LIKE|ILIKE)\s*(['"])(.*)\3$/i.exec(trimmed);
    if (!match) {
      throw invalidParameter(
        `Invalid filter '${text}': ghml filters the registry on name (=, !=, LIKE, ILIKE) and run_id (=).`,
      );
    }
    const field = (match[1] as string).toLowerCase();
    const op = (match[2] as string).toUpperCase();
    const value = match[4] as string;
    if (field === 'run_id') {
      runId = value;
      continue;
    }
    if (op === '=') names.push((n) => n === value);
    else if (op === '!=') names.push((n) => n !== value);
    else {
      const source = [...value]
        .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('');
      const re = new RegExp(`^${source}$`, op === 'ILIKE' ? 'is' : 's');
      names.push((n) => re.test(n));
    }
  }
  return { name: (n) => names.every((t) => t(n)), ...(runId === undefined ? {} : { runId }) };
}

function paged<T>(items: T[], fields: Fields, defaultMax: number): { page: T[]; next?: string } {
  const max = optionalInteger(fields, 'max_results') ?? defaultMax;
  if (max < 1) throw invalidParameter(`Invalid value ${max} for parameter 'max_results' supplied.`);
  const offset = decodePageToken(optionalString(fields, 'page_token'));
  const next = offset + max;
  return {
    page: items.slice(offset, next),
    ...(next < items.length ? { next: encodePageToken(next) } : {}),
  };
}

export function addRegistryRoutes(router: Router, services: MlflowServices): void {
  const registry = services.registry;

  router.add('POST', '/mlflow/registered-models/create', async (req) => {
    const fields = await req.fields();
    return {
      json: { registered_model: await registry.createModel(requiredString(fields, 'name')) },
    };
  });

  router.add('GET', '/mlflow/registered-models/get', async (req) => {
    const fields = await req.fields();
    return { json: { registered_model: await registry.getModel(requiredString(fields, 'name')) } };
  });

  router.add('GET', '/mlflow/registered-models/search', async (req) => {
    const fields = await req.fields();
    const filter = registryFilter(optionalString(fields, 'filter') ?? '');
    const { page, next } = paged(await registry.searchModels(filter.name), fields, 100);
    return {
      json: { registered_models: page, ...(next === undefined ? {} : { next_page_token: next }) },
    };
  });

  const latest = async (req: RouteRequest) => {
    const fields = await req.fields();
    const model = await registry.getModel(requiredString(fields, 'name'));
    const stages = stringList(fields, 'stages').map((s) => s.toLowerCase());
    const versions = model.latest_versions.filter(
      (v) => stages.length === 0 || stages.includes(v.current_stage.toLowerCase()),
    );
    return { json: { model_versions: versions } };
  };
  router.add('POST', '/mlflow/registered-models/get-latest-versions', latest);
  router.add('GET', '/mlflow/registered-models/get-latest-versions', latest);

  router.add('POST', '/mlflow/model-versions/create', async (req) => {
    const fields = await req.fields();
    const version = await registry.createVersion(
      requiredString(fields, 'name'),
      requiredString(fields, 'source'),
      optionalString(fields, 'run_id'),
      optionalString(fields, 'model_id'),
    );
    return { json: { model_version: version } };
  });

  router.add('GET', '/mlflow/model-versions/get', async (req) => {
    const fields = await req.fields();
    const version = await registry.version(
      requiredString(fields, 'name'),
      requiredString(fields, 'version'),
    );
    return { json: { model_version: version } };
  });

  router.add('GET', '/mlflow/model-versions/search', async (req) => {
    const fields = await req.fields();
    const filter = registryFilter(optionalString(fields, 'filter') ?? '');
    const { page, next } = paged(
      await registry.searchVersions(filter.name, filter.runId),
      fields,
      10_000,
    );
    return {
      json: { model_versions: page, ...(next === undefined ? {} : { next_page_token: next }) },
    };
  });

  router.add('POST', '/mlflow/model-versions/transition-stage', async (req) => {
    const fields = await req.fields();
    const version = await registry.transition(
      requiredString(fields, 'name'),
      requiredString(fields, 'version'),
      requiredString(fields, 'stage'),
      optionalBoolean(fields, 'archive_existing_versions') ?? false,
    );
    return { json: { model_version: version } };
  });

  router.add('DELETE', '/mlflow/model-versions/delete', async (req) => {
    const fields = await req.fields();
    await registry.deleteVersion(requiredString(fields, 'name'), requiredString(fields, 'version'));
    return { json: {} };
  });

  router.add('GET', '/mlflow/model-versions/get-download-uri', async (req) => {
    const fields = await req.fields();
    const uri = await registry.downloadUri(
      requiredString(fields, 'name'),
      requiredString(fields, 'version'),
    );
    return { json: { artifact_uri: uri } };
  });

  router.add('POST', '/mlflow/registered-models/alias', async (req) => {
    const fields = await req.fields();
    await registry.setAlias(
      requiredString(fields, 'name'),
      requiredString(fields, 'alias'),
      requiredString(fields, 'version'),
    );
    return { json: {} };
  });

  router.add('DELETE', '/mlflow/registered-models/alias', async (req) => {
    const fields = await req.fields();
    await registry.deleteAlias(requiredString(fields, 'name'), requiredString(fields, 'alias'));
    return { json: {} };
  });

  router.add('GET', '/mlflow/registered-models/alias', async (req) => {
    const fields = await req.fields();
    const version = await registry.byAlias(
      requiredString(fields, 'name'),
      requiredString(fields, 'alias'),
    );
    return { json: { model_version: version } };
  });
}
