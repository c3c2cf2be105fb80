/** experiments/*: get-by-name, create, get, search, set-experiment-tag, delete-experiment-tag. */
import { invalidParameter } from '../http/mlflow-error.js';
import {
  keyValueList,
  optionalInteger,
  optionalString,
  requiredString,
} from '../http/request-input.js';
import type { RouteRequest, Router } from '../http/router.js';
import type { MlflowServices } from '../mlflow-services.js';
import { decodePageToken, encodePageToken } from '../runs/run-search.js';

const MAX_EXPERIMENTS_PER_PAGE = 50_000;

/** `name = 'x'`, `name LIKE 'x%'` / ILIKE, joined by AND: what experiment searches use. */
function experimentFilter(text: string): (name: string) => boolean {
  const tests: Array<(name: string) => boolean> = [];
  for (const part of text.split(/\s+and\s+/i)) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const match = /^(?:attributes?\.)?name\s*(=|!=|LIKE|ILIKE)\s*(['"])(.*)\2$/i.exec(trimmed);
    if (!match) {
      throw invalidParameter(
        `Invalid filter '${text}': ghml searches experiments by name only (name = 'x', name LIKE 'x%').`,
      );
    }
    const op = (match[1] as string).toUpperCase();
    const value = match[3] as string;
    if (op === '=') tests.push((n) => n === value);
    else if (op === '!=') tests.push((n) => n !== value);
    else {
      const source = [...value]
        .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('');
      const re = new RegExp(`^${source}$`, op === 'ILIKE' ? 'is' : 's');
      tests.push((n) => re.test(n));
    }
  }
  return (name) => tests.every((t) => t(name));
}

export function addExperimentRoutes(router: Router, services: MlflowServices): void {
  const { experiments } = services;

  router.add('GET', '/mlflow/experiments/get-by-name', async (req) => {
    const name = requiredString(await req.fields(), 'experiment_name');
    await experiments.idOfExisting(name);
    return { json: { experiment: experiments.view(name) } };
  });

  router.add('POST', '/mlflow/experiments/create', async (req) => {
    const fields = await req.fields();
    const name = requiredString(fields, 'name');
    const id = await experiments.create(name, keyValueList(fields, 'tags'));
    return { json: { experiment_id: id } };
  });

  router.add('GET', '/mlflow/experiments/get', async (req) => {
    const id = requiredString(await req.fields(), 'experiment_id');
    const name = await experiments.nameOf(id);
    return { json: { experiment: experiments.view(name) } };
  });

  const search = async (req: RouteRequest) => {
    const fields = await req.fields();
    const maxResults = optionalInteger(fields, 'max_results') ?? 1000;
    if (maxResults < 1 || maxResults > MAX_EXPERIMENTS_PER_PAGE) {
      throw invalidParameter(
        `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be at most ${MAX_EXPERIMENTS_PER_PAGE}, but got value ${maxResults}`,
      );
    }
    const viewType = optionalString(fields, 'view_type') ?? 'ACTIVE_ONLY';
    const filter = experimentFilter(optionalString(fields, 'filter') ?? '');
    const names = viewType === 'DELETED_ONLY' ? [] : (await experiments.all()).filter(filter);
    const offset = decodePageToken(optionalString(fields, 'page_token'));
    const page = names.slice(offset, offset + maxResults).map((n) => experiments.view(n));
    const next = offset + maxResults;
    return {
      json: {
        experiments: page,
        ...(next < names.length ? { next_page_token: encodePageToken(next) } : {}),
      },
    };
  };
  router.add('POST', '/mlflow/experiments/search', search);
  router.add('GET', '/mlflow/experiments/search', search);

  router.add('POST', '/mlflow/experiments/set-experiment-tag', async (req) => {
    const fields = await req.fields();
    const name = await experiments.nameOf(requiredString(fields, 'experiment_id'));
    await experiments.setTag(
      name,
      requiredString(fields, 'key'),
      optionalString(fields, 'value') ?? '',
    );
    return { json: {} };
  });

  router.add('POST', '/mlflow/experiments/delete-experiment-tag', async (req) => {
    const fields = await req.fields();
    const name = await experiments.nameOf(requiredString(fields, 'experiment_id'));
    await experiments.deleteTag(name, requiredString(fields, 'key'));
    return { json: {} };
  });
}
