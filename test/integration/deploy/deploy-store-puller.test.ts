/**
 * `ghml deploy` of versions whose model is in the artifact store, through the built CLI, the
 * real registry and the real kubectl against the API-server stand-in: the built-in Deployment
 * template's pull-model init container gets the store and the `<sha256>  <path>` list of the
 * version's blobs when there is no release, and fetch-model gets the release URL when there
 * is one; the KServe templates refuse a store-only version without --modelcar, naming the fixes.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  manifestProblems,
  standinEnv,
  startKubeApiServer,
  writeKubeconfig,
  type KubeApiServer,
} from '../../support/kube-apiserver/index.js';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';
import { startRegistry, type RunningRegistry } from '../../support/oci-registry/index.js';
import { cleanupTempDirs, cloneRepo, tempDir } from '../../support/temp-repo.js';
import {
  ghml,
  recordRun,
  sha256,
  storeProject,
  tagMessage,
  type StoreProject,
} from '../registry/store-project.js';

const BIG = 1536 * 1024;

interface Container {
  name: string;
  image: string;
  env?: Array<{ name: string; value?: string }>;
  args?: string[];
}
interface DeploymentObject {
  kind: string;
  spec: { template: { spec: { initContainers: Container[]; volumes: unknown[] } } };
}

let registry: RunningRegistry;
let api: KubeApiServer;
let kubeEnv: Record<string, string>;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry.stop();
  cleanupTempDirs();
});
beforeEach(async () => {
  api = await startKubeApiServer({ stepMs: 100 });
  const env = standinEnv(
    writeKubeconfig(join(tempDir('ghml-kube-'), 'kubeconfig'), {
      server: api.url,
      token: api.token,
    }),
  );
  kubeEnv = {
    KUBECONFIG: env['KUBECONFIG'] as string,
    KUBECACHEDIR: env['KUBECACHEDIR'] as string,
  };
});
afterEach(async () => {
  await api.close();
});

function envOf(container: Container | undefined): Record<string, string> {
  return Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? '']));
}

function initContainers(deployment: DeploymentObject): Record<string, Container> {
  return Object.fromEntries(deployment.spec.template.spec.initContainers.map((c) => [c.name, c]));
}

/** A project with `model.bin` of a run registered as iris v1.0.0 (in prod) from a fresh clone. */
async function registered(
  prefix: string,
  yml = '',
  registerEnv: Record<string, string> = {},
  release = false,
): Promise<{ project: StoreProject; clone: string; model: Buffer; runId: string }> {
  const project = storeProject(`oci://${registry.host}/${prefix}`, yml);
  const model = randomBytes(BIG);
  const run = await recordRun(project, { 'model.bin': model });
  const clone = cloneRepo(project.origin);
  const args = ['model', 'register', 'iris', '--version', 'v1.0.0', '--run', run.id];
  const reg = await ghml(
    clone,
    [...args, '--path', 'model.bin', ...(release ? [] : ['--no-release'])],
    registerEnv,
  );
  if (reg.code !== 0) throw new Error(reg.stderr);
  const promoted = await ghml(clone, ['model', 'promote', 'iris', 'v1.0.0', 'prod']);
  if (promoted.code !== 0) throw new Error(promoted.stderr);
  return { project, clone, model, runId: run.id };
}

