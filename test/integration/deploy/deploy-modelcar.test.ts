/**
 * `ghml deploy --modelcar` through the built CLI, the real registry and the real kubectl
 * against the API-server stand-in: a KServe modelcar of a store-only version is pushed to
 * `<prefix>/modelcars/<model>:<version>` on a base image from the same local registry, the
 * InferenceService serves it from `storageUri: oci://…`, and the image's layer holds
 * `models/model.bin` with the model's bytes (read over HTTP, unpacked by tar). A dry run pushes
 * nothing; no store, the Deployment template and `--modelcar-base` alone are refused before
 * anything is pushed; a rollback to a modelcar version reuses its image.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  standinEnv,
  startKubeApiServer,
  writeKubeconfig,
  type KubeApiServer,
} from '../../support/kube-apiserver/index.js';
import { startRegistry, type RunningRegistry } from '../../support/oci-registry/index.js';
import { rawManifest } from '../../support/oci-registry/store-fixture.js';
import { cleanupTempDirs, cloneRepo, tempDir } from '../../support/temp-repo.js';
import {
  ghml,
  rawBlob,
  recordRun,
  sha256,
  storeProject,
  type StoreProject,
} from '../registry/store-project.js';

const BIG = 1536 * 1024;
const KSERVE = "deploy:\n  '*':\n    templates: kserve\n";

let registry: RunningRegistry;
let base: string;
let baseLayer: string;
let api: KubeApiServer;
let kubeEnv: Record<string, string>;

const digestOf = (data: Buffer): string => `sha256:${sha256(data)}`;

async function pushBlob(repository: string, data: Buffer): Promise<string> {
  const post = await fetch(`http://${registry.host}/v2/${repository}/blobs/uploads/`, {
    method: 'POST',
  });
  const location = new URL(post.headers.get('location') ?? '', `http://${registry.host}`);
  location.searchParams.set('digest', digestOf(data));
  const put = await fetch(location, { method: 'PUT', body: new Uint8Array(data) });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status}`);
  return digestOf(data);
}

/** A small linux/amd64 base image (one gzipped layer made by GNU tar) at base/busybox:1.36. */
async function pushBaseImage(): Promise<void> {
  const root = tempDir('ghml-base-');
  mkdirSync(join(root, 'bin'));
  writeFileSync(join(root, 'bin', 'sh.txt'), 'a shell would be here\n');
  const tar = execFileSync('tar', ['-C', root, '--owner=0', '--group=0', '-cf', '-', 'bin']);
  const layer = gzipSync(tar);
  baseLayer = await pushBlob('base/busybox', layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [digestOf(tar)] },
    }),
  );
  const configDigest = await pushBlob('base/busybox', config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: config.length,
    },
    layers: [
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: baseLayer,
        size: layer.length,
      },
    ],
  });
  const put = await fetch(`http://${registry.host}/v2/base/busybox/manifests/1.36`, {
    method: 'PUT',
    body: manifest,
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  if (put.status !== 201) throw new Error(`base manifest: ${put.status}`);
}

beforeAll(async () => {
  registry = await startRegistry();
  await pushBaseImage();
  base = `${registry.host}/base/busybox:1.36`;
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

interface Isvc {
  spec: { predictor: { model: { storageUri: string } } };
  metadata: { annotations: Record<string, string> };
}

function isvc(): Isvc | undefined {
  return api.get('serving.kserve.io/v1beta1', 'InferenceService', 'default', 'iris-prod') as
    Isvc | undefined;
}

/** Registers a run's model.bin as `version` without a release (from a fresh clone). */
async function registerVersion(
  project: StoreProject,
  clone: string,
  version: string,
): Promise<Buffer> {
  const model = randomBytes(BIG);
  const run = await recordRun(project, { 'model.bin': model }, `train ${version}`);
  pull(clone);
  const reg = await ghml(clone, [
    'model',
    'register',
    'iris',
    '--version',
    version,
    '--run',
    run.id,
    '--path',
    'model.bin',
    '--no-release',
  ]);
  if (reg.code !== 0) throw new Error(reg.stderr);
  const promoted = await ghml(clone, ['model', 'promote', 'iris', version, 'prod']);
  if (promoted.code !== 0) throw new Error(promoted.stderr);
  return model;
}

/** Brings the clone up to date with origin (new commits made by recordRun). */
function pull(clone: string): void {
  execFileSync('git', ['-C', clone, 'pull', '-q', '--ff-only'], { stdio: 'ignore' });
}

interface ImageManifest {
  layers: Array<{ digest: string; mediaType: string }>;
  annotations?: Record<string, string>;
}

async function modelcarManifest(prefix: string, tag: string) {
  return rawManifest(registry.host, `${prefix}/modelcars/iris`, tag);
}

describe('ghml deploy --modelcar with the kserve templates', () => {
  it('pushes the modelcar, serves it from storageUri oci://…, and its layer holds the model', async () => {
    const prefix = 'acme/mc';
    const project = storeProject(`oci://${registry.host}/${prefix}`, KSERVE);
    const clone = cloneRepo(project.origin);
    const model = await registerVersion(project, clone, 'v1.0.0');

    const deployed = await ghml(
      clone,
      ['deploy', 'iris', '--stage', 'prod', '--modelcar', '--modelcar-base', base, '--json'],
      kubeEnv,
    );
    expect(deployed.code, deployed.stderr).toBe(0);
    const reference = `oci://${registry.host}/${prefix}/modelcars/iris:v1.0.0`;
    const image = await modelcarManifest(prefix, 'v1.0.0');
    expect(image.status).toBe(200);
    expect(JSON.parse(deployed.stdout)).toMatchObject({
      outcome: 'succeeded',
      version: 'v1.0.0',
      modelcar: {
        reference,
        base,
        pushed: true,
        digest: image.digest,
        bytes: BIG,
        files: [{ path: 'model.bin', size: BIG, sha256: sha256(model), from: 'store' }],
      },
    });
    const live = isvc();
    expect(live?.spec.predictor.model.storageUri).toBe(reference);
    expect(live?.metadata.annotations['ghml.dev/sha256']).toBe(image.digest?.slice(7));

    // The image: the base's layer, then one with models/model.bin holding the model's bytes.
    const layers = (image.json as ImageManifest).layers;
    expect(layers[0]?.digest).toBe(baseLayer);
    expect(layers).toHaveLength(2);
    const layer = await rawBlob(registry.host, `${prefix}/modelcars/iris`, layers[1]!.digest);
    expect(digestOf(layer)).toBe(layers[1]!.digest);
    const dir = tempDir('ghml-layer-');
    writeFileSync(join(dir, 'layer.tar'), layer);
    const listing = execFileSync('tar', ['-tvf', join(dir, 'layer.tar')], { encoding: 'utf8' });
    expect(listing).toMatch(/models\/model\.bin\n?/);
    mkdirSync(join(dir, 'root'));
    execFileSync('tar', ['-xf', join(dir, 'layer.tar'), '-C', join(dir, 'root')]);
    expect(readFileSync(join(dir, 'root', 'models', 'model.bin')).equals(model)).toBe(true);
  });

  it('--dry-run says what it would push and pushes nothing', async () => {
    const prefix = 'acme/mcdry';
    const project = storeProject(`oci://${registry.host}/${prefix}`, KSERVE);
    const clone = cloneRepo(project.origin);
    await registerVersion(project, clone, 'v1.0.0');
    const dry = await ghml(clone, [
      'deploy',
      'iris',
      '--stage',
      'prod',
      '--modelcar',
      '--modelcar-base',
      base,
      '--dry-run',
      '--json',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    const reference = `oci://${registry.host}/${prefix}/modelcars/iris:v1.0.0`;
    const result = JSON.parse(dry.stdout) as {
      outcome: string;
      modelcar: { pushed: boolean; digest: string | null; reference: string };
      notes: string[];
      manifests: Isvc[];
    };
    expect(result.outcome).toBe('dry-run');
    expect(result.modelcar).toMatchObject({ pushed: false, digest: null, reference });
    expect(result.notes).toContain(
      `would push a modelcar of 1 file(s), ${BIG} bytes, on ${base} to ${reference}`,
    );
    expect(result.manifests[0]?.spec.predictor.model.storageUri).toBe(reference);
    expect((await modelcarManifest(prefix, 'v1.0.0')).status).toBe(404);
  });

  it('rolls back to a modelcar version by serving its image again, without pushing it', async () => {
    const prefix = 'acme/mcroll';
    const project = storeProject(`oci://${registry.host}/${prefix}`, KSERVE);
    const clone = cloneRepo(project.origin);
    await registerVersion(project, clone, 'v1.0.0');
    const args = ['deploy', 'iris', '--stage', 'prod', '--modelcar', '--modelcar-base', base];
    const first = await ghml(clone, args, kubeEnv);
    expect(first.code, first.stderr).toBe(0);
    const v1 = await modelcarManifest(prefix, 'v1.0.0');
    await registerVersion(project, clone, 'v2.0.0');
    const second = await ghml(clone, args, kubeEnv);
    expect(second.code, second.stderr).toBe(0);
    expect(isvc()?.spec.predictor.model.storageUri).toBe(
      `oci://${registry.host}/${prefix}/modelcars/iris:v2.0.0`,
    );
    // Manifest and blob PUTs to the modelcars repositories so far (the registry logs each request).
    const modelcarPuts = (): number =>
      registry
        .log()
        .split('\n')
        .filter((l) => l.includes('http.request.method=PUT') && l.includes('/modelcars/')).length;
    const uploadsBefore = modelcarPuts();
    expect(uploadsBefore).toBeGreaterThan(0);

    const back = await ghml(
      clone,
      ['deploy', 'rollback', 'iris', '--stage', 'prod', '--json'],
      kubeEnv,
    );
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({
      outcome: 'succeeded',
      action: 'rollback',
      version: 'v1.0.0',
    });
    expect(isvc()?.spec.predictor.model.storageUri).toBe(
      `oci://${registry.host}/${prefix}/modelcars/iris:v1.0.0`,
    );
    expect(isvc()?.metadata.annotations['ghml.dev/sha256']).toBe(v1.digest?.slice(7));
    const after = await modelcarManifest(prefix, 'v1.0.0');
    expect(after.digest).toBe(v1.digest);
    expect(modelcarPuts()).toBe(uploadsBefore);
  });
});

describe('ghml deploy --modelcar refused', () => {
  it('with no artifact store, naming artifacts.store', async () => {
    const project = storeProject('none', KSERVE);
    const model = randomBytes(4096);
    const run = await recordRun(project, { 'model.bin': model });
    const reg = await ghml(project.repo, [
      'model',
      'register',
      'iris',
      '--version',
      'v1.0.0',
      '--run',
      run.id,
      '--path',
      'model.bin',
      '--no-release',
    ]);
    expect(reg.code, reg.stderr).toBe(0);
    expect((await ghml(project.repo, ['model', 'promote', 'iris', 'v1.0.0', 'prod'])).code).toBe(0);
    const refused = await ghml(
      project.repo,
      ['deploy', 'iris', '--stage', 'prod', '--modelcar', '--modelcar-base', base],
      kubeEnv,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      '--modelcar pushes an image to the artifact store, and none is set.',
    );
    expect(refused.stderr).toContain('set artifacts.store in ghml.yml');
    expect(isvc()).toBeUndefined();
  });

  it('with the Deployment template, before anything is pushed', async () => {
    const prefix = 'acme/mcdeploy';
    const project = storeProject(`oci://${registry.host}/${prefix}`);
    const clone = cloneRepo(project.origin);
    await registerVersion(project, clone, 'v1.0.0');
    const refused = await ghml(
      clone,
      ['deploy', 'iris', '--stage', 'prod', '--modelcar', '--modelcar-base', base],
      kubeEnv,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('a modelcar is served by KServe');
    expect(refused.stderr).toContain('deploy without --modelcar');
    expect((await modelcarManifest(prefix, 'v1.0.0')).status).toBe(404);
    expect(api.get('apps/v1', 'Deployment', 'default', 'iris-prod')).toBeUndefined();
  });

  it('--modelcar-base without --modelcar is a usage error', async () => {
    const prefix = 'acme/mcbase';
    const project = storeProject(`oci://${registry.host}/${prefix}`, KSERVE);
    const clone = cloneRepo(project.origin);
    await registerVersion(project, clone, 'v1.0.0');
    const refused = await ghml(
      clone,
      ['deploy', 'iris', '--stage', 'prod', '--modelcar-base', base],
      kubeEnv,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      '--modelcar-base is the base image of a modelcar: add --modelcar.',
    );
    expect((await modelcarManifest(prefix, 'v1.0.0')).status).toBe(404);
    expect(isvc()).toBeUndefined();
  });
});
