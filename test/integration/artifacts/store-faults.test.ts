import {
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DigestMismatchError,
  UnsafeArtifactPathError,
} from '../../../src/artifacts/artifact-errors.js';
import {
  InvalidManifestError,
  MissingBlobError,
  RegistryUnavailableError,
} from '../../../src/artifacts/oci/oci-errors.js';
import {
  blobDataPath,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type RunningRegistry,
} from '../../support/oci-registry/index.js';
import {
  openTestStore,
  randomData,
  rawManifest,
  sha256,
  tempGitDir,
  writeRunFile,
} from '../../support/oci-registry/store-fixture.js';

const MiB = 1024 * 1024;

describe('faults: a real registry behind a fault-injecting proxy', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  let work: string;

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.host);
    work = mkdtempSync(join(tmpdir(), 'ghml-faults-'));
  });
  afterAll(async () => {
    await proxy.close();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('retries 5xx and 429, waiting at least what Retry-After asks', async () => {
    const waits: number[] = [];
    const sleep = (ms: number): Promise<void> => {
      waits.push(ms);
      return Promise.resolve();
    };
    proxy.addFault({
      method: 'HEAD',
      times: 1,
      action: { kind: 'status', status: 429, headers: { 'retry-after': '2' } },
    });
    proxy.addFault({ method: 'PATCH', times: 2, action: { kind: 'status', status: 503 } });
    proxy.addFault({
      method: 'PUT',
      path: /manifests/,
      times: 1,
      action: { kind: 'status', status: 502 },
    });
    const dir = join(work, 'retry');
    const file = writeRunFile(dir, 'model.bin', randomData(300_000));
    const { store } = openTestStore(proxy.host, {
      sleep,
      upload: { chunkBytes: 100_000, monolithicMaxBytes: 1 },
    });
    const result = await store.uploadRun('01J0000000000000000000RTRY', [file], { experiment: 'x' });
    expect(result.pending).toBe(false);
    expect(waits[0]).toBeGreaterThanOrEqual(2000);
    expect(waits.length).toBeGreaterThanOrEqual(4);
    const dest = join(work, 'retry-out');
    await openTestStore(registry.host).store.fetchRunFiles('01J0000000000000000000RTRY', dest);
    expect(readFileSync(join(dest, 'model.bin'))).toEqual(file.data);
  });

  it('queues the run when the registry keeps answering 5xx, with one warning', async () => {
    // FAST_RETRY makes 4 attempts: the fault outlasts them all.
    proxy.addFault({ method: 'HEAD', times: 4, action: { kind: 'status', status: 500 } });
    const dir = join(work, 'fivehundred');
    const file = writeRunFile(dir, 'model.bin', randomData(1000));
    const gitDir = tempGitDir();
    const { store } = openTestStore(proxy.host, { gitDir, sleep: () => Promise.resolve() });
    const result = await store.uploadRun('01J0000000000000000000FIVE', [file], { experiment: 'x' });
    expect(result.pending).toBe(true);
    expect(result.warning).toMatch(
      /is unavailable: checking blob sha256:[0-9a-f]{64} failed \(HTTP 500 after 4 attempt\(s\)\)/,
    );
    expect((await store.pending()).uploads.map((u) => u.runId)).toEqual([
      '01J0000000000000000000FIVE',
    ]);
  });

  it('resumes a chunked upload from the offset the registry reports when a chunk is refused', async () => {
    const dir = join(work, 'resume');
    const file = writeRunFile(dir, 'model.bin', randomData(4 * MiB));
    proxy.addFault({ method: 'PATCH', skip: 1, action: { kind: 'status', status: 503 } });
    const before = proxy.requests.length;
    const { store } = openTestStore(proxy.host, {
      sleep: () => Promise.resolve(),
      upload: { chunkBytes: MiB, monolithicMaxBytes: 1000 },
    });
    const result = await store.uploadRun('01J0000000000000000000RSME', [file], { experiment: 'x' });
    expect(result.pending).toBe(false);
    const blob = proxy.requests
      .slice(before)
      .filter((r) => r.path.includes('/blobs/uploads/') && r.bytes !== 2)
      .map((r) => `${r.method} ${r.status}`);
    // The refused chunk is sent again after asking where the upload stands; nothing restarts.
    expect(blob).toEqual([
      'POST 202',
      'PATCH 202',
      'PATCH 503',
      'GET 204',
      'PATCH 202',
      'PATCH 202',
      'PATCH 202',
      'PUT 201',
    ]);
  });

  it('resumes, or starts the blob again, when the registry dies mid-chunk and comes back', async () => {
    const dir = join(work, 'dies');
    const file = writeRunFile(dir, 'model.bin', randomData(3 * MiB));
    proxy.addFault({
      method: 'PATCH',
      skip: 1,
      action: {
        kind: 'hook',
        afterBytes: 0.5 * MiB,
        run: async () => {
          // Let the registry write what it has received, then crash it.
          await new Promise((r) => setTimeout(r, 200));
          await registry.kill();
          // Back after a moment, as a restarted service would be.
          setTimeout(() => void registry.restart(), 300);
        },
      },
    });
    const before = proxy.requests.length;
    const { store } = openTestStore(proxy.host, {
      retry: { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 1000, budgetMs: 30_000 },
      upload: { chunkBytes: MiB, monolithicMaxBytes: 1000 },
    });
    const result = await store.uploadRun('01J0000000000000000000DIES', [file], { experiment: 'x' });
    expect(result.pending).toBe(false);
    const requests = proxy.requests.slice(before).map((r) => `${r.method} ${r.status}`);
    expect(requests).toContain('PATCH cut');
    // Whether the session survives depends on whether the registry wrote part of the cut chunk
    // before it died: CNCF distribution then forgets the session (GET 404) and the blob is sent
    // again in a new one; otherwise the upload goes on from the offset it reports (GET 204).
    const status = requests.filter((r) => r === 'GET 204' || r === 'GET 404');
    expect(status).toHaveLength(1);
    const afterCut = requests.slice(requests.indexOf('PATCH cut'));
    expect(afterCut.filter((r) => r === 'POST 202').length).toBe(status[0] === 'GET 404' ? 1 : 0);
    const dest = join(work, 'dies-out');
    await openTestStore(registry.host).store.fetchRunFiles('01J0000000000000000000DIES', dest);
    expect(sha256(readFileSync(join(dest, 'model.bin')))).toBe(file.sha256);
  });

  it('starts a new session when the registry has forgotten the upload (404 on a chunk or on the final PUT)', async () => {
    const unknown = JSON.stringify({
      errors: [{ code: 'BLOB_UPLOAD_UNKNOWN', message: 'blob upload unknown to registry' }],
    });
    proxy.addFault({
      method: 'PATCH',
      skip: 1,
      action: { kind: 'status', status: 404, body: unknown },
    });
    proxy.addFault({
      method: 'PUT',
      path: /uploads/,
      skip: 1,
      action: { kind: 'status', status: 404, body: unknown },
    });
    const dir = join(work, 'forgotten');
    const big = writeRunFile(dir, 'big.bin', randomData(3 * MiB));
    const small = writeRunFile(dir, 'small.bin', randomData(1000));
    const { store } = openTestStore(proxy.host, {
      sleep: () => Promise.resolve(),
      upload: { chunkBytes: MiB, monolithicMaxBytes: 2000 },
    });
    const before = proxy.requests.length;
    const result = await store.uploadRun('01J0000000000000000000FRGT', [big, small], {
      experiment: 'x',
    });
    expect(result.pending).toBe(false);
    const requests = proxy.requests.slice(before).map((r) => `${r.method} ${r.status}`);
    expect(requests).toContain('PATCH 404');
    expect(requests).toContain('PUT 404');
    const dest = join(work, 'forgotten-out');
    await openTestStore(registry.host).store.fetchRunFiles('01J0000000000000000000FRGT', dest);
    expect(readFileSync(join(dest, 'big.bin'))).toEqual(big.data);
    expect(readFileSync(join(dest, 'small.bin'))).toEqual(small.data);
  });

  it('restarts a one-PUT upload cut mid-way', async () => {
    const dir = join(work, 'cut-put');
    const file = writeRunFile(dir, 'model.bin', randomData(MiB));
    proxy.addFault({
      method: 'PUT',
      path: /uploads/,
      times: 1,
      action: { kind: 'cut-request', afterBytes: 300_000 },
    });
    const { store } = openTestStore(proxy.host);
    const result = await store.uploadRun('01J0000000000000000000CUTP', [file], { experiment: 'x' });
    expect(result.pending).toBe(false);
  });

  it('queues the run when the registry is down for good, keeps it when the open folder is deleted, and `push` uploads it later (idempotently)', async () => {
    const dir = join(work, 'down');
    const files = [
      writeRunFile(dir, 'model.bin', randomData(200_000)),
      writeRunFile(dir, 'notes/readme.md', '# run'),
    ];
    const gitDir = tempGitDir();
    await registry.kill();
    const { store } = openTestStore(proxy.host, {
      gitDir,
      retry: { maxAttempts: 2, baseDelayMs: 10 },
    });
    const result = await store.uploadRun('01J0000000000000000000DOWN', files, {
      experiment: 'iris',
    });
    expect(result.pending).toBe(true);
    expect(result.warning).toContain('01J0000000000000000000DOWN');
    expect(result.warning).toContain('ECONNRESET');
    expect(result.warning).toContain('ghml push');
    const { uploads } = await store.pending();
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({
      runId: '01J0000000000000000000DOWN',
      experiment: 'iris',
      manifestDigest: result.manifestDigest,
    });
    expect(uploads[0]?.files.map((f) => f.path)).toEqual(['model.bin', 'notes/readme.md']);

    // The run's open folder goes away: the files are in the cache, not there.
    rmSync(dir, { recursive: true, force: true });

    // Still down: nothing lost, the record stays.
    const stillDown = await store.uploadPending();
    expect(stillDown.failed.map((f) => f.runId)).toEqual(['01J0000000000000000000DOWN']);
    expect(stillDown.failed[0]?.error).toBeInstanceOf(RegistryUnavailableError);
    expect((await store.pending()).uploads).toHaveLength(1);

    await registry.restart();
    const pushed = await store.uploadPending();
    expect(pushed.uploaded.map((u) => [u.tag, u.manifestDigest])).toEqual([
      ['01J0000000000000000000DOWN', result.manifestDigest],
    ]);
    expect((await store.pending()).uploads).toEqual([]);
    const raw = await rawManifest(registry.host, 'acme/ml/runs', '01J0000000000000000000DOWN');
    expect(raw.digest).toBe(result.manifestDigest);
    const again = await store.uploadPending();
    expect(again.uploaded).toEqual([]);
    expect(again.failed).toEqual([]);

    const dest = join(work, 'down-out');
    await openTestStore(registry.host).store.fetchRunFiles('01J0000000000000000000DOWN', dest);
    expect(readFileSync(join(dest, 'model.bin'))).toEqual(files[0]?.data);
    expect(readFileSync(join(dest, 'notes', 'readme.md'), 'utf8')).toBe('# run');
  });

  it('aborts when a file changes while it uploads: no manifest, nothing queued, the error names the file', async () => {
    for (const mode of ['chunked', 'one PUT'] as const) {
      const dir = join(work, `changes-${mode}`);
      const file = writeRunFile(dir, 'model.bin', randomData(32 * MiB));
      proxy.addFault({
        method: mode === 'chunked' ? 'PATCH' : 'PUT',
        path: /uploads/,
        times: 1,
        action: {
          kind: 'hook',
          afterBytes: MiB,
          thenForward: true,
          run: () => {
            const fd = openSync(file.file, 'r+');
            writeSync(fd, Buffer.from('training wrote more'), 0, 19, 30 * MiB);
            closeSync(fd);
            return Promise.resolve();
          },
        },
      });
      const runId =
        mode === 'chunked' ? '01J0000000000000000000CHG1' : '01J0000000000000000000CHG2';
      const gitDir = tempGitDir();
      const { store } = openTestStore(proxy.host, {
        gitDir,
        upload:
          mode === 'chunked'
            ? { chunkBytes: 8 * MiB, monolithicMaxBytes: 1 }
            : { monolithicMaxBytes: 64 * MiB },
      });
      const error = await store
        .uploadRun(runId, [file], { experiment: 'x' })
        .catch((e: unknown) => e);
      expect(error, mode).toBeInstanceOf(DigestMismatchError);
      expect((error as Error).message).toContain(`model.bin: expected sha256 ${file.sha256}`);
      expect((error as DigestMismatchError).hint).toContain('changed while it was read');
      // The registry checked the bytes against the recorded digest (ghml does not hash again).
      expect((error as Error).message).toContain('computed by the registry');
      expect((await rawManifest(registry.host, 'acme/ml/runs', runId)).status).toBe(404);
      expect((await store.pending()).uploads).toEqual([]);
    }
  });

  it('refuses paths with .. or absolute paths before anything is sent or queued', async () => {
    const dir = join(work, 'paths');
    const file = writeRunFile(dir, 'ok.bin', 'x');
    const gitDir = tempGitDir();
    const { store } = openTestStore(proxy.host, { gitDir });
    const before = proxy.requests.length;
    for (const path of ['../escape.bin', 'a/../../escape.bin', '/etc/passwd', 'a//b', 'C:/x']) {
      const error = await store
        .uploadRun('01J0000000000000000000PATH', [{ ...file, path }], { experiment: 'x' })
        .catch((e: unknown) => e);
      expect(error, path).toBeInstanceOf(UnsafeArtifactPathError);
      expect((error as Error).message).toContain(`'${path}'`);
    }
    expect(proxy.requests.length).toBe(before);
    expect((await store.pending()).uploads).toEqual([]);
  });

  it('detects a stored blob whose bytes do not match its digest, and leaves no file', async () => {
    const dir = join(work, 'rot');
    const file = writeRunFile(dir, 'model.bin', randomData(100_000));
    const { store } = openTestStore(registry.host);
    await store.uploadRun('01J0000000000000000000ROTT', [file], { experiment: 'x' });
    const data = blobDataPath(registry.storageDir, file.sha256);
    const damaged = readFileSync(data);
    damaged[500] = (damaged[500] ?? 0) ^ 0xff;
    writeFileSync(data, damaged);
    const dest = join(work, 'rot-out');
    const error = await openTestStore(registry.host)
      .store.fetchRunFiles('01J0000000000000000000ROTT', dest)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect((error as Error).message).toContain(
      `model.bin: expected sha256 ${file.sha256}, got ${sha256(damaged)}`,
    );
    expect(existsSync(join(dest, 'model.bin'))).toBe(false);
    expect(existsSync(dest) ? readdirSync(dest) : []).toEqual([]);
  });

  it('names the path when a manifest refers to a blob the registry lost', async () => {
    const dir = join(work, 'lost');
    const file = writeRunFile(dir, 'weights/model.bin', randomData(50_000));
    const { store } = openTestStore(registry.host);
    await store.uploadRun('01J0000000000000000000LOST', [file], { experiment: 'x' });
    unlinkSync(blobDataPath(registry.storageDir, file.sha256));
    const dest = join(work, 'lost-out');
    const error = await openTestStore(registry.host)
      .store.fetchRunFiles('01J0000000000000000000LOST', dest)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingBlobError);
    expect((error as Error).message).toContain(
      `has no blob sha256:${file.sha256} for 'weights/model.bin'`,
    );
    expect((error as MissingBlobError).hint).toContain('ghml push');
    expect(existsSync(join(dest, 'weights', 'model.bin'))).toBe(false);
  });

  it("refuses a manifest whose file titles would escape the destination (another tool's or a tampered one)", async () => {
    const { store } = openTestStore(registry.host);
    const payload = Buffer.from('evil');
    const digest = `sha256:${sha256(payload)}`;
    const empty = Buffer.from('{}');
    for (const blob of [payload, empty]) {
      const post = await fetch(`http://${registry.host}/v2/acme/ml/runs/blobs/uploads/`, {
        method: 'POST',
      });
      const location = new URL(post.headers.get('location') ?? '', `http://${registry.host}`);
      location.searchParams.set('digest', `sha256:${sha256(blob)}`);
      const put = await fetch(location, { method: 'PUT', body: blob });
      expect(put.status).toBe(201);
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.ghml.run.v1',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: `sha256:${sha256(empty)}`,
        size: 2,
      },
      layers: [
        {
          mediaType: 'application/octet-stream',
          digest,
          size: 4,
          annotations: { 'org.opencontainers.image.title': '../../outside.txt' },
        },
      ],
      annotations: { 'vnd.ghml.run.id': '01J0000000000000000000EVIL', 'vnd.ghml.experiment': 'x' },
    };
    const put = await fetch(
      `http://${registry.host}/v2/acme/ml/runs/manifests/01J0000000000000000000EVIL`,
      {
        method: 'PUT',
        body: JSON.stringify(manifest),
        headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      },
    );
    expect(put.status).toBe(201);
    const dest = join(work, 'evil', 'out');
    const error = await store
      .fetchRunFiles('01J0000000000000000000EVIL', dest)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidManifestError);
    expect((error as Error).message).toContain("path '../../outside.txt' contains a '..' segment");
    expect(existsSync(join(work, 'outside.txt'))).toBe(false);
    expect(existsSync(join(work, 'evil'))).toBe(false);
  });
});
