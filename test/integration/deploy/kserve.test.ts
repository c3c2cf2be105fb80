/**
 * The KServe template set with the real kubectl: an InferenceService awaited by its Ready
 * condition, and a failed model load rolled back by re-applying the previous spec.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeployFailedError } from '../../../src/deploy/deploy-result.js';
import { manifestProblems } from '../../support/kube-apiserver/index.js';
import { cleanupTempDirs } from '../../support/temp-repo.js';
import { deployFixture, type DeployFixture } from './deploy-fixture.js';

afterAll(cleanupTempDirs);

let f: DeployFixture;
beforeEach(async () => {
  f = await deployFixture();
  f.writeConfig(
    "deploy:\n  '*':\n    templates: kserve\nregistry:\n  models:\n    iris:\n      path: model.pkl\n      type: sklearn\n",
  );
  await f.register('v1.0.0');
  await f.register('v2.0.0');
  await f.promote('v1.0.0', 'prod');
});
afterEach(async () => {
  await f.close();
});

function isvc(): {
  spec: { predictor: { model: { storageUri: string } } };
  metadata: { annotations: Record<string, string> };
} {
  return f.api.get(
    'serving.kserve.io/v1beta1',
    'InferenceService',
    'default',
    'iris-prod',
  ) as never;
}

describe('ghml deploy with the kserve templates', () => {
  it('deploys an InferenceService whose storageUri is the release asset and waits for Ready', async () => {
    const service = await f.service();
    const result = await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });

    expect(result.outcome).toBe('succeeded');
    expect(result.applied).toEqual([
      'inferenceservice.serving.kserve.io/iris-prod serverside-applied',
    ]);
    const live = isvc();
    expect(manifestProblems(live as never)).toEqual([]);
    expect(live.spec.predictor.model.storageUri).toBe(
      'https://github.example/acme/iris/releases/download/iris%40v1.0.0/model.pkl',
    );
    expect(live.metadata.annotations['ghml.dev/sha256']).toBe('1'.repeat(64));
  });

  it('re-applies the previous InferenceService when the new model fails to load', async () => {
    const service = await f.service();
    await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });
    f.api.setScenario((s) =>
      s.annotations['ghml.dev/version'] === 'v2.0.0' ? 'crash-loop' : 'ready',
    );
    await f.promote('v2.0.0', 'prod');

    const error = await service
      .deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeployFailedError);
    const failed = error as DeployFailedError;
    expect(failed.message).toContain('BlockedByFailedLoad');
    expect(failed.message).toContain('CrashLoopBackOff');
    expect(failed.result.rolledBackTo).toBe('v1.0.0');
    expect(isvc().spec.predictor.model.storageUri).toContain('iris%40v1.0.0');
    expect(isvc().metadata.annotations['ghml.dev/version']).toBe('v1.0.0');
  });

  it('times out when the InferenceService never becomes Ready', async () => {
    f.api.setScenario('never-ready');
    const service = await f.service();
    const error = await service
      .deploy({ model: 'iris', stage: 'prod', timeoutMs: 1_500 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployFailedError);
    expect((error as DeployFailedError).result.failure?.state).toBe('timeout');
    expect((error as DeployFailedError).message).toContain('was not Ready within');
  });
});
