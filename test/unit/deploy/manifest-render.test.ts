import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { TemplateSyntaxError, UnknownPlaceholderError } from '../../../src/deploy/deploy-errors.js';
import { DEFAULT_IMAGE, type DeployValues } from '../../../src/deploy/manifests/deploy-values.js';
import { formatManifests } from '../../../src/deploy/manifests/manifest-format.js';
import { renderTemplates } from '../../../src/deploy/manifests/manifest-render.js';
import {
  builtInTemplateDir,
  loadTemplateSet,
} from '../../../src/deploy/manifests/template-source.js';
import { manifestProblems } from '../../support/kube-apiserver/index.js';

const values: DeployValues = {
  model: 'iris',
  version: 'v1.3.0',
  stage: 'prod',
  uri: 'https://github.com/acme/iris/releases/download/iris%40v1.3.0/model.pkl',
  sha256: 'ab'.repeat(32),
  commit: 'c'.repeat(40),
  image: DEFAULT_IMAGE,
  tag: 'iris@v1.3.0',
  runId: '01J5Q3W6D1Y0Z9C8B7A6F5E4D3',
  name: 'iris-prod',
  modelFormat: 'sklearn',
  file: 'model.pkl',
  source: 'url',
  store: '',
  files: '',
};

function file(text: string, displayPath = 'k8s/app.yaml') {
  return [{ displayPath, text }];
}

function reparse(text: string): unknown[] {
  const docs = parseAllDocuments(text);
  return (Array.isArray(docs) ? docs : []).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });
}

describe('built-in templates', () => {
  it('render a valid Deployment and Service carrying the model labels and annotations', async () => {
    const set = await loadTemplateSet('deployment', '/nowhere', '/nowhere');
    const { objects, used } = renderTemplates(set.files, values);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Deployment/iris-prod',
      'Service/iris-prod',
    ]);
    for (const o of objects) {
      expect(manifestProblems(o)).toEqual([]);
      expect(o.metadata.labels).toMatchObject({
        'ghml.dev/model': 'iris',
        'ghml.dev/version': 'v1.3.0',
        'ghml.dev/stage': 'prod',
      });
      expect(o.metadata.annotations).toMatchObject({
        'ghml.dev/sha256': values.sha256,
        'ghml.dev/commit': values.commit,
      });
    }
    const template = (
      objects[0] as unknown as {
        spec: { template: { metadata: { labels: Record<string, string> } } };
      }
    ).spec.template;
    expect(template.metadata.labels['ghml.dev/version']).toBe('v1.3.0');
    expect([...used].sort()).toEqual([
      'file',
      'files',
      'image',
      'name',
      'sha256',
      'source',
      'store',
      'uri',
      'version',
    ]);
    expect(reparse(formatManifests(objects))).toEqual(objects);
    expect(builtInTemplateDir('deployment')).toMatch(/templates[/\\]k8s[/\\]deployment$/);
  });

  it('render a valid KServe InferenceService with storageUri = the release asset', async () => {
    const set = await loadTemplateSet('kserve', '/nowhere', '/nowhere');
    const { objects } = renderTemplates(set.files, values);
    expect(objects).toHaveLength(1);
    const isvc = objects[0]!;
    expect(manifestProblems(isvc)).toEqual([]);
    expect(isvc).toMatchObject({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: values.uri } } },
    });
  });
});

describe('rendering', () => {
  it('keeps values with YAML and shell metacharacters inert, as single strings', () => {
    const hostile = {
      ...values,
      uri: 'x: y\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: pwned}',
      image: "busybox'; $(rm -rf /) `id` ${HOME} #",
      version: '"quoted" & *alias !tag',
    };
    const { objects } = renderTemplates(
      file(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  uri: ${ghml.uri}\n  image: "${ghml.image}"\n  both: pre-${ghml.version}-post\n',
      ),
      hostile,
    );
    expect(objects).toHaveLength(1);
    expect(objects[0]!['data']).toEqual({
      uri: hostile.uri,
      image: hostile.image,
      both: `pre-${hostile.version}-post`,
    });
    expect(reparse(formatManifests(objects))).toEqual(objects);
    expect(objects[0]!.metadata.annotations?.['ghml.dev/version']).toBe(hostile.version);
    expect(objects[0]!.metadata.labels?.['ghml.dev/version']).toMatch(
      /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/,
    );
  });

  it('does not expand placeholders that appear inside values', () => {
    const { objects } = renderTemplates(
      file('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {u: "${ghml.uri}"}\n'),
      {
        ...values,
        uri: 'https://h/${ghml.sha256}',
      },
    );
    expect(objects[0]!['data']).toEqual({ u: 'https://h/${ghml.sha256}' });
  });

  it('names the file, line and placeholder of an unknown placeholder', () => {
    const text =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: ${ghml.model}\n  b: ${ghml.modle}\n';
    const error = (() => {
      try {
        renderTemplates(file(text), values);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnknownPlaceholderError);
    expect((error as Error).message).toBe("k8s/app.yaml:7: unknown placeholder '${ghml.modle}'.");
    expect((error as UnknownPlaceholderError).hint).toContain('${ghml.model}');
  });

  it('leaves shell and Kubernetes variables alone', () => {
    const { objects } = renderTemplates(
      file(
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {s: "${HOME} $(VAR) ${GHML_X:-}"}\n',
      ),
      values,
    );
    expect(objects[0]!['data']).toEqual({ s: '${HOME} $(VAR) ${GHML_X:-}' });
  });

  it('keeps the template’s own app.kubernetes.io/name, which selectors use', () => {
    const { objects } = renderTemplates(
      file(
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels: {app.kubernetes.io/name: mine}\nspec: {selector: {a: b}, ports: [{port: 80}]}\n',
      ),
      values,
    );
    expect(objects[0]!.metadata.labels?.['app.kubernetes.io/name']).toBe('mine');
  });

  it('reports invalid YAML and documents that are not objects, with file and line', () => {
    expect(() => renderTemplates(file('apiVersion: v1\nkind: [unclosed\n'), values)).toThrow(
      TemplateSyntaxError,
    );
    expect(() => renderTemplates(file('apiVersion: v1\nkind: [unclosed\n'), values)).toThrow(
      /^k8s\/app.yaml:\d+: /,
    );
    expect(() => renderTemplates(file('- a\n- b\n'), values)).toThrow(
      'a document is not a mapping',
    );
    expect(() =>
      renderTemplates(file('apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n'), values),
    ).toThrow('has no metadata.name');
    expect(() =>
      renderTemplates(file('apiVersion: v1\nkind: List\nmetadata: {name: l}\nitems: []\n'), values),
    ).toThrow('one document per object');
    expect(() =>
      renderTemplates(
        file(
          'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
        ),
        values,
      ),
    ).toThrow(TemplateSyntaxError);
  });

  it('skips empty documents', () => {
    const { objects } = renderTemplates(
      file('---\n# nothing\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n'),
      values,
    );
    expect(objects).toHaveLength(1);
  });
});
