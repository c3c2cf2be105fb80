/**
 * Object names are injective: `iris-b` at `prod` and `iris` at `b-prod` once both rendered
 * `iris-b-prod` and shared the Lease. With the real kubectl against the API-server stand-in.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leaseName, legacyObjectName, objectName } from '../../../src/deploy/kube/kube-names.js';
import { commitFile, cleanupTempDirs } from '../../support/temp-repo.js';
import { deployFixture, SHA_V1, templateVersion, type DeployFixture } from './deploy-fixture.js';

afterAll(cleanupTempDirs);

let f: DeployFixture;
beforeEach(async () => {
  f = await deployFixture();
  await f.register('v1.0.0');
  await f.promote('v1.0.0', 'b-prod');
  const commit = commitFile(f.repo, 'other.txt', 'iris-b\n');
  await f.registry.register({
    name: 'iris-b',
    version: 'v2.0.0',
    commit,
    metadata: {
      artifacts: [{ uri: 'https://github.example/acme/iris/model.pkl', sha256: SHA_V1, size: 1 }],
    },
  });
  await f.registry.promote('iris-b', 'v2.0.0', 'prod');
});
afterEach(async () => {
  await f.close();
});

describe('object names of models and stages', () => {
  it('deploys iris at b-prod and iris-b at prod onto different objects', async () => {
    const service = await f.service();
    await service.deploy({ model: 'iris', stage: 'b-prod', timeoutMs: 30_000 });
    await service.deploy({ model: 'iris-b', stage: 'prod', timeoutMs: 30_000 });
    const first = objectName('iris', 'b-prod');
    expect(first).toMatch(/^iris-b-prod--[0-9a-f]{10}$/);
    expect(objectName('iris-b', 'prod')).toBe('iris-b-prod');
    expect(templateVersion(f.api, first)).toBe('v1.0.0');
    expect(templateVersion(f.api, 'iris-b-prod')).toBe('v2.0.0');
    expect(leaseName('iris', 'b-prod')).not.toBe(leaseName('iris-b', 'prod'));
    // Each deploy also finds its own model again.
    const status = await service.status({ model: 'iris', stage: 'b-prod' });
    expect(JSON.stringify(status)).toContain('v1.0.0');
  });

  it('leaves objects under the old name alone and says how to remove them', async () => {
    const legacy = legacyObjectName('iris', 'b-prod');
    expect(legacy).toBe('iris-b-prod');
    f.api.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: legacy,
        namespace: 'default',
        annotations: { 'ghml.dev/model': 'iris', 'ghml.dev/stage': 'b-prod' },
      },
      spec: { ports: [{ port: 80 }] },
    });
    const service = await f.service();
    const result = await service.deploy({ model: 'iris', stage: 'b-prod', timeoutMs: 30_000 });
    expect(result.outcome).toBe('succeeded');
    const note = result.notes.find((n) => n.includes('earlier ghml versions'));
    expect(note).toContain(`kubectl delete service ${legacy}`);
    expect(f.api.get('v1', 'Service', 'default', legacy)).toBeDefined();
  });

  it('says nothing about an object of another model that has the old name', async () => {
    const service = await f.service();
    await service.deploy({ model: 'iris-b', stage: 'prod', timeoutMs: 30_000 });
    const result = await service.deploy({ model: 'iris', stage: 'b-prod', timeoutMs: 30_000 });
    expect(result.notes.filter((n) => n.includes('earlier ghml versions'))).toEqual([]);
    expect(templateVersion(f.api, 'iris-b-prod')).toBe('v2.0.0');
  });
});
