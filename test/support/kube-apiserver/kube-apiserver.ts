/**
 * The API-server stand-in: a real HTTP server on 127.0.0.1 that the real `kubectl` talks to
 * through a kubeconfig from `kubeconfig.ts`. It serves discovery, an OpenAPI v3 index (so
 * kubectl leaves field validation to it), and create/get/list/watch/replace/patch/delete for
 * the types in `api-resources.ts`, with server-side apply. Written objects are checked against
 * the Kubernetes schemas (422 when invalid). `workload-controller.ts` plays the controllers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import {
  apiGroupList,
  apiResourceList,
  findResource,
  groupVersion,
  legacyApiVersions,
  openApiV3Document,
  openApiV3Index,
  resourceForKind,
  type ApiResource,
} from './api-resources.js';
import { parseSelector } from './label-selector.js';
import { manifestProblems } from './manifest-validation.js';
import { metaOf, ObjectStore, type StoreEvent } from './object-store.js';
import {
  clone,
  isObject,
  jsonPatch,
  mergePatch,
  serverSideApply,
  type Json,
  type JsonObject,
} from './patches.js';
import {
  WorkloadController,
  type RolloutScenario,
  type ScenarioFunction,
} from './workload-controller.js';

export interface KubeApiServerOptions {
  /**
   * Bearer token the server accepts (default 'ghml-standin-token'). kubectl sends none over
   * plain HTTP, so requests without one are served too; a wrong one gets 401.
   */
  token?: string;
  /** Delay of each controller step in ms (default 150). */
  stepMs?: number;
  /** How rollouts go (default: every rollout becomes ready). */
  scenario?: RolloutScenario | ScenarioFunction;
}

/** One request the server answered. */
export interface KubeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  status: number;
}

export interface KubeApiServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly token: string;
  readonly requests: readonly KubeRequest[];
  /** Sets how the next rollouts go. */
  setScenario(scenario: RolloutScenario | ScenarioFunction): void;
  setStepMs(ms: number): void;
  /** A stored object, or undefined. */
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): JsonObject | undefined;
  list(apiVersion: string, kind: string, namespace?: string): JsonObject[];
  /** Stores an object as if created by someone else (seeding a test). */
  create(object: JsonObject): JsonObject;
  close(): Promise<void>;
}

class HttpStatus extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: JsonObject = {},
  ) {
    super(message);
  }
}

function qualified(resource: ApiResource): string {
  return resource.group === '' ? resource.resource : `${resource.resource}.${resource.group}`;
}

function notFound(resource: ApiResource, name: string): HttpStatus {
  return new HttpStatus(404, 'NotFound', `${qualified(resource)} "${name}" not found`, {
    name,
    group: resource.group,
    kind: resource.resource,
  });
}

function statusBody(error: HttpStatus): JsonObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: error.message,
    reason: error.reason,
    details: error.details,
    code: error.code,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function valueAt(object: JsonObject, path: string): string | undefined {
  let current: Json | undefined = object;
  for (const part of path.split('.')) current = isObject(current) ? current[part] : undefined;
  return current === undefined || current === null ? undefined : String(current);
}

function fieldMatcher(text: string | undefined): (object: JsonObject) => boolean {
  if (!text) return () => true;
  const terms = text.split(',').map((term) => {
    const negate = term.includes('!=');
    const [path = '', value = ''] = term.split(negate ? '!=' : /==?/);
    return { path: path.trim(), value: value.trim(), negate };
  });
  return (object) => terms.every((t) => (valueAt(object, t.path) === t.value) !== t.negate);
}