describe('the Deployment template and a version with no release', () => {
  it('renders pull-model with the store and the blob list (dry run), and deploys it', async () => {
    const prefix = 'acme/puller';
    const { project, model } = await registered(prefix);
    const fresh = cloneRepo(project.origin);

    const dry = await ghml(fresh, ['deploy', 'iris', '--stage', 'prod', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { outcome: string; manifests: DeploymentObject[] };
    expect(plan.outcome).toBe('dry-run');
    const deployment = plan.manifests.find((m) => m.kind === 'Deployment') as DeploymentObject;
    for (const m of plan.manifests) expect(manifestProblems(m as never)).toEqual([]);
    const init = initContainers(deployment);
    expect(Object.keys(init)).toEqual(['fetch-model', 'pull-model']);
    expect(init['pull-model']?.image).toBe('ghcr.io/oras-project/oras:v1.2.0');
    const expected = {
      GHML_MODEL_SOURCE: 'store',
      GHML_MODEL_STORE: `${registry.host}/${prefix}/models/iris`,
      GHML_MODEL_FILES: `${sha256(model)}  model.bin`,
    };
    expect(envOf(init['pull-model'])).toEqual(expected);
    // fetch-model sees the same source and does nothing.
    expect(envOf(init['fetch-model'])['GHML_MODEL_SOURCE']).toBe('store');
    expect(init['fetch-model']?.args?.[0]).toContain('[ "$GHML_MODEL_SOURCE" = url ] || exit 0');
    expect(deployment.spec.template.spec.volumes).toContainEqual({
      name: 'registry-auth',
      secret: {
        secretName: 'ghml-registry',
        optional: true,
        items: [{ key: '.dockerconfigjson', path: 'config.json' }],
      },
    });
    // The puller can fetch each listed blob, by digest, from that repository.
    const blob = await fetch(
      `http://${registry.host}/v2/${prefix}/models/iris/blobs/sha256:${sha256(model)}`,
    );
    expect(Buffer.from(await blob.arrayBuffer()).equals(model)).toBe(true);

    const real = await ghml(fresh, ['deploy', 'iris', '--stage', 'prod', '--json'], kubeEnv);
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({ outcome: 'succeeded', version: 'v1.0.0' });
    const live = api.get(
      'apps/v1',
      'Deployment',
      'default',
      'iris-prod',
    ) as unknown as DeploymentObject;
    expect(envOf(initContainers(live)['pull-model'])).toEqual(expected);
  });

  it('lists every file of a folder under its path inside it, the small ones too', async () => {
    const prefix = 'acme/pullfolder';
    const project = storeProject(`oci://${registry.host}/${prefix}`);
    const pickle = randomBytes(BIG);
    const weights = randomBytes(BIG);
    // MLmodel is small: the run keeps it on the tracking branch, which no cluster reads.
    const mlmodel = Buffer.from('flavors:\n  python_function: {}\n');
    const run = await recordRun(project, {
      'model/MLmodel': mlmodel,
      'model/model.pkl': pickle,
      'model/data/weights.bin': weights,
    });
    expect(run.artifacts.find((a) => a.path === 'model/MLmodel')?.stored).toBe(true);
    const clone = cloneRepo(project.origin);
    const args = ['model', 'register', 'iris', '--version', 'v1.0.0', '--run', run.id];
    expect((await ghml(clone, [...args, '--path', 'model', '--no-release'])).code).toBe(0);
    expect((await ghml(clone, ['model', 'promote', 'iris', 'v1.0.0', 'prod'])).code).toBe(0);
    const dry = await ghml(clone, ['deploy', 'iris', '--stage', 'prod', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const deployment = (JSON.parse(dry.stdout) as { manifests: DeploymentObject[] }).manifests.find(
      (m) => m.kind === 'Deployment',
    ) as DeploymentObject;
    expect(envOf(initContainers(deployment)['pull-model'])).toEqual({
      GHML_MODEL_SOURCE: 'store',
      GHML_MODEL_STORE: `${registry.host}/${prefix}/models/iris`,
      GHML_MODEL_FILES: [
        `${sha256(mlmodel)}  MLmodel`,
        `${sha256(weights)}  data/weights.bin`,
        `${sha256(pickle)}  model.pkl`,
      ].join('\n'),
    });
    // Every listed blob is in that repository, with its bytes.
    for (const data of [mlmodel, weights, pickle]) {
      const blob = await fetch(
        `http://${registry.host}/v2/${prefix}/models/iris/blobs/sha256:${sha256(data)}`,
      );
      expect(Buffer.from(await blob.arrayBuffer()).equals(data)).toBe(true);
    }
  });
});

describe('the Deployment template and a version with a release', () => {
  let gh: GitHubEmulator;
  beforeEach(async () => {
    gh = await startGitHubEmulator();
  });
  afterEach(async () => {
    await gh.close();
    gh.assertNoViolations();
  });

  it('renders fetch-model with the release URL (source url), and pull-model does nothing', async () => {
    const { project, model } = await registered(
      'acme/withrelease',
      '',
      {
        GITHUB_TOKEN: TEST_TOKENS.actions,
        GITHUB_REPOSITORY: 'acme/ml',
        GITHUB_API_URL: gh.url,
        GITHUB_SERVER_URL: gh.webUrl,
      },
      true,
    );
    const url = `${gh.webUrl}/acme/ml/releases/download/iris%40v1.0.0/model.bin`;
    expect(tagMessage(project.origin, 'iris@v1.0.0').metadata?.artifacts?.[0]?.uri).toBe(url);
    const dry = await ghml(cloneRepo(project.origin), [
      'deploy',
      'iris',
      '--stage',
      'prod',
      '--dry-run',
      '--json',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    const deployment = (JSON.parse(dry.stdout) as { manifests: DeploymentObject[] }).manifests.find(
      (m) => m.kind === 'Deployment',
    ) as DeploymentObject;
    const init = initContainers(deployment);
    expect(envOf(init['fetch-model'])).toMatchObject({
      GHML_MODEL_SOURCE: 'url',
      GHML_MODEL_URI: url,
      GHML_MODEL_SHA256: sha256(model),
      GHML_MODEL_FILE: 'model.bin',
    });
    expect(envOf(init['pull-model'])).toEqual({
      GHML_MODEL_SOURCE: 'url',
      GHML_MODEL_STORE: '',
      GHML_MODEL_FILES: '',
    });
  });
});

describe('the KServe templates and a version only in the store', () => {
  it('refuses to deploy without --modelcar, naming --modelcar and ghml model release', async () => {
    const { project } = await registered(
      'acme/kserveonly',
      "deploy:\n  '*':\n    templates: kserve\n",
    );
    const fresh = cloneRepo(project.origin);
    const real = await ghml(fresh, ['deploy', 'iris', '--stage', 'prod'], kubeEnv);
    expect(real.code).not.toBe(0);
    expect(real.stderr).toContain('iris@v1.0.0 has no release asset');
    expect(real.stderr).toContain('--modelcar');
    expect(real.stderr).toContain('ghml model release iris@v1.0.0');
    expect(api.get('serving.kserve.io/v1beta1', 'InferenceService', 'default', 'iris-prod')).toBe(
      undefined,
    );
    const dry = await ghml(fresh, ['deploy', 'iris', '--stage', 'prod', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as { notes: string[] }).notes.join('\n')).toContain(
      '--modelcar',
    );
  });
});
