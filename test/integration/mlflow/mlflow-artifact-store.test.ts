/**
 * MLflow artifact uploads larger than `artifacts.max_file_size` go to the artifact store as
 * `ghml run`'s files do, through the real registry (Debian's docker-registry): from runs made
 * through `ghml server` and from runs a `ghml run` command starts through its endpoint. run.json
 * names the run's manifest, the tracking branch never holds the bytes, a fresh clone's endpoint
 * serves them back from the store, and with the store down they wait in the local cache until
 * `ghml push`.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/config-defaults.js';
import { createGit } from '../../../src/git/git.js';
import { startTrackingServer } from '../../../src/mlflow/tracking-server.js';
import { runAndRecord } from '../../../src/tracking/run-session.js';
import { collect, ghmlEnv, runGhml, startGhml } from '../../support/run-ghml.js';
import { startRegistry, type RunningRegistry } from '../../support/oci-registry/index.js';
import { rawManifest } from '../../support/oci-registry/store-fixture.js';
import {
  cleanupTempDirs,
  cloneRepo,
  git,
  makeBareRemote,
  makeRepo,
  tempDir,
} from '../../support/temp-repo.js';
import { MlflowTestClient, type Reply } from './fixtures/mlflow-client.js';

const MODEL_BYTES = 3 * 1024 * 1024;

let registry: RunningRegistry;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry.stop();
  cleanupTempDirs();
});

interface RecordedRun {
  id: string;
  artifacts: Array<{ path: string; size: number; sha256: string; stored: boolean; uri?: string }>;
  store?: { url: string; repository: string; manifest: string };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A repository pushed to a bare origin, with ghml.yml naming the store (default size limit). */
function repoWithStore(store: string): { origin: string; repo: string } {
  const origin = makeBareRemote();
  const repo = makeRepo();
  writeFileSync(join(repo, 'ghml.yml'), `artifacts:\n  store: ${store}\n`);
  git(repo, 'add', 'ghml.yml');
  git(repo, 'commit', '-q', '-m', 'store');
  git(repo, 'remote', 'add', 'origin', `file://${origin}`);
  git(repo, 'push', '-q', 'origin', 'main');
  return { origin, repo };
}

/** Starts `ghml server` (the built CLI) and waits for the URL it prints. */
async function serve(repo: string, args: string[] = []) {
  const child = startGhml(['server', '--port', '0', ...args], { cwd: repo, env: ghmlEnv() });
  const done = collect(child);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /endpoint on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.once('exit', () => reject(new Error(`server exited: ${out}`)));
  });
  return { child, done, url };
}

async function stopServer(child: ChildProcess, done: ReturnType<typeof collect>) {
  child.kill('SIGTERM');
  const result = await done;
  expect(result.code, result.stderr).toBe(0);
  return result;
}

