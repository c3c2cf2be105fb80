/**
 * A JSON schema (draft 2020-12 subset, for ajv) of the KServe `InferenceService` fields ghml's
 * templates use, written from KServe's public v1beta1 API: `spec.predictor.model` with a
 * required `modelFormat.name`, an optional `storageUri`, `runtime` and `protocolVersion`, and
 * the predictor's replica bounds. Unknown predictor fields are allowed, as the CRD allows the
 * pod-spec fields there.
 */
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

export const INFERENCE_SERVICE_SCHEMA = {
  $id: 'ghml-test:kserve-inference-service-v1beta1',
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'serving.kserve.io/v1beta1' },
    kind: { const: 'InferenceService' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: {
        // KServe names become DNS-1035 labels (hostnames, Knative services).
        name: { type: 'string', pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
        namespace: { type: 'string' },
        labels: stringMap,
        annotations: stringMap,
      },
    },
    spec: {
      type: 'object',
      required: ['predictor'],
      properties: {
        predictor: {
          type: 'object',
          properties: {
            minReplicas: { type: 'integer', minimum: 0 },
            maxReplicas: { type: 'integer', minimum: 0 },
            serviceAccountName: { type: 'string' },
            model: {
              type: 'object',
              required: ['modelFormat'],
              properties: {
                modelFormat: {
                  type: 'object',
                  required: ['name'],
                  additionalProperties: false,
                  properties: {
                    name: { type: 'string', minLength: 1 },
                    version: { type: 'string' },
                  },
                },
                runtime: { type: 'string' },
                storageUri: { type: 'string' },
                protocolVersion: { enum: ['v1', 'v2', 'grpc-v2'] },
                args: { type: 'array', items: { type: 'string' } },
                env: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['name'],
                    properties: { name: { type: 'string' }, value: { type: 'string' } },
                  },
                },
                resources: {
                  type: 'object',
                  properties: { limits: stringMap, requests: stringMap },
                },
              },
            },
          },
        },
        transformer: { type: 'object' },
        explainer: { type: 'object' },
      },
    },
    status: { type: 'object' },
  },
} as const;
