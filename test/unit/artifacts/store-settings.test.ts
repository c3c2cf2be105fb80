import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors/ghml-error.js';
import { RegistryCredential } from '../../../src/artifacts/oci/registry-credential.js';
import {
  authHint,
  resolveRegistryCredentials,
} from '../../../src/artifacts/oci/registry-credentials.js';
import {
  describeStore,
  effectiveStore,
  openArtifactStore,
  stepJobToken,
} from '../../../src/artifacts/store-settings.js';

const noDocker = mkdtempSync(join(tmpdir(), 'ghml-nodocker-'));
afterAll(() => rmSync(noDocker, { recursive: true, force: true }));

describe('which store is in force', () => {
  it('uses ghml.yml when it says, GHCR on Actions, none elsewhere', () => {
    const actions = { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'Acme-Corp/Iris.Model' };
    expect(effectiveStore(undefined, actions)).toEqual({
      url: { kind: 'oci', registry: 'ghcr.io', prefix: 'acme-corp/iris.model' },
      source: 'the GitHub Actions default',
    });
    expect(describeStore(undefined, actions)).toBe(
      'oci://ghcr.io/acme-corp/iris.model (the GitHub Actions default)',
    );
    expect(effectiveStore(undefined, {})).toEqual({ url: { kind: 'none' }, source: 'the default' });
    expect(effectiveStore({ kind: 'none' }, actions).url).toEqual({ kind: 'none' });
    expect(
      effectiveStore({ kind: 'oci', registry: 'r.example.com', prefix: 'x' }, actions).source,
    ).toBe('ghml.yml');
    expect(openArtifactStore({ setting: undefined, env: {}, gitDir: noDocker })).toBeNull();
  });

  it('uses containers.<host> on GitHub Enterprise Server', () => {
    expect(
      effectiveStore(undefined, {
        GITHUB_ACTIONS: 'true',
        GITHUB_REPOSITORY: 'a/b',
        GITHUB_SERVER_URL: 'https://git.corp.example',
      }).url,
    ).toEqual({ kind: 'oci', registry: 'containers.git.corp.example', prefix: 'a/b' });
  });

  it('says to set artifacts.store when the repository name cannot be a registry path', () => {
    expect(() =>
      effectiveStore(undefined, { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/.github' }),
    ).toThrow(UsageError);
    expect(() =>
      effectiveStore(undefined, { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/.github' }),
    ).toThrow("GITHUB_REPOSITORY 'acme/.github' does not give a container registry path.");
  });

  it('opens the store with its layout under the prefix', () => {
    const store = openArtifactStore({
      setting: undefined,
      env: { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/iris' },
      gitDir: noDocker,
    });
    expect(store?.url).toBe('oci://ghcr.io/acme/iris');
    expect(store?.runsRepository).toBe('acme/iris/runs');
    expect(store?.client.baseUrl.href).toBe('https://ghcr.io/');
  });

  it("writes the code repository's URL into manifests on Actions, so GHCR links the package to it", () => {
    const env = {
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'acme/iris',
      GITHUB_SERVER_URL: 'https://github.com',
    };
    const store = openArtifactStore({ setting: undefined, env, gitDir: noDocker });
    const { manifest } = store?.describeRun('R1', [], { experiment: 'e' }) ?? {
      manifest: Buffer.alloc(0),
    };
    const annotations = (JSON.parse(manifest.toString()) as { annotations: Record<string, string> })
      .annotations;
    expect(annotations['org.opencontainers.image.source']).toBe('https://github.com/acme/iris');
    const local = openArtifactStore({
      setting: { kind: 'oci', registry: 'localhost:5000', prefix: 'x' },
      env: {},
      gitDir: noDocker,
    });
    const bare = local?.describeRun('R1', [], { experiment: 'e' }).manifest.toString() ?? '';
    expect(bare).not.toContain('image.source');
  });
});

describe('which credentials a registry gets', () => {
  const env = { DOCKER_CONFIG: noDocker };

  it('sends the job token to GitHub’s registry only, never to another host', async () => {
    const ghcr = await resolveRegistryCredentials('ghcr.io', {
      env: { ...env, GITHUB_ACTOR: 'octocat' },
      jobToken: 'ghs_jobtoken0123456789abcdef',
    });
    expect(ghcr?.username).toBe('octocat');
    expect(ghcr?.basicAuthorization()).toBe(
      `Basic ${Buffer.from('octocat:ghs_jobtoken0123456789abcdef').toString('base64')}`,
    );
    expect(ghcr?.source).toBe('the workflow token (GITHUB_TOKEN)');
    expect(
      await resolveRegistryCredentials('registry.example.com', {
        env,
        jobToken: 'ghs_jobtoken0123456789abcdef',
      }),
    ).toBeNull();
    expect(
      await resolveRegistryCredentials('ghcr.io.evil.example', {
        env,
        jobToken: 'ghs_jobtoken0123456789abcdef',
      }),
    ).toBeNull();
  });

  it('takes a CLI step’s GITHUB_TOKEN as the job token on Actions only', () => {
    expect(stepJobToken({ GITHUB_ACTIONS: 'true', GITHUB_TOKEN: ' ghs_step0123 ' })).toBe(
      'ghs_step0123',
    );
    expect(stepJobToken({ GITHUB_ACTIONS: 'true', GH_TOKEN: 'ghs_gh0123' })).toBe('ghs_gh0123');
    expect(stepJobToken({ GITHUB_TOKEN: 'ghp_laptop0123' })).toBeUndefined();
    expect(stepJobToken({ GITHUB_ACTIONS: 'true', GITHUB_TOKEN: '  ' })).toBeUndefined();
  });

  it('falls back to GHML_REGISTRY_USERNAME/PASSWORD, and wants both', async () => {
    const both = await resolveRegistryCredentials('r.example.com', {
      env: { ...env, GHML_REGISTRY_USERNAME: 'bot', GHML_REGISTRY_PASSWORD: 'pw-0123456789' },
    });
    expect(both?.toString()).toBe(
      "basic credentials for 'bot' from GHML_REGISTRY_USERNAME/GHML_REGISTRY_PASSWORD",
    );
    await expect(
      resolveRegistryCredentials('r.example.com', {
        env: { ...env, GHML_REGISTRY_USERNAME: 'bot' },
      }),
    ).rejects.toThrow('GHML_REGISTRY_PASSWORD is not set, but GHML_REGISTRY_USERNAME is.');
  });

  it('keeps the secret out of every way an object is printed', () => {
    const credential = RegistryCredential.basic('bot', 'hunter2-secret-value', 'test');
    const shown = [
      String(credential),
      JSON.stringify(credential),
      JSON.stringify({ credential }),
    ].join(' ');
    expect(shown).not.toContain('hunter2-secret-value');
    expect(JSON.stringify(credential)).toBe('{"kind":"basic","username":"bot","source":"test"}');
  });

  it('names the fix that exists for the case at hand', () => {
    const actions = { GITHUB_ACTIONS: 'true' };
    expect(authHint('ghcr.io', 'push', null, actions)).toContain('`permissions: packages: write`');
    expect(authHint('ghcr.io', 'pull', null, actions)).toContain('`permissions: packages: read`');
    expect(authHint('ghcr.io', 'push', null, {})).toBe(
      'ghml had no credentials for ghcr.io: run `docker login ghcr.io`, or set GHML_REGISTRY_USERNAME and GHML_REGISTRY_PASSWORD (a token with the write:packages scope)',
    );
    const credential = RegistryCredential.basic('bot', 'pw-0123456789', 'docker-credential-pass');
    expect(authHint('r.example.com', 'delete', credential, {})).toBe(
      "the basic credentials for 'bot' from docker-credential-pass were refused for delete: run `docker login r.example.com`, or set GHML_REGISTRY_USERNAME and GHML_REGISTRY_PASSWORD",
    );
  });
});