export async function startKubeApiServer(
  options: KubeApiServerOptions = {},
): Promise<KubeApiServer> {
  const token = options.token ?? 'ghml-standin-token';
  const store = new ObjectStore();
  let scenario: ScenarioFunction = toFunction(options.scenario ?? 'ready');
  let stepMs = options.stepMs ?? 150;
  const controller = new WorkloadController(
    store,
    () => scenario,
    () => stepMs,
  );
  const requests: KubeRequest[] = [];
  const watches = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function send(res: ServerResponse, status: number, body: unknown, log: KubeRequest): void {
    log.status = status;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', url);
    const query = Object.fromEntries(parsed.searchParams.entries());
    const log: KubeRequest = {
      method: req.method ?? 'GET',
      path: parsed.pathname,
      query,
      contentType: req.headers['content-type'],
      status: 0,
    };
    requests.push(log);
    try {
      // kubectl does not send bearer tokens over plain HTTP; a wrong one is still refused.
      const auth = req.headers.authorization;
      if (auth !== undefined && auth !== `Bearer ${token}`) {
        throw new HttpStatus(401, 'Unauthorized', 'Unauthorized');
      }
      const body = await readBody(req);
      const result = route(log.method, parsed.pathname, query, body, log.contentType, res, log);
      if (result !== undefined) send(res, result.status, result.body, log);
    } catch (error) {
      const status =
        error instanceof HttpStatus
          ? error
          : new HttpStatus(500, 'InternalError', `stand-in failure: ${(error as Error).message}`);
      send(res, status.code, statusBody(status), log);
    }
  }

  function route(
    method: string,
    path: string,
    query: Record<string, string>,
    body: string,
    contentType: string | undefined,
    res: ServerResponse,
    log: KubeRequest,
  ): { status: number; body: unknown } | undefined {
    const segments = path.split('/').filter((s) => s !== '');
    if (path === '/version') {
      return {
        status: 200,
        body: {
          major: '1',
          minor: '32',
          gitVersion: 'v1.32.4',
          gitCommit: 'ghml-standin',
          gitTreeState: 'clean',
          buildDate: '2025-01-01T00:00:00Z',
          goVersion: 'go1.23',
          compiler: 'gc',
          platform: 'linux/amd64',
        },
      };
    }
    if (path === '/api') return { status: 200, body: legacyApiVersions(url) };
    if (path === '/apis') return { status: 200, body: apiGroupList() };
    if (segments[0] === 'openapi') {
      if (segments[1] === 'v3') {
        const doc =
          segments.length === 2 ? openApiV3Index() : openApiV3Document(segments.slice(2).join('/'));
        if (doc !== undefined) return { status: 200, body: doc };
      }
      throw new HttpStatus(404, 'NotFound', 'the server could not find the requested resource');
    }
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 2) {
      group = '';
      version = segments[1] ?? '';
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 3) {
      group = segments[1] ?? '';
      version = segments[2] ?? '';
      rest = segments.slice(3);
    } else {
      throw new HttpStatus(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (rest.length === 0) {
      const list = apiResourceList(group, version);
      if (list === undefined)
        throw new HttpStatus(404, 'NotFound', 'the server could not find the requested resource');
      return { status: 200, body: list };
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const resource = findResource(group, version, rest[0] ?? '');
    if (!resource)
      throw new HttpStatus(404, 'NotFound', 'the server could not find the requested resource');
    if (!resource.namespaced) namespace = undefined;
    const name = rest[1];
    const subresource = rest[2];

    if (name === undefined) {
      if (method === 'GET' && (query['watch'] === 'true' || query['watch'] === '1')) {
        startWatch(resource, namespace, query, res, log);
        return undefined;
      }
      if (method === 'GET') return { status: 200, body: listBody(resource, namespace, query) };
      if (method === 'POST')
        return { status: 201, body: create(resource, namespace, decode(body, contentType)) };
      throw new HttpStatus(405, 'MethodNotAllowed', `${method} is not supported on a collection`);
    }
    if (subresource !== undefined && subresource !== 'status') {
      throw new HttpStatus(404, 'NotFound', `subresource '${subresource}' is not served`);
    }
    const live = store.get(resource, namespace, name);
    switch (method) {
      case 'GET':
        if (!live) throw notFound(resource, name);
        return { status: 200, body: live };
      case 'PUT':
        if (!live) throw notFound(resource, name);
        return {
          status: 200,
          body: replace(resource, live, decode(body, contentType), subresource === 'status'),
        };
      case 'PATCH':
        return patch(resource, namespace, name, live, body, contentType, query);
      case 'DELETE': {
        if (!live) throw notFound(resource, name);
        store.delete(resource, namespace, name);
        return { status: 200, body: live };
      }
      default:
        throw new HttpStatus(405, 'MethodNotAllowed', `${method} is not supported`);
    }
  }

  function decode(body: string, contentType: string | undefined): JsonObject {
    let value: unknown;
    try {
      value = contentType?.includes('yaml') ? parseYaml(body) : JSON.parse(body);
    } catch (error) {
      throw new HttpStatus(400, 'BadRequest', `cannot decode body: ${(error as Error).message}`);
    }
    if (!isObject(value as Json) && !Array.isArray(value)) {
      throw new HttpStatus(400, 'BadRequest', 'body must be an object');
    }
    return value as JsonObject;
  }

  function check(resource: ApiResource, object: JsonObject): void {
    const problems = manifestProblems(object);
    if (problems.length > 0) {
      const name = valueAt(object, 'metadata.name') ?? '';
      throw new HttpStatus(
        422,
        'Invalid',
        `${resource.kind}.${resource.group || 'core'} "${name}" is invalid: ${problems.join('; ')}`,
        {
          name,
          group: resource.group,
          kind: resource.kind,
        },
      );
    }
  }

  function placed(
    resource: ApiResource,
    namespace: string | undefined,
    object: JsonObject,
  ): JsonObject {
    const copy = clone(object);
    copy['apiVersion'] = groupVersion(resource);
    copy['kind'] = resource.kind;
    const meta = isObject(copy['metadata']) ? copy['metadata'] : {};
    if (resource.namespaced)
      meta['namespace'] =
        namespace ?? (typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default');
    copy['metadata'] = meta;
    return copy;
  }

  function create(
    resource: ApiResource,
    namespace: string | undefined,
    input: JsonObject,
  ): JsonObject {
    const object = placed(resource, namespace, input);
    const name = valueAt(object, 'metadata.name') ?? '';
    if (
      store.get(
        resource,
        resource.namespaced ? valueAt(object, 'metadata.namespace') : undefined,
        name,
      )
    ) {
      throw new HttpStatus(
        409,
        'AlreadyExists',
        `${qualified(resource)} "${name}" already exists`,
        {
          name,
          group: resource.group,
          kind: resource.resource,
        },
      );
    }
    check(resource, object);
    return store.create(resource, object);
  }

  function replace(
    resource: ApiResource,
    live: JsonObject,
    input: JsonObject,
    status: boolean,
  ): JsonObject {
    const liveMeta = metaOf(live);
    const wanted = valueAt(input, 'metadata.resourceVersion');
    if (wanted !== undefined && wanted !== liveMeta.resourceVersion) {
      throw new HttpStatus(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualified(resource)} "${liveMeta.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: liveMeta.name, group: resource.group, kind: resource.resource },
      );
    }
    const object = status
      ? { ...live, status: clone(input['status'] ?? {}) }
      : placed(resource, liveMeta.namespace, input);
    if (!status) {
      object['status'] = clone(live['status'] ?? null);
      if (object['status'] === null) delete object['status'];
    }
    check(resource, object);
    return store.update(resource, object);
  }

  function patch(
    resource: ApiResource,
    namespace: string | undefined,
    name: string,
    live: JsonObject | undefined,
    body: string,
    contentType: string | undefined,
    query: Record<string, string>,
  ): { status: number; body: unknown } {
    const type = contentType?.split(';')[0]?.trim() ?? '';
    if (type === 'application/apply-patch+yaml') {
      if (!query['fieldManager']) {
        throw new HttpStatus(
          422,
          'Invalid',
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        );
      }
      const applied = placed(resource, namespace, decode(body, 'yaml'));
      if (!live) {
        check(resource, applied);
        return { status: 201, body: store.create(resource, applied) };
      }
      const merged = serverSideApply(live, applied);
      check(resource, merged);
      return { status: 200, body: store.update(resource, merged) };
    }
    if (!live) throw notFound(resource, name);
    let next: Json;
    try {
      next =
        type === 'application/json-patch+json'
          ? jsonPatch(live, JSON.parse(body) as Json)
          : mergePatch(live, JSON.parse(body) as Json);
    } catch (error) {
      throw new HttpStatus(422, 'Invalid', `cannot apply patch: ${(error as Error).message}`);
    }
    if (!isObject(next)) throw new HttpStatus(422, 'Invalid', 'patch did not produce an object');
    const object = placed(resource, namespace, next);
    check(resource, object);
    return { status: 200, body: store.update(resource, object) };
  }

  function matcher(query: Record<string, string>): (object: JsonObject) => boolean {
    const labels = parseSelector(query['labelSelector']);
    const fields = fieldMatcher(query['fieldSelector']);
    return (object) => labels(metaOf(object).labels ?? {}) && fields(object);
  }

  function listBody(
    resource: ApiResource,
    namespace: string | undefined,
    query: Record<string, string>,
  ): JsonObject {
    const match = matcher(query);
    return {
      kind: `${resource.kind}List`,
      apiVersion: groupVersion(resource),
      metadata: { resourceVersion: String(store.resourceVersion) },
      items: store.list(resource, namespace).filter(match),
    };
  }

  function startWatch(
    resource: ApiResource,
    namespace: string | undefined,
    query: Record<string, string>,
    res: ServerResponse,
    log: KubeRequest,
  ): void {
    log.status = 200;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    // Send the headers now, as a real API server does: kubectl blocks until it has them, even
    // after it stopped caring (a rollout already complete when it listed).
    res.flushHeaders();
    watches.add(res);
    const match = matcher(query);
    const relevant = (e: StoreEvent): boolean =>
      e.resource === resource &&
      (namespace === undefined || metaOf(e.object).namespace === namespace) &&
      match(e.object);
    const write = (type: string, object: JsonObject): void => {
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const from = query['resourceVersion'];
    if (
      from === undefined ||
      from === '' ||
      from === '0' ||
      query['sendInitialEvents'] === 'true'
    ) {
      for (const object of store.list(resource, namespace).filter(match)) write('ADDED', object);
      if (query['sendInitialEvents'] === 'true') {
        write('BOOKMARK', {
          kind: resource.kind,
          apiVersion: groupVersion(resource),
          metadata: {
            resourceVersion: String(store.resourceVersion),
            annotations: { 'k8s.io/initial-events-end': 'true' },
          },
        });
      }
    } else {
      for (const e of store.eventsSince(Number(from))) if (relevant(e)) write(e.type, e.object);
    }
    const unsubscribe = store.subscribe((e) => {
      if (relevant(e)) write(e.type, e.object);
    });
    const seconds = Number(query['timeoutSeconds'] ?? 0);
    const timer = seconds > 0 ? setTimeout(() => res.end(), seconds * 1000) : undefined;
    res.on('close', () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      watches.delete(res);
    });
  }

  function resourceOf(apiVersion: string, kind: string): ApiResource {
    const found = resourceForKind(apiVersion, kind);
    if (!found) throw new Error(`the stand-in does not serve ${apiVersion} ${kind}`);
    return found;
  }

  return {
    url,
    token,
    requests,
    setScenario(next) {
      scenario = toFunction(next);
    },
    setStepMs(ms) {
      stepMs = ms;
    },
    get: (apiVersion, kind, namespace, name) =>
      store.get(resourceOf(apiVersion, kind), namespace, name),
    list: (apiVersion, kind, namespace) => store.list(resourceOf(apiVersion, kind), namespace),
    create(object) {
      const resource = resourceOf(String(object['apiVersion']), String(object['kind']));
      return create(resource, valueAt(object, 'metadata.namespace'), object);
    },
    async close() {
      controller.close();
      for (const res of watches) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function toFunction(scenario: RolloutScenario | ScenarioFunction): ScenarioFunction {
  return typeof scenario === 'function' ? scenario : () => scenario;
}
