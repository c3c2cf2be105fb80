import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../../../src/errors/ghml-error.js';
import { InsecureRegistryError, RegistryAuthError } from '../../../src/artifacts/oci/oci-errors.js';
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

/** Everything a user or a log could ever see of an error. */
function visible(error: unknown): string {
  return [
    describeError(error),
    String(error),
    (error as Error).stack ?? '',
    inspect(error, { depth: 10, showHidden: true }),
    JSON.stringify(error),
  ].join('\n');
}

const PASSWORD = 'alice-secret-Pa55word-XYZ';
const WRONG = 'mallory-guess-Pa55word-QQQ';

describe('registry authentication: htpasswd (basic)', () => {
  let registry: RunningRegistry;
  let work: string;

  beforeAll(async () => {
    registry = await startRegistry({ auth: { kind: 'htpasswd', users: { alice: PASSWORD } } });
    work = mkdtempSync(join(tmpdir(), 'ghml-auth-'));
  });
  afterAll(async () => {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses anonymous access with a 401 naming docker login and the GHML_REGISTRY_* variables', async () => {
    const emptyDocker = join(work, 'no-docker');
    mkdirSync(emptyDocker);
    const { store } = openTestStore(registry.host, { env: { DOCKER_CONFIG: emptyDocker } });
    const error = await store.readRun('01J0000000000000000000AAAA').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    const auth = error as RegistryAuthError;
    expect(auth.status).toBe(401);
    expect(auth.message).toContain(
      `${registry.host} refused to let ghml pull acme/ml/runs (HTTP 401`,
    );
    expect(auth.hint).toContain(`docker login ${registry.host}`);
    expect(auth.hint).toContain('GHML_REGISTRY_USERNAME');
    expect(auth.hint).toContain('had no credentials');
  });

  it('reports refused credentials without ever printing the password, and queues the run', async () => {
    const dir = join(work, 'wrong');
    const file = writeRunFile(dir, 'model.bin', randomData(5000));
    const env = { GHML_REGISTRY_USERNAME: 'alice', GHML_REGISTRY_PASSWORD: WRONG };
    const { store, debug } = openTestStore(registry.host, { env });
    const error = await store
      .uploadRun('01J0000000000000000000WRNG', [file], { experiment: 'x', queueOnFailure: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as RegistryAuthError).hint).toContain(
      "basic credentials for 'alice' from GHML_REGISTRY_USERNAME/GHML_REGISTRY_PASSWORD were refused",
    );
    const seen = [
      visible(error),
      debug.join('\n'),
      inspect(store, { depth: 20, showHidden: true }),
    ].join('\n');
    expect(seen).not.toContain(WRONG);
    expect(seen).not.toContain(Buffer.from(`alice:${WRONG}`).toString('base64'));

    const queued = await store.uploadRun('01J0000000000000000000WRNG', [file], { experiment: 'x' });
    expect(queued.pending).toBe(true);
    expect(queued.warning).toContain('refused');
    expect(queued.warning).toContain('ghml push');
    expect(queued.warning).not.toContain(WRONG);
  });

  it('reads credentials from the docker config (auths), with DOCKER_CONFIG honoured', async () => {
    const dockerDir = join(work, 'docker');
    mkdirSync(dockerDir);
    writeFileSync(
      join(dockerDir, 'config.json'),
      JSON.stringify({
        auths: { [registry.host]: { auth: Buffer.from(`alice:${PASSWORD}`).toString('base64') } },
      }),
    );
    const dir = join(work, 'docker-run');
    const file = writeRunFile(dir, 'a.txt', 'from docker config');
    const { store, debug } = openTestStore(registry.host, { env: { DOCKER_CONFIG: dockerDir } });
    const result = await store.uploadRun('01J0000000000000000000DCKR', [file], { experiment: 'x' });
    expect(result.pending).toBe(false);
    expect(debug.join('\n')).not.toContain(PASSWORD);
  });
});

