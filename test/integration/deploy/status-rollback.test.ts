/** `ghml deploy status` (registry next to cluster, drift) and `ghml deploy rollback`. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NoPreviousDeploymentError } from '../../../src/deploy/deploy-errors.js';
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

describe('ghml deploy status and rollback', () => {
  it('shows each stage in sync, not deployed or drifting', async () => {
    const service = await f.service();
    expect(await service.status({ model: 'iris' })).toEqual([
      expect.objectContaining({
        stage: 'prod',
        registryVersion: 'v1.0.0',
        clusterVersion: null,
        state: 'not-deployed',
      }),
    ]);
    await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });
    expect(await service.status({ model: 'iris', stage: 'prod' })).toEqual([
      expect.objectContaining({
        registryVersion: 'v1.0.0',
        clusterVersion: 'v1.0.0',
        state: 'in-sync',
        objects: ['Deployment/iris-prod'],
      }),
    ]);
    await f.promote('v2.0.0', 'prod');
    expect((await service.status({ model: 'iris', stage: 'prod' }))[0]).toMatchObject({
      registryVersion: 'v2.0.0',
      clusterVersion: 'v1.0.0',
      state: 'drift',
    });
  });

  it('rolls back to the version deployed before, then forward again', async () => {
    const service = await f.service();
    await expect(
      service.rollback({ model: 'iris', stage: 'prod', timeoutMs: 30_000 }),
    ).rejects.toThrow(NoPreviousDeploymentError);
    await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });
    await expect(
      service.rollback({ model: 'iris', stage: 'prod', timeoutMs: 30_000 }),
    ).rejects.toThrow(/only version/);
    await f.promote('v2.0.0', 'prod');
    await service.deploy({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });
    expect(templateVersion(f.api)).toBe('v2.0.0');

    const back = await service.rollback({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });

    expect(back).toMatchObject({
      action: 'rollback',
      outcome: 'succeeded',
      version: 'v1.0.0',
      previousVersion: 'v2.0.0',
    });
    expect(back.notes.join('\n')).toContain('ghml model promote iris v1.0.0 prod');
    expect(templateVersion(f.api)).toBe('v1.0.0');
    expect((await service.status({ model: 'iris', stage: 'prod' }))[0]?.state).toBe('drift');

    const forward = await service.rollback({ model: 'iris', stage: 'prod', timeoutMs: 30_000 });
    expect(forward.version).toBe('v2.0.0');
    expect(templateVersion(f.api)).toBe('v2.0.0');
  });
});
