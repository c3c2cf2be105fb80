/**
 * templates/k8s/kserve-mlflow renders, with the deploy code's own renderer, into an
 * InferenceService that KServe's v1beta1 schema accepts: modelFormat mlflow, protocol v2.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE, type DeployValues } from '../../../src/deploy/manifests/deploy-values.js';
import { renderTemplates } from '../../../src/deploy/manifests/manifest-render.js';
import { manifestProblems } from '../../support/kube-apiserver/manifest-validation.js';

const DIR = resolve(import.meta.dirname, '../../../templates/k8s/kserve-mlflow');

const values: DeployValues = {
  model: 'iris',
  version: 'v0.0.1',
  stage: 'prod',
  uri: 'https://github.com/acme/iris/releases/download/iris%40v0.0.1/model.tar.gz',
  sha256: 'a'.repeat(64),
  commit: 'c'.repeat(40),
  image: DEFAULT_IMAGE,
  tag: 'iris@v0.0.1',
  runId: '01JDXYZ0000000000000000000',
  name: 'iris-prod',
  modelFormat: 'sklearn',
  file: 'model.tar.gz',
  source: 'url',
  store: '',
  files: '',
};

describe('the kserve-mlflow template set', () => {
  it('renders an MLflow InferenceService that the KServe schema accepts', () => {
    const files = readdirSync(DIR).map((name) => ({
      displayPath: `templates/k8s/kserve-mlflow/${name}`,
      text: readFileSync(join(DIR, name), 'utf8'),
    }));
    const { objects, used } = renderTemplates(files, values);
    expect(objects).toHaveLength(1);
    const isvc = objects[0] as unknown as {
      spec: { predictor: { model: unknown } };
    } & Record<string, unknown>;
    expect(manifestProblems(isvc)).toEqual([]);
    expect(isvc.spec.predictor.model).toEqual({
      modelFormat: { name: 'mlflow' },
      protocolVersion: 'v2',
      storageUri: values.uri,
    });
    expect(isvc).toMatchObject({ kind: 'InferenceService', metadata: { name: 'iris-prod' } });
    expect([...used].sort()).toEqual(['name', 'uri']);
  });
});
