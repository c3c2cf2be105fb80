/**
 * Checks Kubernetes objects against their schemas: the Kubernetes kinds through the
 * `kubernetes-models` package, KServe's InferenceService through INFERENCE_SERVICE_SCHEMA.
 * Used by the stand-in (an invalid object is refused with 422, as a real API server would) and
 * by tests of rendered manifests.
 */
import { Ajv } from 'ajv';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { INFERENCE_SERVICE_SCHEMA } from './inference-service-schema.js';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap as unknown as ModelClass,
  'v1/Namespace': Namespace as unknown as ModelClass,
  'v1/Pod': Pod as unknown as ModelClass,
  'v1/Secret': Secret as unknown as ModelClass,
  'v1/Service': Service as unknown as ModelClass,
  'v1/ServiceAccount': ServiceAccount as unknown as ModelClass,
  'apps/v1/Deployment': Deployment as unknown as ModelClass,
  'coordination.k8s.io/v1/Lease': Lease as unknown as ModelClass,
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validateInferenceService = ajv.compile(INFERENCE_SERVICE_SCHEMA);

// Object names: DNS-1123 subdomains (Services and most kinds need a DNS-1123 label, checked below).
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function labelProblems(labels: unknown): string[] {
  if (labels === undefined) return [];
  if (typeof labels !== 'object' || labels === null) return ['metadata.labels must be a map'];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const [prefix, name] = key.includes('/') ? key.split('/', 2) : [undefined, key];
    if (name === undefined || name.length > 63 || !LABEL_NAME.test(name)) {
      problems.push(`metadata.labels: invalid label key '${key}'`);
    }
    if (prefix !== undefined && (prefix.length > 253 || !SUBDOMAIN.test(prefix))) {
      problems.push(`metadata.labels: invalid label key prefix '${key}'`);
    }
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      problems.push(`metadata.labels.${key}: invalid label value '${String(value)}'`);
    }
  }
  return problems;
}

/** Problems with an object (empty when valid). Unknown kinds are only checked for metadata. */
export function manifestProblems(object: Record<string, unknown>): string[] {
  const apiVersion = String(object['apiVersion'] ?? '');
  const kind = String(object['kind'] ?? '');
  const metadata = (object['metadata'] ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const name = metadata['name'];
  if (typeof name !== 'string' || name.length > 253 || !SUBDOMAIN.test(name)) {
    problems.push(`metadata.name: invalid name '${String(name)}'`);
  } else if (
    (kind === 'Service' || kind === 'InferenceService') &&
    (name.length > 63 || !DNS_LABEL.test(name))
  ) {
    problems.push(`metadata.name: '${name}' must be a DNS-1035 label`);
  }
  problems.push(...labelProblems(metadata['labels']));
  if (kind === 'Deployment') {
    const template = ((object['spec'] as Record<string, unknown> | undefined)?.['template'] ??
      {}) as Record<string, unknown>;
    problems.push(
      ...labelProblems((template['metadata'] as Record<string, unknown> | undefined)?.['labels']),
    );
  }
  if (apiVersion === 'serving.kserve.io/v1beta1' && kind === 'InferenceService') {
    if (!validateInferenceService(object)) {
      for (const e of validateInferenceService.errors ?? []) {
        problems.push(`${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
      }
    }
    return problems;
  }
  const Model = MODELS[`${apiVersion}/${kind}`];
  if (Model) {
    try {
      new Model(object as never).validate();
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}
