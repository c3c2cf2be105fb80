/**
 * The resource types the API-server stand-in serves, and the discovery documents kubectl reads
 * before it does anything: `/api`, `/apis`, one APIResourceList per group version, and an
 * OpenAPI v3 index whose PATCH operations accept `fieldValidation`, so `kubectl apply` leaves
 * validation to the server (which checks objects against the Kubernetes schemas).
 */

/** One served resource type. */
export interface ApiResource {
  group: string;
  version: string;
  /** Plural, lowercase: 'deployments'. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: string[];
}

const ALL_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function type(
  group: string,
  version: string,
  resource: string,
  kind: string,
  extra: Partial<
    Pick<ApiResource, 'namespaced' | 'shortNames' | 'categories' | 'subresources'>
  > = {},
): ApiResource {
  return {
    group,
    version,
    resource,
    singular: kind.toLowerCase(),
    kind,
    namespaced: extra.namespaced ?? true,
    shortNames: extra.shortNames ?? [],
    categories: extra.categories ?? [],
    subresources: extra.subresources ?? [],
  };
}

export const API_RESOURCES: readonly ApiResource[] = [
  type('', 'v1', 'namespaces', 'Namespace', { namespaced: false, shortNames: ['ns'] }),
  type('', 'v1', 'pods', 'Pod', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status'],
  }),
  type('', 'v1', 'services', 'Service', { shortNames: ['svc'], categories: ['all'] }),
  type('', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
  type('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  type('', 'v1', 'secrets', 'Secret'),
  type('', 'v1', 'serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
  type('apps', 'v1', 'deployments', 'Deployment', {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  type('apps', 'v1', 'replicasets', 'ReplicaSet', {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  type('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  type('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  type('serving.kserve.io', 'v1beta1', 'inferenceservices', 'InferenceService', {
    shortNames: ['isvc'],
    categories: ['all'],
    subresources: ['status'],
  }),
];

/** `v1` or `apps/v1`. */
export function groupVersion(r: Pick<ApiResource, 'group' | 'version'>): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** The URL prefix of a group version: `/api/v1` or `/apis/apps/v1`. */
export function groupVersionPath(r: Pick<ApiResource, 'group' | 'version'>): string {
  return r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
}

export function findResource(
  group: string,
  version: string,
  resource: string,
): ApiResource | undefined {
  return API_RESOURCES.find(
    (r) => r.group === group && r.version === version && r.resource === resource,
  );
}

export function resourceForKind(apiVersion: string, kind: string): ApiResource | undefined {
  return API_RESOURCES.find((r) => groupVersion(r) === apiVersion && r.kind === kind);
}

function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of API_RESOURCES) seen.set(groupVersion(r), { group: r.group, version: r.version });
  return [...seen.values()];
}

export function legacyApiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroupList(): unknown {
  const groups = groupVersions().filter((gv) => gv.group !== '');
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((gv) => {
      const entry = { groupVersion: groupVersion(gv), version: gv.version };
      return { name: gv.group, versions: [entry], preferredVersion: entry };
    }),
  };
}

/** The APIResourceList of `/api/v1` or `/apis/<group>/<version>`, or undefined. */
export function apiResourceList(group: string, version: string): unknown {
  const resources = API_RESOURCES.filter((r) => r.group === group && r.version === version);
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion({ group, version }),
    resources: resources.flatMap((r) => [
      {
        name: r.resource,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ALL_VERBS,
        ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
        ...(r.categories.length > 0 ? { categories: r.categories } : {}),
      },
      ...r.subresources.map((sub) => ({
        name: `${r.resource}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: sub === 'scale' ? 'Scale' : r.kind,
        verbs: ['get', 'patch', 'update'],
      })),
    ]),
  };
}

/** `/openapi/v3`: one entry per group version. */
export function openApiV3Index(): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions()) {
    const key = groupVersionPath(gv).slice(1);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=ghml-standin` };
  }
  return { paths };
}

/**
 * `/openapi/v3/<gv>`: only what kubectl's field-validation check reads, a PATCH operation per
 * kind carrying `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter.
 */
export function openApiV3Document(gvPath: string): unknown {
  const resources = API_RESOURCES.filter((r) => groupVersionPath(r) === `/${gvPath}`);
  if (resources.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of resources) {
    const scope = r.namespaced ? '/namespaces/{namespace}' : '';
    paths[`${groupVersionPath(r)}${scope}/${r.resource}/{name}`] = {
      patch: {
        operationId: `patch${r.kind}`,
        'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
        parameters: [
          { name: 'fieldManager', in: 'query', schema: { type: 'string' } },
          { name: 'fieldValidation', in: 'query', schema: { type: 'string' } },
          { name: 'force', in: 'query', schema: { type: 'boolean' } },
        ],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}
