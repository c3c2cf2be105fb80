/**
 * Bad input and hostile conditions, each with a clear error and nothing applied: no kubectl,
 * an unreachable cluster, an unknown context, a stage without a version, metacharacters in
 * values, and two deploys of the same stage at once.
 */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ClusterUnreachableError,
  DeployLockedError,
  KubectlNotFoundError,
  NothingToDeployError,
  UnknownContextError,
} from '../../../src/deploy/deploy-errors.js';
import { createKubectl } from '../../../src/deploy/kube/kubectl-runner.js';
import { InvalidNameError } from '../../../src/registry/registry-errors.js';
import { STANDIN_CONTEXTS } from '../../support/kube-apiserver/index.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';
import { deployFixture, type DeployFixture } from './deploy-fixture.js';

afterAll(cleanupTempDirs);

let f: DeployFixture;
beforeEach(async () => {
  f = await deployFixture();
  await f.register('v1.0.0');
  await f.promote('v1.0.0', 'prod');
});
afterEach(async () => {
  await f.close();
});

function writes(): number {
  return f.api.requests.filter((r) => r.method !== 'GET' && !r.path.includes('/leases')).length;
}

describe('ghml deploy refuses bad input clearly', () => {
  it('explains how to install kubectl, or to use --dry-run, when kubectl is not on PATH', async () => {
    // A PATH with git only: the registry still works, kubectl is missing.
    const bin = tempDir('ghml-bin-');
    const gitPath = execFileSync('which', ['git'], { encoding: 'utf8' }).trim();
    symlinkSync(gitPath, join(bin, 'git'));
    const env = { ...f.env, PATH: bin };
    const service = await f.service({
      kubectl: (t) => createKubectl({ env, context: t.context, namespace: t.namespace }),
    });

    const error = await service
      .deploy({ model: 'iris', stage: 'prod', timeoutMs: 10_000 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KubectlNotFoundError);
    expect((error as KubectlNotFoundError).message).toContain('kubectl was not found');
    expect((error as KubectlNotFoundError).hint).toContain('Install kubectl');
    expect((error as KubectlNotFoundError).hint).toContain('--dry-run');
    // A dry run needs no kubectl at all.
    const dry = await service.deploy({
      model: 'iris',
      stage: 'prod',
      timeoutMs: 10_000,
      dryRun: true,
    });
    expect(dry.manifests.map((m) => m.kind)).toEqual(['Deployment', 'Service']);
  });

  it('reports an unreachable cluster', async () => {
    const service = await f.service();
    const error = await service
      .deploy({
        model: 'iris',
        stage: 'prod',
        context: STANDIN_CONTEXTS.unreachable,
        timeoutMs: 10_000,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnreachableError);
    expect((error as Error).message).toContain("context 'unreachable'");
    expect((error as Error).message).toMatch(/refused/);
  });

  it('reports an unknown context', async () => {
    const service = await f.service();
    const error = await service
      .deploy({ model: 'iris', stage: 'prod', context: 'no-such-context', timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownContextError);
    expect((error as UnknownContextError).message).toContain("'no-such-context'");
    expect((error as UnknownContextError).hint).toContain('kubectl config get-contexts');
    expect(writes()).toBe(0);
  });

  it('refuses a stage with no version assigned', async () => {
    const service = await f.service();
    const error = await service
      .deploy({ model: 'iris', stage: 'staging', timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NothingToDeployError);
    expect((error as Error).message).toBe(
      "Stage 'staging' of model 'iris' has no version assigned.",
    );
    expect((error as NothingToDeployError).hint).toContain(
      'ghml model promote iris latest staging',
    );
    expect(f.api.requests).toEqual([]);
  });

  it('refuses model names and versions with YAML or shell metacharacters before calling kubectl', async () => {
    const service = await f.service();
    for (const request of [
      { model: 'iris; rm -rf /', stage: 'prod' },
      { model: 'iris\nkind: Secret', stage: 'prod' },
      { model: 'iris', stage: 'prod', version: 'v1.0.0"; $(id)' },
      { model: 'iris', stage: 'prod: {a: b}' },
    ]) {
      await expect(service.deploy({ ...request, timeoutMs: 10_000 })).rejects.toThrow(
        InvalidNameError,
      );
    }
    expect(f.api.requests).toEqual([]);
  });

  it('keeps metacharacters in recorded values inert all the way into the cluster', async () => {
    const uri = `https://example.com/a b/model.pkl?x="'$(touch /tmp/pwned)'\`id\`&y=\${HOME}\n---\nkind: Secret`;
    await f.register('v2.0.0', { uri });
    const service = await f.service();
    await service.deploy({ model: 'iris', stage: 'prod', version: 'v2.0.0', timeoutMs: 30_000 });
    const live = f.api.get('apps/v1', 'Deployment', 'default', 'iris-prod') as {
      metadata: { annotations: Record<string, string> };
      spec: {
        template: {
          spec: { initContainers: Array<{ env: Array<{ name: string; value?: string }> }> };
        };
      };
    };
    expect(live.metadata.annotations['ghml.dev/uri']).toBe(uri);
    const env = live.spec.template.spec.initContainers[0]!.env;
    expect(env.find((e) => e.name === 'GHML_MODEL_URI')?.value).toBe(uri);
    expect(f.api.list('v1', 'Secret', 'default')).toEqual([]);
  });
});

describe('two deploys of the same stage at once', () => {
  it('fails the second one with the holder of the lock, applying nothing', async () => {
    f.api.create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'ghml-deploy-iris-prod', namespace: 'default' },
      spec: {
        holderIdentity: 'github-actions acme/iris run 42/1',
        leaseDurationSeconds: 3600,
        acquireTime: new Date().toISOString().replace('Z', '000Z'),
        renewTime: new Date().toISOString().replace('Z', '000Z'),
      },
    });
    const service = await f.service();
    const error = await service
      .deploy({ model: 'iris', stage: 'prod', timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployLockedError);
    expect((error as Error).message).toContain("held by 'github-actions acme/iris run 42/1'");
    expect((error as DeployLockedError).hint).toContain('ghml-deploy-<model>-<stage>');
    expect(f.api.get('apps/v1', 'Deployment', 'default', 'iris-prod')).toBeUndefined();
    // The other deploy's lock is left alone.
    expect(
      f.api.get('coordination.k8s.io/v1', 'Lease', 'default', 'ghml-deploy-iris-prod'),
    ).toBeDefined();
  });

  it('takes over a lock that expired (a crashed deploy)', async () => {
    const old = new Date(Date.now() - 3_600_000).toISOString().replace('Z', '000Z');
    f.api.create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'ghml-deploy-iris-prod', namespace: 'default' },
      spec: {
        holderIdentity: 'crashed',
        leaseDurationSeconds: 60,
        acquireTime: old,
        renewTime: old,
      },
    });
    const service = await f.service();
    const result = await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });
    expect(result.outcome).toBe('succeeded');
    expect(f.api.list('coordination.k8s.io/v1', 'Lease', 'default')).toEqual([]);
  });

  it('detects a deploy that is running right now', async () => {
    f.api.setScenario('never-ready');
    const first = await f.service({ holder: 'first deploy' });
    const second = await f.service({ holder: 'second deploy' });
    const running = first
      .deploy({ model: 'iris', stage: 'prod', timeoutMs: 4_000 })
      .catch((e: unknown) => e);
    // Wait (bounded) until the first deploy holds the lock.
    for (
      let i = 0;
      i < 200 && !f.api.get('coordination.k8s.io/v1', 'Lease', 'default', 'ghml-deploy-iris-prod');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const error = await second
      .deploy({ model: 'iris', stage: 'prod', timeoutMs: 4_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployLockedError);
    expect((error as Error).message).toContain("'first deploy'");
    await running;
    expect(f.api.list('coordination.k8s.io/v1', 'Lease', 'default')).toEqual([]);
  });
});