/** What the MLflow client does for `log_artifact`: runs/get for the root, then a PUT. */
async function uploadArtifact(
  client: MlflowTestClient,
  runId: string,
  path: string,
  data: Buffer,
): Promise<void> {
  const run = await client.get('runs/get', { run_id: runId });
  expect(run.status, run.text).toBe(200);
  const uri = (run.json?.run as { info: { artifact_uri: string } }).info.artifact_uri;
  const root = uri.slice('mlflow-artifacts:/'.length);
  const put = await client.call('PUT', `/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, {
    body: data,
    contentType: 'application/octet-stream',
  });
  expect(put.status, put.text).toBe(200);
}

/** What the MLflow client does for `download_artifacts`: runs/get for the root, then a GET. */
async function downloadArtifact(
  client: MlflowTestClient,
  runId: string,
  path: string,
): Promise<Reply> {
  const run = await client.get('runs/get', { run_id: runId });
  expect(run.status, run.text).toBe(200);
  const uri = (run.json?.run as { info: { artifact_uri: string } }).info.artifact_uri;
  const root = uri.slice('mlflow-artifacts:/'.length);
  return client.call('GET', `/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`);
}

async function createRun(client: MlflowTestClient): Promise<string> {
  const reply = await client.post('runs/create', { experiment_id: '0', start_time: Date.now() });
  expect(reply.status, reply.text).toBe(200);
  return (reply.json?.run as { info: { run_id: string } }).info.run_id;
}

async function endRun(client: MlflowTestClient, runId: string): Promise<void> {
  const reply = await client.post('runs/update', {
    run_id: runId,
    status: 'FINISHED',
    end_time: Date.now(),
  });
  expect(reply.status, reply.text).toBe(200);
}

/** run.json of a run as the given repository's tracking branch holds it. */
function runJsonOn(repo: string, ref: string, runId: string): RecordedRun {
  const path = git(repo, 'ls-tree', '-r', '--name-only', ref)
    .split('\n')
    .find((p) => p.endsWith(`/${runId}/run.json`));
  expect(path, `run.json of ${runId} on ${ref}`).toBeDefined();
  return JSON.parse(git(repo, 'show', `${ref}:${path as string}`)) as RecordedRun;
}

/** True when the repository holds a git object with exactly these bytes. */
function holdsBytes(repo: string, data: Buffer): boolean {
  const file = join(tempDir(), 'bytes');
  writeFileSync(file, data);
  const oid = git(repo, 'hash-object', file);
  try {
    git(repo, 'cat-file', '-e', oid);
    return true;
  } catch {
    return false;
  }
}

/** The run's manifest in the registry lists the file's blob, and the blob is there. */
async function expectInRegistry(host: string, record: RecordedRun, data: Buffer, path: string) {
  const manifest = await rawManifest(host, 'acme/iris/runs', record.id);
  expect(manifest.status).toBe(200);
  expect(manifest.digest).toBe(record.store?.manifest);
  const layers = (manifest.json as { layers: Array<Record<string, unknown>> }).layers;
  expect(layers).toContainEqual(
    expect.objectContaining({
      digest: `sha256:${sha256(data)}`,
      size: data.length,
      annotations: { 'org.opencontainers.image.title': path },
    }),
  );
  const blob = await fetch(`http://${host}/v2/acme/iris/runs/blobs/sha256:${sha256(data)}`);
  expect(blob.status).toBe(200);
  expect(Buffer.from(await blob.arrayBuffer()).equals(data)).toBe(true);
}

describe('MLflow artifacts over artifacts.max_file_size go to the artifact store', () => {
  it('ghml server: a 3 MiB upload is a blob of the run manifest, and a fresh clone serves it back', async () => {
    const { origin, repo } = repoWithStore(`oci://${registry.host}/acme/iris`);
    const model = randomBytes(MODEL_BYTES);
    const server = await serve(repo);
    const client = new MlflowTestClient(server.url);
    const id = await createRun(client);
    await uploadArtifact(client, id, 'model/weights.bin', model);
    await endRun(client, id);
    client.close();
    const stopped = await stopServer(server.child, server.done);
    expect(stopped.stderr).not.toContain('warning');

    const record = runJsonOn(origin, 'ghml/runs', id);
    expect(record.store).toEqual({
      url: `oci://${registry.host}/acme/iris`,
      repository: 'acme/iris/runs',
      manifest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(record.artifacts).toEqual([
      expect.objectContaining({
        path: 'model/weights.bin',
        size: MODEL_BYTES,
        sha256: sha256(model),
        stored: false,
        uri: `oci://${registry.host}/acme/iris/runs@${record.store?.manifest}#model/weights.bin`,
      }),
    ]);
    await expectInRegistry(registry.host, record, model, 'model/weights.bin');
    expect(holdsBytes(origin, model)).toBe(false);

    // A fresh clone has no local cache: the bytes can only come from the store.
    const clone = cloneRepo(origin);
    const reader = await serve(clone, ['--no-push']);
    const readClient = new MlflowTestClient(reader.url);
    const got = await downloadArtifact(readClient, id, 'model/weights.bin');
    readClient.close();
    await stopServer(reader.child, reader.done);
    expect(got.status, got.text.slice(0, 500)).toBe(200);
    expect(got.body.length).toBe(MODEL_BYTES);
    expect(got.body.equals(model)).toBe(true);
  });

  it('ghml server with the store down: the file waits in the local cache and ghml push uploads it', async () => {
    const own = await startRegistry();
    try {
      const { origin, repo } = repoWithStore(`oci://${own.host}/acme/iris`);
      await own.kill();
      const model = randomBytes(MODEL_BYTES);
      const server = await serve(repo);
      const client = new MlflowTestClient(server.url);
      const id = await createRun(client);
      await uploadArtifact(client, id, 'model.bin', model);
      await endRun(client, id);
      // The machine that recorded it still serves the file, from the local cache.
      const local = await downloadArtifact(client, id, 'model.bin');
      expect(local.status, local.text.slice(0, 500)).toBe(200);
      expect(local.body.equals(model)).toBe(true);
      client.close();
      const stopped = await stopServer(server.child, server.done);
      expect(stopped.stderr).toMatch(/warning: .*ghml push/);
      expect(holdsBytes(origin, model)).toBe(false);
      const shown = await runGhml(['runs', 'show', id, '--json', '--no-fetch'], {
        cwd: repo,
        env: ghmlEnv(),
      });
      expect(JSON.parse(shown.stdout)).toMatchObject({
        pending: true,
        artifacts: [{ path: 'model.bin', stored: false, pending: true }],
      });

      // Not in the store yet: a fresh clone cannot have the bytes, and says so.
      const early = cloneRepo(origin);
      const earlyServer = await serve(early, ['--no-push']);
      const earlyClient = new MlflowTestClient(earlyServer.url);
      const missing = await downloadArtifact(earlyClient, id, 'model.bin');
      earlyClient.close();
      await stopServer(earlyServer.child, earlyServer.done);
      expect(missing.status).toBeGreaterThanOrEqual(400);
      expect(missing.json?.error_code).toMatch(/RESOURCE_DOES_NOT_EXIST|TEMPORARILY_UNAVAILABLE/);

      await own.restart();
      const pushed = await runGhml(['push', '--json'], { cwd: repo, env: ghmlEnv() });
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(JSON.parse(pushed.stdout)).toMatchObject({ artifacts: { uploaded: [id] } });

      const clone = cloneRepo(origin);
      const reader = await serve(clone, ['--no-push']);
      const readClient = new MlflowTestClient(reader.url);
      const got = await downloadArtifact(readClient, id, 'model.bin');
      readClient.close();
      await stopServer(reader.child, reader.done);
      expect(got.status, got.text.slice(0, 500)).toBe(200);
      expect(got.body.equals(model)).toBe(true);
    } finally {
      await own.stop();
    }
  });

  it('ghml run: a nested MLflow run started by the command uploads its large file to the store', async () => {
    const { origin, repo } = repoWithStore(`oci://${registry.host}/acme/iris`);
    const model = randomBytes(MODEL_BYTES);
    writeFileSync(join(repo, 'weights.bin'), model);
    writeFileSync(join(repo, 'train.py'), NESTED_UPLOAD);
    const result = await runGhml(['run', '--json', '--', 'python3', 'train.py'], {
      cwd: repo,
      env: ghmlEnv(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('warning');
    const child = /child ([0-9A-Z]{26})/.exec(result.stderr)?.[1] as string;
    expect(child).toBeDefined();
    const record = runJsonOn(origin, 'ghml/runs', child);
    expect(record.store?.url).toBe(`oci://${registry.host}/acme/iris`);
    expect(record.artifacts).toEqual([
      expect.objectContaining({ path: 'weights.bin', stored: false, sha256: sha256(model) }),
    ]);
    await expectInRegistry(registry.host, record, model, 'weights.bin');
    expect(holdsBytes(origin, model)).toBe(false);
  });
});

describe('the MLflow endpoints reach the store with the environment they are given', () => {
  const user = 'mlflow-user';
  const password = 'mlflow-Pa55word-for-the-registry';
  let locked: RunningRegistry;
  beforeAll(async () => {
    locked = await startRegistry({ auth: { kind: 'htpasswd', users: { [user]: password } } });
  });
  afterAll(async () => {
    await locked.stop();
  });

  /** Registry credentials in variables only (no docker config), never in this process's env. */
  function credentials(): Record<string, string> {
    return {
      GHML_REGISTRY_USERNAME: user,
      GHML_REGISTRY_PASSWORD: password,
      DOCKER_CONFIG: tempDir(),
    };
  }

  async function expectUploaded(repo: string, runId: string): Promise<void> {
    const record = runJsonOn(repo, 'ghml/runs', runId);
    expect(record.store?.url).toBe(`oci://${locked.host}/acme/iris`);
    const manifest = await rawManifest(locked.host, 'acme/iris/runs', runId, { user, password });
    expect(manifest.status).toBe(200);
    expect(manifest.digest).toBe(record.store?.manifest);
  }

  it('ghml server: uses the registry credentials of its environment, not the process', async () => {
    expect(process.env.GHML_REGISTRY_PASSWORD).toBeUndefined();
    const repo = makeRepo();
    const config = defaultConfig();
    config.artifacts.store = { kind: 'oci', registry: locked.host, prefix: 'acme/iris' };
    const logs: string[] = [];
    const server = await startTrackingServer({
      git: await createGit(repo),
      config,
      cwd: repo,
      env: credentials(),
      host: '127.0.0.1',
      port: 0,
      push: false,
      log: (m) => logs.push(m),
    });
    const client = new MlflowTestClient(server.url);
    let id: string;
    try {
      id = await createRun(client);
      await uploadArtifact(client, id, 'model.bin', randomBytes(MODEL_BYTES));
      await endRun(client, id);
    } finally {
      client.close();
      await server.close();
    }
    expect(logs.join('\n')).not.toContain('warning');
    expect(logs.join('\n')).not.toContain(password);
    await expectUploaded(repo, id);
  });

  it("ghml run: runs the command starts use the run's environment, as the run itself does", async () => {
    expect(process.env.GHML_REGISTRY_PASSWORD).toBeUndefined();
    const repo = makeRepo();
    writeFileSync(join(repo, 'ghml.yml'), `artifacts:\n  store: oci://${locked.host}/acme/iris\n`);
    writeFileSync(join(repo, 'weights.bin'), randomBytes(MODEL_BYTES));
    writeFileSync(join(repo, 'train.py'), NESTED_UPLOAD);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'train');
    const logs: string[] = [];
    const result = await runAndRecord(
      { command: ['python3', 'train.py'], params: {}, push: false },
      { cwd: repo, env: ghmlEnv(credentials()), log: (m) => logs.push(m) },
    );
    expect(result.exitStatus, logs.join('\n')).toBe(0);
    expect(logs.join('\n')).not.toContain('warning');
    const runs = git(repo, 'ls-tree', '-r', '--name-only', 'ghml/runs')
      .split('\n')
      .map((p) => /\/([0-9A-Z]{26})\/run\.json$/.exec(p)?.[1])
      .filter((id): id is string => id !== undefined && id !== result.record.id);
    expect(runs).toHaveLength(1);
    await expectUploaded(repo, runs[0] as string);
  });
});

/**
 * MLflow code under `ghml run`: a nested run (start_run(nested=True)) logs a 3 MiB file with
 * log_artifact (runs/get for its artifact root, then a PUT), and ends.
 */
const NESTED_UPLOAD = `
import json, os, sys, urllib.request
uri = os.environ["MLFLOW_TRACKING_URI"]
token = os.environ["MLFLOW_TRACKING_TOKEN"]
parent = os.environ["MLFLOW_RUN_ID"]
def call(method, path, body=None, raw=None, query=""):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(uri + path + query, data=data, method=method,
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    return json.loads(urllib.request.urlopen(req).read() or b"{}")
child = call("POST", "/api/2.0/mlflow/runs/create", {"experiment_id": "0", "start_time": 1700000000000,
    "tags": [{"key": "mlflow.parentRunId", "value": parent}]})["run"]["info"]["run_id"]
info = call("GET", "/api/2.0/mlflow/runs/get", query="?run_id=" + child)["run"]["info"]
root = info["artifact_uri"][len("mlflow-artifacts:/"):]
with open("weights.bin", "rb") as f:
    call("PUT", "/api/2.0/mlflow-artifacts/artifacts/%s/weights.bin" % root, raw=f.read())
call("POST", "/api/2.0/mlflow/runs/update", {"run_id": child, "status": "FINISHED", "end_time": 1700000000002})
print("child", child, file=sys.stderr)
`;
