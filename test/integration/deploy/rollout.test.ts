/**
 * The real kubectl against the API-server stand-in: a successful rollout, a failing one that
 * is rolled back with `kubectl rollout undo` and reported with the pod events, a timeout, and
 * a first deploy that fails with nothing to roll back to.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeployFailedError } from '../../../src/deploy/deploy-result.js';
import { manifestProblems } from '../../support/kube-apiserver/index.js';
import { cleanupTempDirs } from '../../support/temp-repo.js';
import { deployFixture, templateVersion, type DeployFixture } from './deploy-fixture.js';

afterAll(cleanupTempDirs);

let f: DeployFixture;
beforeEach(async () => {
  f = await deployFixture();
  await f.register('v1.0.0');
  await f.register('v2.0.0');
  await f.promote('v1.0.0', 'prod');
});
afterEach(async () => {
  await f.close();
});

async function failure(promise: Promise<unknown>): Promise<DeployFailedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeployFailedError);
  return error as DeployFailedError;
}

describe('ghml deploy with the real kubectl', () => {
  it('applies the manifests server-side, awaits the rollout and records the deploy', async () => {
    const service = await f.service();
    const result = await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });

    expect(result.outcome).toBe('succeeded');
    expect(result.version).toBe('v1.0.0');
    expect(result.previousVersion).toBeNull();
    expect(result.applied).toEqual([
      'deployment.apps/iris-prod serverside-applied',
      'service/iris-prod serverside-applied',
    ]);
    const deployment = f.api.get('apps/v1', 'Deployment', 'default', 'iris-prod');
    const service_ = f.api.get('v1', 'Service', 'default', 'iris-prod');
    expect(deployment).toBeDefined();
    expect(manifestProblems(deployment!)).toEqual([]);
    expect((deployment!['metadata'] as { labels: Record<string, string> }).labels).toMatchObject({
      'ghml.dev/model': 'iris',
      'ghml.dev/version': 'v1.0.0',
      'ghml.dev/stage': 'prod',
    });
    expect(
      (service_!['metadata'] as { annotations: Record<string, string> }).annotations[
        'ghml.dev/tag'
      ],
    ).toBe('iris@v1.0.0');
    expect(templateVersion(f.api)).toBe('v1.0.0');
    // Server-side apply, never a shell, and the lock is gone afterwards.
    expect(
      f.api.requests.some(
        (r) => r.method === 'PATCH' && r.contentType === 'application/apply-patch+yaml',
      ),
    ).toBe(true);
    expect(f.api.list('coordination.k8s.io/v1', 'Lease', 'default')).toEqual([]);
    // The deploy event is on the run the version came from.
    const run = await f.store.findRun(f.runs['v1.0.0']!);
    const events = await f.store.readRunEvents(run);
    expect(events.map((e) => e.event)).toEqual([
      expect.objectContaining({
        kind: 'deploy',
        model: 'iris',
        version: 'v1.0.0',
        stage: 'prod',
        outcome: 'succeeded',
      }),
    ]);
  });

  it('rolls a failing rollout back with kubectl rollout undo and fails with the pod events', async () => {
    const service = await f.service();
    await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });
    f.api.setScenario((s) =>
      s.annotations['ghml.dev/version'] === 'v2.0.0' ? 'crash-loop' : 'ready',
    );
    await f.promote('v2.0.0', 'prod');

    const error = await failure(
      service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 }),
    );

    expect(error.message).toContain("Rollout of iris v2.0.0 to stage 'prod' failed");
    expect(error.message).toContain('exceeded its progress deadline');
    expect(error.message).toContain('CrashLoopBackOff');
    expect(error.message).toContain('Back-off restarting failed container');
    expect(error.message).toContain('Rolled back to v1.0.0');
    expect(error.result.failure?.state).toBe('failed');
    expect(error.result.previousVersion).toBe('v1.0.0');
    expect(
      f.api.requests.some(
        (r) => r.method === 'PATCH' && r.contentType?.startsWith('application/json-patch+json'),
      ),
    ).toBe(true);
    expect(templateVersion(f.api)).toBe('v1.0.0');
    const events = await f.store.readRunEvents(await f.store.findRun(f.runs['v2.0.0']!));
    expect(events[0]?.event).toMatchObject({
      kind: 'deploy',
      version: 'v2.0.0',
      outcome: 'failed',
      rolledBackTo: 'v1.0.0',
    });
    expect(f.api.list('coordination.k8s.io/v1', 'Lease', 'default')).toEqual([]);
  });

  it('rolls back after a timeout and reports the last events', async () => {
    const service = await f.service();
    await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });
    f.api.setScenario((s) =>
      s.annotations['ghml.dev/version'] === 'v2.0.0' ? 'never-ready' : 'ready',
    );

    const error = await failure(
      service.deploy({ model: 'iris', stage: 'prod', version: 'v2.0.0', timeoutMs: 2_000 }),
    );

    expect(error.result.failure?.state).toBe('timeout');
    expect(error.message).toContain('timed out');
    expect(error.message).toContain('FailedScheduling');
    expect(error.message).toContain('Insufficient nvidia.com/gpu');
    expect(error.result.rolledBackTo).toBe('v1.0.0');
    expect(error.hint).toContain('--timeout');
    expect(templateVersion(f.api)).toBe('v1.0.0');
  });

  it('reports ImagePullBackOff on a first deploy and leaves the objects, with nothing to roll back to', async () => {
    f.api.setScenario('image-pull-backoff');
    const service = await f.service();

    const error = await failure(
      service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 }),
    );

    expect(error.message).toContain('ImagePullBackOff');
    expect(error.message).toContain('Nothing was rolled back.');
    expect(error.result.rolledBackTo).toBeNull();
    expect(error.result.notes.join('\n')).toContain('first deploy');
    expect(
      f.api.requests.some(
        (r) =>
          r.path.endsWith('/deployments/iris-prod') &&
          r.method === 'PATCH' &&
          r.contentType?.includes('json-patch'),
      ),
    ).toBe(false);
  });
});