describe('registry authentication: token realm (docker token auth, JWTs the registry verifies)', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  let work: string;

  beforeAll(async () => {
    registry = await startRegistry({
      auth: {
        kind: 'token',
        users: { writer: PASSWORD, reader: 'reader-password-123' },
        refreshTokens: { 'refresh-token-of-writer-0123456789': 'writer' },
        grant: (user, _repository, actions) =>
          user === 'writer'
            ? actions
            : user === 'reader'
              ? actions.filter((a) => a === 'pull')
              : [],
      },
    });
    proxy = await startFaultProxy(registry.host);
    work = mkdtempSync(join(tmpdir(), 'ghml-token-'));
  });
  afterAll(async () => {
    await proxy.close();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('exchanges basic credentials for a scoped token at the realm, caches it, and never sends the password to the registry', async () => {
    const dir = join(work, 'w');
    const files = [0, 1, 2, 3, 4].map((i) => writeRunFile(dir, `f${i}.bin`, randomData(2000 + i)));
    const env = { GHML_REGISTRY_USERNAME: 'writer', GHML_REGISTRY_PASSWORD: PASSWORD };
    const { store, debug } = openTestStore(proxy.host, { env });
    const tokenRequests = registry.tokenServer?.requests.length ?? 0;
    const result = await store.uploadRun('01J0000000000000000000TOKN', files, { experiment: 'x' });
    expect(result.pending).toBe(false);
    const asked = registry.tokenServer?.requests.slice(tokenRequests) ?? [];
    // One token for the pull HEADs, one for pull+push: not one per request.
    expect(asked.length).toBeLessThanOrEqual(3);
    expect(asked.every((r) => r.user === 'writer' && r.authorized)).toBe(true);
    expect(asked.flatMap((r) => r.scopes)).toContain('repository:acme/ml/runs:pull,push');
    // The registry saw bearer tokens (or nothing, for the first probe), never the password.
    expect(proxy.requests.every((r) => r.auth === null || r.auth === 'bearer')).toBe(true);
    const tokens = registry.tokenServer?.issued ?? [];
    const seen = [debug.join('\n'), inspect(store, { depth: 20, showHidden: true })].join('\n');
    for (const token of tokens) expect(seen).not.toContain(token);
    expect(seen).not.toContain(PASSWORD);

    const reader = openTestStore(registry.host, {
      env: { GHML_REGISTRY_USERNAME: 'reader', GHML_REGISTRY_PASSWORD: 'reader-password-123' },
    }).store;
    const read = await reader.readRun('01J0000000000000000000TOKN');
    expect(read.files).toHaveLength(5);
  });

  it('turns a token without push (insufficient scope) into a 401 error with a scope hint', async () => {
    const dir = join(work, 'r');
    const file = writeRunFile(dir, 'f.bin', randomData(1000));
    const env = { GHML_REGISTRY_USERNAME: 'reader', GHML_REGISTRY_PASSWORD: 'reader-password-123' };
    const { store } = openTestStore(registry.host, { env });
    const error = await store
      .uploadRun('01J0000000000000000000READ', [file], { experiment: 'x', queueOnFailure: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    const auth = error as RegistryAuthError;
    expect(auth.access).toBe('push');
    expect(auth.status).toBe(401);
    expect(auth.hint).toContain("basic credentials for 'reader'");
    expect(auth.hint).toContain('push');
    const tokens = registry.tokenServer?.issued ?? [];
    for (const token of tokens) expect(visible(error)).not.toContain(token);
  });

  it('reports credentials the token service refuses', async () => {
    const env = { GHML_REGISTRY_USERNAME: 'writer', GHML_REGISTRY_PASSWORD: WRONG };
    const { store } = openTestStore(registry.host, { env });
    const error = await store.readRun('01J0000000000000000000TOKN').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as Error).message).toContain('the token service 127.0.0.1');
    expect(visible(error)).not.toContain(WRONG);
  });

  it("uses docker's identity token through the OAuth2 refresh-token grant", async () => {
    const dockerDir = join(work, 'docker-identity');
    mkdirSync(dockerDir);
    writeFileSync(
      join(dockerDir, 'config.json'),
      JSON.stringify({
        auths: { [registry.host]: { identitytoken: 'refresh-token-of-writer-0123456789' } },
      }),
    );
    const before = registry.tokenServer?.requests.length ?? 0;
    const { store } = openTestStore(registry.host, { env: { DOCKER_CONFIG: dockerDir } });
    const read = await store.readRun('01J0000000000000000000TOKN');
    expect(read.runId).toBe('01J0000000000000000000TOKN');
    const asked = registry.tokenServer?.requests.slice(before) ?? [];
    expect(asked.map((r) => [r.method, r.user])).toEqual([['POST', 'writer']]);
  });

  it('refuses a token realm over plain http to a host that is not loopback', async () => {
    proxy.addFault({
      method: 'GET',
      path: /manifests/,
      action: {
        kind: 'status',
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="http://auth.example.com/token",service="x"' },
      },
    });
    const env = { GHML_REGISTRY_USERNAME: 'writer', GHML_REGISTRY_PASSWORD: PASSWORD };
    const error = await openTestStore(proxy.host, { env })
      .store.readRun('01J0000000000000000000TOKN')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsecureRegistryError);
    expect((error as Error).message).toContain(
      "Refusing plain HTTP to 'http://auth.example.com/token'",
    );
  });

  it('turns a 403 into an error naming the refused action', async () => {
    proxy.addFault({
      method: 'POST',
      path: /blobs\/uploads/,
      action: {
        kind: 'status',
        status: 403,
        body: JSON.stringify({
          errors: [{ code: 'DENIED', message: 'permission_denied: write_package' }],
        }),
      },
    });
    const dir = join(work, 'forbidden');
    const file = writeRunFile(dir, 'f.bin', randomData(3000));
    const env = { GHML_REGISTRY_USERNAME: 'writer', GHML_REGISTRY_PASSWORD: PASSWORD };
    const error = await openTestStore(proxy.host, { env })
      .store.uploadRun('01J0000000000000000000FRBD', [file], {
        experiment: 'x',
        queueOnFailure: false,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as Error).message).toContain(
      '(HTTP 403: DENIED: permission_denied: write_package)',
    );
    expect((error as RegistryAuthError).hint).toContain('were refused for push');
  });
});

