/**
 * The modelcar image, checked with real OCI tools: skopeo copies it out of the registry into an
 * OCI layout (validating manifests, configs and digests on the way) and umoci unpacks its
 * layers into a root filesystem, where /models must hold the run's files.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type RunningRegistry,
} from '../../support/oci-registry/index.js';
import {
  openTestStore,
  randomData,
  writeRunFile,
} from '../../support/oci-registry/store-fixture.js';

const RUN = '01J0000000000000000000MCAR';

const digestOf = (data: Buffer): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function pushBlob(host: string, repository: string, data: Buffer): Promise<string> {
  const post = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(post.headers.get('location') ?? '', `http://${host}`);
  location.searchParams.set('digest', digestOf(data));
  const put = await fetch(location, { method: 'PUT', body: new Uint8Array(data) });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status}`);
  return digestOf(data);
}

async function pushManifest(
  host: string,
  repository: string,
  reference: string,
  json: object,
  mediaType: string,
): Promise<string> {
  const body = Buffer.from(JSON.stringify(json));
  const put = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body,
    headers: { 'content-type': mediaType },
  });
  if (put.status !== 201) throw new Error(`manifest: ${put.status} ${await put.text()}`);
  return digestOf(body);
}

/** A two-platform base image (an OCI index), its layer a gzipped tar made by GNU tar. */
async function pushBase(
  host: string,
  repository: string,
  work: string,
  label: string,
): Promise<void> {
  const entries: object[] = [];
  for (const architecture of ['arm64', 'amd64']) {
    const root = join(work, `base-${label}-${architecture}`);
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin', 'marker.txt'), `${label} base for ${architecture}\n`);
    const tar = execFileSync('tar', ['-C', root, '--owner=0', '--group=0', '-cf', '-', 'bin']);
    const layer = gzipSync(tar);
    const layerDigest = await pushBlob(host, repository, layer);
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        config: { Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: [digestOf(tar)] },
        history: [{ created_by: 'test base' }],
      }),
    );
    const configDigest = await pushBlob(host, repository, config);
    const manifest = {
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
          digest: layerDigest,
          size: layer.length,
        },
      ],
    };
    const digest = await pushManifest(
      host,
      repository,
      `${architecture}-only`,
      manifest,
      'application/vnd.oci.image.manifest.v1+json',
    );
    entries.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest,
      size: Buffer.byteLength(JSON.stringify(manifest)),
      platform: { architecture, os: 'linux' },
    });
  }
  await pushManifest(
    host,
    repository,
    'latest',
    { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries },
    'application/vnd.oci.image.index.v1+json',
  );
}

function unpack(reference: string, work: string, name: string): string {
  const layout = join(work, `${name}-layout`);
  const bundle = join(work, `${name}-bundle`);
  execFileSync(
    'skopeo',
    [
      '--insecure-policy',
      'copy',
      '--src-tls-verify=false',
      `docker://${reference}`,
      `oci:${layout}:image`,
    ],
    { stdio: 'pipe' },
  );
  execFileSync('umoci', ['unpack', '--rootless', '--image', `${layout}:image`, bundle], {
    stdio: 'pipe',
  });
  return join(bundle, 'rootfs');
}

