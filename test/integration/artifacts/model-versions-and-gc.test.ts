import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ManifestNotFoundError,
  RegistryUnsupportedError,
  VersionTagConflictError,
} from '../../../src/artifacts/oci/oci-errors.js';
import { applyGc, planGc } from '../../../src/artifacts/store-gc.js';
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

const RUN_A = '01J0000000000000000000AAAA';
const RUN_B = '01J0000000000000000000BBBB';
const RUN_C = '01J0000000000000000000CCCC';
const RUN_D = '01J0000000000000000000DDDD';

describe('model versions: a tag on the same content, reached by blob mount', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  let work: string;
  const model: { data: Buffer } = { data: Buffer.alloc(0) };

  beforeAll(async () => {
    registry = await startRegistry({
      auth: { kind: 'token', users: { ci: 'ci-password-123456' } },
    });
    proxy = await startFaultProxy(registry.host);
    work = mkdtempSync(join(tmpdir(), 'ghml-versions-'));
    const file = writeRunFile(join(work, 'run-a'), 'model.pkl', randomData(400_000));
    model.data = file.data;
    const env = { GHML_REGISTRY_USERNAME: 'ci', GHML_REGISTRY_PASSWORD: 'ci-password-123456' };
    await openTestStore(registry.host, { env }).store.uploadRun(
      RUN_A,
      [file, writeRunFile(join(work, 'run-a'), 'metrics.json', '{"acc":0.97}')],
      { experiment: 'iris' },
    );
  });
  afterAll(async () => {
    await proxy.close();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const env = { GHML_REGISTRY_USERNAME: 'ci', GHML_REGISTRY_PASSWORD: 'ci-password-123456' };

  it('tags the run manifest in <prefix>/models/<name> without sending any file bytes', async () => {
    const { store } = openTestStore(proxy.host, { env });
    const before = proxy.requests.length;
    const version = await store.tagModelVersion({
      runId: RUN_A,
      model: 'Iris/Classifier',
      version: 'v1.2.0+build.7',
    });
    expect(version.repository).toBe('acme/ml/models/iris/classifier');
    expect(version.tag).toBe('v1.2.0_build.7');
    expect(version.reference).toBe(`${proxy.host}/acme/ml/models/iris/classifier:v1.2.0_build.7`);
    const requests = proxy.requests.slice(before);
    expect(requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    expect(
      requests.filter((r) => r.method === 'POST').every((r) => r.path.endsWith('/blobs/uploads/')),
    ).toBe(true);
    expect(requests.filter((r) => r.method === 'POST').length).toBe(3);
    const blobBytes = requests
      .filter((r) => r.path.includes('/blobs/'))
      .reduce((sum, r) => sum + r.bytes, 0);
    expect(blobBytes).toBe(0);
    // The same manifest, byte for byte: same digest as the run's.
    const run = await store.readRun(RUN_A);
    expect(version.manifestDigest).toBe(run.manifestDigest);
    const raw = await rawManifest(
      registry.host,
      'acme/ml/models/iris/classifier',
      'v1.2.0_build.7',
    );
    expect(raw.status).toBe(401);

    const dest = join(work, 'model-get');
    const files = await openTestStore(registry.host, { env }).store.fetchModelFiles(
      'Iris/Classifier',
      'v1.2.0+build.7',
      dest,
      {
        paths: ['model.pkl'],
      },
    );
    expect(files.map((f) => f.path)).toEqual(['model.pkl']);
    expect(readFileSync(join(dest, 'model.pkl'))).toEqual(model.data);
  });

  it('is idempotent, and never moves a version that points at other content', async () => {
    const { store } = openTestStore(registry.host, { env });
    const again = await store.tagModelVersion({
      runId: RUN_A,
      model: 'Iris/Classifier',
      version: 'v1.2.0+build.7',
    });
    expect(again.tag).toBe('v1.2.0_build.7');
    await store.uploadRun(RUN_B, [writeRunFile(join(work, 'run-b'), 'model.pkl', 'other model')], {
      experiment: 'iris',
    });
    const error = await store
      .tagModelVersion({ runId: RUN_B, model: 'Iris/Classifier', version: 'v1.2.0+build.7' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionTagConflictError);
    expect((error as VersionTagConflictError).hint).toContain('ghml model register --bump');
    const read = await store.readModelVersion('Iris/Classifier', 'v1.2.0+build.7');
    expect(read.runId).toBe(RUN_A);
  });

  it('refuses to tag a run that is not in the store', async () => {
    const { store } = openTestStore(registry.host, { env });
    const error = await store
      .tagModelVersion({ runId: RUN_D, model: 'iris', version: 'v9.0.0' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestNotFoundError);
  });

  it('gc: lists manifests of deleted runs, keeps live, registered and foreign tags, and deletes only after a re-check', async () => {
    const { store } = openTestStore(registry.host, { env });
    await store.uploadRun(RUN_C, [writeRunFile(join(work, 'run-c'), 'model.pkl', 'run c')], {
      experiment: 'iris',
    });
    await store.uploadRun(RUN_D, [writeRunFile(join(work, 'run-d'), 'model.pkl', 'run d')], {
      experiment: 'iris',
    });
    // Someone else's tag in the runs repository.
    const runC = await store.readRun(RUN_C);
    const cManifest = await store.client.getManifest('acme/ml/runs', RUN_C, [
      'application/vnd.oci.image.manifest.v1+json',
    ]);
    await store.client.putManifest(
      'acme/ml/runs',
      'latest',
      cManifest?.bytes ?? Buffer.alloc(0),
      'application/vnd.oci.image.manifest.v1+json',
    );

    // Runs A (registered, deleted from the branch), B (deleted), C (live), D (deleted).
    const plan = await planGc(store, {
      liveRunIds: [RUN_C],
      registered: [{ runId: RUN_A, manifestDigest: (await store.readRun(RUN_A)).manifestDigest }],
    });
    expect(plan.candidates.map((c) => c.runId).sort()).toEqual([RUN_B, RUN_D]);
    expect(plan.kept).toEqual(
      expect.arrayContaining([
        { tag: RUN_A, reason: 'a registered model version names this run' },
        { tag: 'latest', reason: 'not a run id' },
      ]),
    );
    // A dry run changed nothing.
    expect((await store.client.listTags('acme/ml/runs')).sort()).toEqual(
      [RUN_A, RUN_B, RUN_C, RUN_D, 'latest'].sort(),
    );

    const applied = await applyGc(store, plan);
    expect(applied.deleted.map((c) => c.runId).sort()).toEqual([RUN_B, RUN_D]);
    expect((await store.client.listTags('acme/ml/runs')).sort()).toEqual(
      [RUN_A, RUN_C, 'latest'].sort(),
    );
    expect((await store.readRun(RUN_C)).manifestDigest).toBe(runC.manifestDigest);
    const again = await applyGc(store, plan);
    expect(again.deleted).toEqual([]);
    expect(again.skipped.map((s) => s.reason)).toEqual(['already gone', 'already gone']);

    // The registered version lives in its own repository: a gc of its run would not touch it.
    const version = await store.readModelVersion('Iris/Classifier', 'v1.2.0+build.7');
    expect(version.runId).toBe(RUN_A);
  });
});

describe('gc against a registry that does not allow deletes', () => {
  it('says so, with the setting that enables it', async () => {
    const registry = await startRegistry({ deleteEnabled: false });
    try {
      const work = mkdtempSync(join(tmpdir(), 'ghml-nodelete-'));
      const { store } = openTestStore(registry.host);
      await store.uploadRun(RUN_B, [writeRunFile(work, 'f.txt', 'b')], { experiment: 'x' });
      const plan = await planGc(store, { liveRunIds: [], registered: [] });
      expect(plan.candidates.map((c) => c.runId)).toEqual([RUN_B]);
      const error = await applyGc(store, plan).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnsupportedError);
      expect((error as RegistryUnsupportedError).hint).toContain('storage.delete.enabled');
      expect(await store.client.listTags('acme/ml/runs')).toEqual([RUN_B]);
      rmSync(work, { recursive: true, force: true });
    } finally {
      await registry.stop();
    }
  });
});
