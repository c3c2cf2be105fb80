/**
 * docker's credential helpers, run for real: small `docker-credential-<name>` programs on PATH
 * that speak the helper protocol (`get`, server URL on stdin, JSON on stdout).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DockerCredentialsError,
  dockerCredentials,
} from '../../../src/artifacts/oci/docker-config.js';

const work = mkdtempSync(join(tmpdir(), 'ghml-credhelper-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const bin = join(work, 'bin');
mkdirSync(bin);
/** A helper that logs what it was asked (and its environment) and answers from a table. */
function helper(name: string, body: string): void {
  const file = join(bin, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}
helper(
  'test',
  [
    'read server',
    `echo "$1 $server GITHUB_TOKEN=\${GITHUB_TOKEN:-unset} PW=\${GHML_REGISTRY_PASSWORD:-unset} HOME=\${HOME:+set}" >> "${join(work, 'asked.log')}"`,
    'case "$server" in',
    '  registry.example.com) echo \'{"ServerURL":"registry.example.com","Username":"robot","Secret":"helper-secret-123"}\' ;;',
    '  https://index.docker.io/v1/) echo \'{"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"refresh-abc-123"}\' ;;',
    '  *) echo "credentials not found in native keychain"; exit 1 ;;',
    'esac',
  ].join('\n'),
);
helper('broken', 'echo "cannot talk to the keychain daemon" >&2\nexit 3');

function dockerDir(config: object): string {
  const dir = mkdtempSync(join(work, 'docker-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

const baseEnv = {
  PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}`,
  HOME: work,
  GITHUB_TOKEN: 'ghs_should_never_reach_a_helper',
  GHML_REGISTRY_PASSWORD: 'never-to-a-helper',
};

describe('docker credential helpers', () => {
  it('runs credHelpers[registry] with the server on stdin, without ghml or workflow tokens in its environment', async () => {
    const env = {
      ...baseEnv,
      DOCKER_CONFIG: dockerDir({ credHelpers: { 'registry.example.com': 'test' } }),
    };
    const credential = await dockerCredentials('registry.example.com', { env });
    expect(credential?.toString()).toBe(
      "basic credentials for 'robot' from docker-credential-test",
    );
    expect(credential?.basicAuthorization()).toBe(
      `Basic ${Buffer.from('robot:helper-secret-123').toString('base64')}`,
    );
    const asked = readFileSync(join(work, 'asked.log'), 'utf8');
    expect(asked).toContain('get registry.example.com GITHUB_TOKEN=unset PW=unset HOME=set');
  });

  it('uses credsStore for every registry, maps Docker Hub to its config key, and reads identity tokens', async () => {
    const env = { ...baseEnv, DOCKER_CONFIG: dockerDir({ credsStore: 'test' }) };
    const hub = await dockerCredentials('registry-1.docker.io', { env });
    expect(hub?.kind).toBe('identity-token');
    expect(hub?.refreshToken()).toBe('refresh-abc-123');
  });

  it('treats "credentials not found" as none, and falls back to auths', async () => {
    const env = {
      ...baseEnv,
      DOCKER_CONFIG: dockerDir({
        credsStore: 'test',
        auths: {
          'https://other.example.com/v2/': {
            auth: Buffer.from('u:p-from-file').toString('base64'),
          },
        },
      }),
    };
    expect(await dockerCredentials('nothing.example.com', { env })).toBeNull();
    const other = await dockerCredentials('other.example.com', { env });
    expect(other?.username).toBe('u');
  });

  it('reports a failing helper and a bad config clearly', async () => {
    const broken = {
      ...baseEnv,
      DOCKER_CONFIG: dockerDir({ credHelpers: { 'r.example.com': 'broken' } }),
    };
    const error = await dockerCredentials('r.example.com', { env: broken }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DockerCredentialsError);
    expect((error as Error).message).toBe(
      'docker-credential-broken get failed with exit status 3: cannot talk to the keychain daemon.',
    );
    expect((error as DockerCredentialsError).hint).toContain('docker login r.example.com');

    const missing = {
      ...baseEnv,
      DOCKER_CONFIG: dockerDir({ credHelpers: { 'r.example.com': 'not-installed' } }),
    };
    await expect(dockerCredentials('r.example.com', { env: missing })).rejects.toThrow(
      /docker-credential-not-installed get failed/,
    );

    const sneaky = { ...baseEnv, DOCKER_CONFIG: dockerDir({ credsStore: '../../bin/sh' }) };
    await expect(dockerCredentials('r.example.com', { env: sneaky })).rejects.toThrow(
      'which is not a helper name',
    );

    const dir = mkdtempSync(join(work, 'docker-bad-'));
    writeFileSync(join(dir, 'config.json'), '{ not json');
    await expect(
      dockerCredentials('r.example.com', { env: { ...baseEnv, DOCKER_CONFIG: dir } }),
    ).rejects.toThrow('is not valid JSON');
    expect(
      await dockerCredentials('r.example.com', {
        env: { ...baseEnv, DOCKER_CONFIG: join(work, 'nowhere') },
      }),
    ).toBeNull();
  });
});
