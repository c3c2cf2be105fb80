import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestNotFoundError } from '../../../src/artifacts/oci/oci-errors.js';
import {
  EMPTY_CONFIG,
  RUN_ARTIFACT_TYPE,
  TITLE_ANNOTATION,
} from '../../../src/artifacts/oci/run-manifest.js';
import {
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type RunningRegistry,
} from '../../support/oci-registry/index.js';
import {
  openTestStore,
  randomData,
  rawManifest,
  writeRunFile,
} from '../../support/oci-registry/store-fixture.js';

const USER = { user: 'alice', password: 'alice-registry-password-1' };

describe('uploading a run to a real registry (htpasswd basic auth)', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  let work: string;
  const env = { GHML_REGISTRY_USERNAME: USER.user, GHML_REGISTRY_PASSWORD: USER.password };

  beforeAll(async () => {
    registry = await startRegistry({
      auth: { kind: 'htpasswd', users: { [USER.user]: USER.password } },
    });
    proxy = await startFaultProxy(registry.host);
    work = mkdtempSync(join(tmpdir(), 'ghml-run-upload-'));
  });
  afterAll(async () => {
    await proxy.close();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('writes one OCI manifest per run with a titled layer per file, and reads the files back verified', async () => {
    const dir = join(work, 'run1');
    const files = [
      writeRunFile(dir, 'model/weights.bin', randomData(300_000)),
      writeRunFile(dir, 'labels.txt', 'setosa\nversicolor\nvirginica\n'),
      writeRunFile(dir, 'empty.txt', ''),
    ];
    const { store } = openTestStore(registry.host, { env });
    const progress: number[] = [];
    const totals = new Set<number>();
    const result = await store.uploadRun('01J0000000000000000000RUN1', files, {
      experiment: 'iris',
      created: '2026-01-02T03:04:05Z',
      onProgress: (done, total) => {
        totals.add(total);
        progress.push(done);
      },
    });
    expect(result).toMatchObject({
      store: `oci://${registry.host}/acme/ml`,
      repository: 'acme/ml/runs',
      tag: '01J0000000000000000000RUN1',
      pending: false,
    });
    expect(result.files).toEqual(
      [...files]
        .sort((a, b) => a.path.localeCompare(b.path))
        .map(({ path, sha256, size }) => ({ path, sha256, size })),
    );
    expect([...totals]).toEqual([300_028]);
    expect(progress.at(-1)).toBe(300_028);

    // What the registry really holds.
    const raw = await rawManifest(
      registry.host,
      'acme/ml/runs',
      '01J0000000000000000000RUN1',
      USER,
    );
    expect(raw.status).toBe(200);
    expect(raw.digest).toBe(result.manifestDigest);
    const manifest = raw.json as {
      schemaVersion: number;
      artifactType: string;
      config: unknown;
      layers: Array<{ digest: string; size: number; annotations: Record<string, string> }>;
      annotations: Record<string, string>;
    };
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.artifactType).toBe(RUN_ARTIFACT_TYPE);
    expect(manifest.config).toEqual(EMPTY_CONFIG);
    expect(manifest.layers.map((l) => l.annotations[TITLE_ANNOTATION])).toEqual([
      'empty.txt',
      'labels.txt',
      'model/weights.bin',
    ]);
    expect(manifest.layers[2]?.digest).toBe(`sha256:${files[0]?.sha256}`);
    expect(manifest.annotations).toMatchObject({
      'vnd.ghml.run.id': '01J0000000000000000000RUN1',
      'vnd.ghml.experiment': 'iris',
      'org.opencontainers.image.created': '2026-01-02T03:04:05Z',
    });

    // Another machine (empty cache) reads them back.
    const other = openTestStore(registry.host, { env }).store;
    const read = await other.readRun('01J0000000000000000000RUN1');
    expect(read.manifestDigest).toBe(result.manifestDigest);
    const dest = join(work, 'fetched');
    const written = await other.fetchRunFiles('01J0000000000000000000RUN1', dest);
    expect(written.map((w) => w.path)).toEqual(['empty.txt', 'labels.txt', 'model/weights.bin']);
    for (const f of files) expect(readFileSync(join(dest, ...f.path.split('/')))).toEqual(f.data);
    expect(readdirSync(join(dest, 'model'))).toEqual(['weights.bin']);

    const one = join(work, 'one', 'labels.txt');
    await other.fetchFile('01J0000000000000000000RUN1', 'labels.txt', one);
    expect(readFileSync(one, 'utf8')).toBe('setosa\nversicolor\nvirginica\n');
  });

  it('stores identical files across runs once: the second run sends only HEADs and a manifest', async () => {
    const dir = join(work, 'dedupe');
    const model = writeRunFile(dir, 'model.pkl', randomData(200_000));
    const store = openTestStore(proxy.host, { env }).store;
    await store.uploadRun('01J0000000000000000000DUP1', [model], { experiment: 'iris' });
    const before = proxy.requests.length;
    const second = await store.uploadRun('01J0000000000000000000DUP2', [model], {
      experiment: 'iris',
    });
    const requests = proxy.requests.slice(before);
    expect(
      requests.filter(
        (r) => r.method === 'PATCH' || (r.method === 'PUT' && r.path.includes('/blobs/')),
      ),
    ).toEqual([]);
    expect(requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect(requests.filter((r) => r.method === 'HEAD').length).toBe(2);
    expect(requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([
      '/v2/acme/ml/runs/manifests/01J0000000000000000000DUP2',
    ]);
    expect(requests.reduce((sum, r) => sum + r.bytes, 0)).toBeLessThan(2000);
    expect(second.pending).toBe(false);
  });

  it('uploads large files in resumable chunks and small ones in one PUT', async () => {
    const dir = join(work, 'chunks');
    const big = writeRunFile(dir, 'big.bin', randomData(250_000));
    const small = writeRunFile(dir, 'small.bin', randomData(1000));
    const store = openTestStore(proxy.host, {
      env,
      upload: { chunkBytes: 100_000, monolithicMaxBytes: 50_000 },
    }).store;
    const before = proxy.requests.length;
    await store.uploadRun('01J0000000000000000000CHK1', [big, small], { experiment: 'iris' });
    const patches = proxy.requests.slice(before).filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.bytes)).toEqual([100_000, 100_000, 50_000]);
    const dest = join(work, 'chunks-out');
    await openTestStore(registry.host, { env }).store.fetchRunFiles(
      '01J0000000000000000000CHK1',
      dest,
    );
    expect(readFileSync(join(dest, 'big.bin'))).toEqual(big.data);
    expect(readFileSync(join(dest, 'small.bin'))).toEqual(small.data);
  });

  it('names the run when it is not in the store, and leaves no file behind', async () => {
    const store = openTestStore(registry.host, { env }).store;
    const dest = join(work, 'missing');
    const error = await store
      .fetchRunFiles('01J0000000000000000000NONE', dest)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestNotFoundError);
    expect((error as Error).message).toContain("'01J0000000000000000000NONE'");
    expect((error as ManifestNotFoundError).hint).toContain('ghml push');
    expect(existsSync(dest)).toBe(false);
  });
});
