/** GitHub deployments recorded around a real kubectl deploy, against the GitHub emulator. */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubectlError } from '../../../src/deploy/deploy-errors.js';
import { DeployFailedError } from '../../../src/deploy/deploy-result.js';
import { recorderFromEnv } from '../../../src/deploy/github-deployment.js';
import { builtInTemplateDir } from '../../../src/deploy/manifests/template-source.js';
import { createGitHubClient } from '../../../src/github/github-client.js';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';
import { cleanupTempDirs } from '../../support/temp-repo.js';
import { deployFixture, type DeployFixture } from './deploy-fixture.js';

afterAll(cleanupTempDirs);

const REPO = { owner: 'acme', repo: 'iris' };
let f: DeployFixture;
let gh: GitHubEmulator;

beforeEach(async () => {
  f = await deployFixture();
  gh = await startGitHubEmulator();
  await f.register('v1.0.0');
  await f.register('v2.0.0');
  await f.promote('v1.0.0', 'prod');
});
afterEach(async () => {
  await f.close();
  await gh.close();
  gh.assertNoViolations();
});

function recorder(token: string = TEST_TOKENS.actions) {
  return () =>
    recorderFromEnv({
      env: { GITHUB_REPOSITORY: 'acme/iris' },
      client: createGitHubClient({
        token,
        baseUrl: gh.url,
        env: {},
        minWriteIntervalMs: 0,
        timeUnitMs: 1,
      }),
    });
}

function states(): string[] {
  const [deployment] = gh.state.deploymentsOf(REPO);
  return deployment === undefined
    ? []
    : gh.state
        .statusesOfDeployment(deployment.id)
        .map((s) => s.state)
        .reverse();
}

describe('GitHub deployments', () => {
  it('records environment = stage with in_progress then success', async () => {
    const service = await f.service({ recorder: recorder() });
    const result = await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });
    const [deployment] = gh.state.deploymentsOf(REPO);
    expect(deployment).toMatchObject({
      environment: 'prod',
      sha: result.commit,
      productionEnvironment: true,
    });
    expect(deployment?.payload).toMatchObject({ model: 'iris', version: 'v1.0.0' });
    expect(result.githubDeploymentId).toBe(deployment?.id);
    expect(states()).toEqual(['in_progress', 'success']);
  });

  it('records failure when the rollout fails', async () => {
    const service = await f.service({ recorder: recorder() });
    f.api.setScenario('crash-loop');
    await expect(
      service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 }),
    ).rejects.toThrow(DeployFailedError);
    expect(states()).toEqual(['in_progress', 'failure']);
  });

  it('records failure, on GitHub and the tracking branch, when kubectl apply is refused', async () => {
    // A custom template whose second object the API server refuses (ConfigMap data must be strings).
    const dir = join(f.repo, 'k8s');
    mkdirSync(dir);
    copyFileSync(builtInTemplateDir('deployment') + '/deployment.yaml', join(dir, 'a.yaml'));
    writeFileSync(
      join(dir, 'b.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${ghml.name}-cfg\ndata:\n  replicas: [1, 2]\n',
    );
    f.writeConfig('deploy:\n  prod:\n    templates: ./k8s\n');
    const service = await f.service({ recorder: recorder() });

    const error = await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(KubectlError);
    expect(states()).toEqual(['in_progress', 'failure']);
    const events = await f.store.readRunEvents(await f.store.findRun(f.runs['v1.0.0']!));
    expect(events.map((e) => e.event)).toEqual([
      expect.objectContaining({ kind: 'deploy', outcome: 'failed', version: 'v1.0.0' }),
    ]);
    // The lock was released: the next deploy is not refused as concurrent.
    expect(f.api.list('coordination.k8s.io/v1', 'Lease', 'default')).toEqual([]);
  });

  it('deploys anyway, with a note, when the token cannot write deployments', async () => {
    const service = await f.service({ recorder: recorder(TEST_TOKENS.readOnly) });
    const result = await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });
    expect(result.outcome).toBe('succeeded');
    expect(result.notes.join('\n')).toContain('GitHub deployment not recorded');
    expect(gh.state.deploymentsOf(REPO)).toEqual([]);
  });

  it('skips GitHub with a note when there is no token or no repository', () => {
    expect(recorderFromEnv({ env: {} }).notes).toEqual([
      'GitHub deployment skipped: GITHUB_REPOSITORY is not set (no GitHub).',
    ]);
    expect(recorderFromEnv({ env: { GITHUB_REPOSITORY: 'acme/iris' } }).notes).toEqual([
      'GitHub deployment skipped: no token (set GITHUB_TOKEN or GH_TOKEN).',
    ]);
  });
});