describe('modelcar: an image whose /models holds the model, for KServe', () => {
  let target: RunningRegistry;
  let baseRegistry: RunningRegistry;
  let proxy: FaultProxy;
  let work: string;
  const files: { model: Buffer } = { model: Buffer.alloc(0) };

  beforeAll(async () => {
    target = await startRegistry();
    baseRegistry = await startRegistry();
    proxy = await startFaultProxy(target.host);
    work = mkdtempSync(join(tmpdir(), 'ghml-modelcar-'));
    await pushBase(baseRegistry.host, 'library/busybox', work, 'remote');
    await pushBase(target.host, 'mirror/busybox', work, 'mirror');
    const run = join(work, 'run');
    const model = writeRunFile(run, 'model.pkl', randomData(150_000));
    files.model = model.data;
    const long = `${'deep/'.repeat(30)}config.json`;
    await openTestStore(target.host).store.uploadRun(
      RUN,
      [model, writeRunFile(run, 'tokenizer/vocab.txt', 'a\nb\n'), writeRunFile(run, long, '{}')],
      { experiment: 'iris', created: '2026-03-04T05:06:07Z' },
    );
  });
  afterAll(async () => {
    await proxy.close();
    await target.stop();
    await baseRegistry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('builds on a base image from another registry (the linux/amd64 entry of its index); skopeo and umoci unpack /models', async () => {
    const { store } = openTestStore(target.host);
    const base = openTestStore(baseRegistry.host).store.client;
    const pushed = await store.pushModelcar({
      runId: RUN,
      model: 'iris',
      version: 'v1.0.0',
      base: { client: base, repository: 'library/busybox', reference: 'latest' },
    });
    expect(pushed.storageUri).toBe(`oci://${target.host}/acme/ml/modelcars/iris:v1.0.0`);

    const inspect = JSON.parse(
      execFileSync(
        'skopeo',
        ['inspect', '--tls-verify=false', `docker://${target.host}/acme/ml/modelcars/iris:v1.0.0`],
        { encoding: 'utf8' },
      ),
    ) as { Architecture: string; Os: string; Layers: string[]; Digest: string };
    expect(inspect.Architecture).toBe('amd64');
    expect(inspect.Os).toBe('linux');
    expect(inspect.Layers).toHaveLength(2);
    expect(inspect.Layers[1]).toBe(pushed.layerDigest);
    expect(inspect.Digest).toBe(pushed.digest);

    const rootfs = unpack(`${target.host}/acme/ml/modelcars/iris:v1.0.0`, work, 'cross');
    expect(readFileSync(join(rootfs, 'bin', 'marker.txt'), 'utf8')).toBe('remote base for amd64\n');
    expect(readFileSync(join(rootfs, 'models', 'model.pkl'))).toEqual(files.model);
    expect(readFileSync(join(rootfs, 'models', 'tokenizer', 'vocab.txt'), 'utf8')).toBe('a\nb\n');
    expect(
      readFileSync(
        join(rootfs, 'models', ...'deep/'.repeat(30).split('/').filter(Boolean), 'config.json'),
        'utf8',
      ),
    ).toBe('{}');
    expect(statSync(join(rootfs, 'models', 'model.pkl')).mode & 0o777).toBe(0o644);
  });

  it('mounts the base layers when the base is in the same registry, and gives the same layer for the same files', async () => {
    const { store } = openTestStore(proxy.host);
    const before = proxy.requests.length;
    const first = await store.pushModelcar({
      runId: RUN,
      model: 'iris',
      version: 'v1.0.1',
      paths: ['model.pkl'],
      base: { client: store.client, repository: 'mirror/busybox', reference: 'latest' },
    });
    const base = await store.client.getManifest('mirror/busybox', 'amd64-only', [
      'application/vnd.oci.image.manifest.v1+json',
    ]);
    const baseLayers = (
      JSON.parse(base?.bytes.toString() ?? '{}') as { layers: Array<{ digest: string }> }
    ).layers;
    const requests = proxy.requests.slice(before);
    // Each base layer is already there or mounted: never uploaded.
    for (const layer of baseLayers) {
      const digest = encodeURIComponent(layer.digest);
      expect(requests.filter((r) => r.method === 'PUT' && r.query.includes(digest))).toEqual([]);
    }
    const mounts = requests.filter((r) => r.query.includes('mount='));
    expect(mounts.length).toBe(baseLayers.length);
    expect(mounts.every((r) => r.status === 201)).toBe(true);
    expect(
      readFileSync(
        join(
          unpack(`${target.host}/acme/ml/modelcars/iris:v1.0.1`, work, 'mirror'),
          'bin',
          'marker.txt',
        ),
        'utf8',
      ),
    ).toBe('mirror base for amd64\n');
    const rootfs = unpack(`${target.host}/acme/ml/modelcars/iris:v1.0.1`, work, 'mounted');
    expect(readFileSync(join(rootfs, 'models', 'model.pkl'))).toEqual(files.model);
    const second = await store.pushModelcar({
      runId: RUN,
      model: 'iris',
      version: 'v1.0.2',
      paths: ['model.pkl'],
      base: { client: store.client, repository: 'mirror/busybox', reference: 'latest' },
    });
    expect(second.layerDigest).toBe(first.layerDigest);
  });

  it('without a base: a data-only image (for image volumes) with the files under /models', async () => {
    const { store } = openTestStore(target.host);
    await store.pushModelcar({
      runId: RUN,
      model: 'iris',
      version: 'v1.0.3',
      platform: { os: 'linux', architecture: 'arm64' },
    });
    const rootfs = unpack(`${target.host}/acme/ml/modelcars/iris:v1.0.3`, work, 'bare');
    expect(readFileSync(join(rootfs, 'models', 'model.pkl'))).toEqual(files.model);
  });
});