describe('registry authentication: a token that expires before the client expects', () => {
  it('asks for a new token when the registry refuses a stale one, and carries on', async () => {
    // distribution 2.8 allows 60 s of clock skew: a JWT dated to expire 57 s ago dies 3 s after
    // it is issued, while the token service says it lasts 300 s (as with a skewed clock).
    const registry = await startRegistry({
      auth: { kind: 'token', users: { ci: PASSWORD }, jwtTtlSeconds: -57 },
    });
    try {
      const work = mkdtempSync(join(tmpdir(), 'ghml-stale-'));
      const env = { GHML_REGISTRY_USERNAME: 'ci', GHML_REGISTRY_PASSWORD: PASSWORD };
      const { store, debug } = openTestStore(registry.host, { env });
      await store.uploadRun(
        '01J0000000000000000000STL1',
        [writeRunFile(work, 'a.bin', randomData(1000))],
        {
          experiment: 'x',
        },
      );
      const before = registry.tokenServer?.requests.length ?? 0;
      const lines = debug.length;
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const second = await store.uploadRun(
        '01J0000000000000000000STL2',
        [writeRunFile(work, 'b.bin', randomData(1000))],
        {
          experiment: 'x',
        },
      );
      expect(second.pending).toBe(false);
      expect(registry.tokenServer?.requests.length).toBeGreaterThan(before);
      const after = debug.slice(lines);
      expect(after.filter((l) => l.endsWith('-> 401')).length).toBeGreaterThan(0);
      expect(after.at(-1)).toBe('PUT /v2/acme/ml/runs/manifests/01J0000000000000000000STL2 -> 201');
      rmSync(work, { recursive: true, force: true });
    } finally {
      await registry.stop();
    }
  });
});
