/** Resolving what to deploy from a real tag registry, and the checks before a real deploy. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFor } from '../../../src/config/find-config.js';
import {
  ArtifactNotDeployableError,
  NothingToDeployError,
  TemplateDirectoryError,
} from '../../../src/deploy/deploy-errors.js';
import {
  assertDeployable,
  planDeploy,
  deployabilityProblems,
} from '../../../src/deploy/deploy-plan.js';
import { loadTemplateSet } from '../../../src/deploy/manifests/template-source.js';
import { createGit } from '../../../src/git/git.js';
import {
  InvalidNameError,
  RegistryLookupError,
  StageNotAllowedError,
} from '../../../src/registry/registry-errors.js';
import { RegistryService } from '../../../src/registry/registry-service.js';
import { cleanupTempDirs, commitFile, makeRepo } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

let repo: string;
let registry: RegistryService;
const SHA = 'd'.repeat(64);

beforeAll(async () => {
  repo = makeRepo();
  registry = new RegistryService({ git: await createGit(repo) });
  const c1 = commitFile(repo, 'a.txt', '1');
  await registry.register({
    name: 'iris',
    version: 'v1.0.0',
    commit: c1,
    metadata: {
      runId: 'RUN1',
      artifacts: [
        { uri: 'https://h/notes.txt', sha256: 'e'.repeat(64), size: 1 },
        { uri: 'https://h/model.pkl', sha256: SHA, size: 2 },
      ],
    },
  });
  const c2 = commitFile(repo, 'a.txt', '2');
  await registry.register({
    name: 'iris',
    version: 'v2.0.0',
    commit: c2,
    metadata: { artifacts: [{ uri: 'file:///tmp/m.pkl', sha256: SHA, size: 2 }] },
  });
  const c3 = commitFile(repo, 'a.txt', '3');
  await registry.register({ name: 'iris', version: 'v3.0.0', commit: c3 });
  await registry.promote('iris', 'v1.0.0', 'prod');
  await registry.deregister('iris', 'v3.0.0');
  writeFileSync(
    join(repo, 'ghml.yml'),
    'registry:\n  stages: [dev, staging, prod]\n  models:\n    iris:\n      path: model.pkl\n      type: xgboost\n',
  );
});

async function plan(request: { model: string; stage: string; version?: string }) {
  const config = await loadConfigFor(repo, repo);
  return planDeploy(request, { config, repoRoot: repo, registry });
}

describe('planDeploy', () => {
  it('resolves the stage through the registry and picks the configured model file', async () => {
    const p = await plan({ model: 'iris', stage: 'prod' });
    expect(p.resolved).toMatchObject({
      version: 'v1.0.0',
      tag: 'iris@v1.0.0',
      runId: 'RUN1',
      reference: 'iris#prod',
      stageVersion: 'v1.0.0',
    });
    expect(p.resolved.assignmentTag).toMatch(/^iris#prod#\d+$/);
    expect(p.values).toMatchObject({
      uri: 'https://h/model.pkl',
      sha256: SHA,
      file: 'model.pkl',
      modelFormat: 'xgboost',
      name: 'iris-prod',
    });
    expect(deployabilityProblems(p)).toEqual([]);
  });

  it('deploys an explicit version', async () => {
    const p = await plan({ model: 'iris', stage: 'staging', version: 'v2.0.0' });
    expect(p.resolved).toMatchObject({
      version: 'v2.0.0',
      reference: 'iris@v2.0.0',
      assignmentTag: null,
      stageVersion: null,
    });
  });

  it('refuses a stage with no version, an unknown model, a deregistered version and bad names', async () => {
    await expect(plan({ model: 'iris', stage: 'staging' })).rejects.toThrow(NothingToDeployError);
    await expect(plan({ model: 'rose', stage: 'prod' })).rejects.toThrow(RegistryLookupError);
    await expect(plan({ model: 'iris', stage: 'prod', version: 'v3.0.0' })).rejects.toThrow(
      'was deregistered',
    );
    await expect(plan({ model: 'iris', stage: 'prod', version: 'v9.9.9' })).rejects.toThrow(
      'has no version v9.9.9',
    );
    await expect(plan({ model: 'iris', stage: 'qa' })).rejects.toThrow(StageNotAllowedError);
    await expect(plan({ model: 'ir is', stage: 'prod' })).rejects.toThrow(InvalidNameError);
    await expect(plan({ model: 'iris', stage: 'prod', version: '1.0' })).rejects.toThrow(
      InvalidNameError,
    );
  });

  it('renders a file:// artifact for a dry run but refuses to deploy it to a cluster', async () => {
    const p = await plan({ model: 'iris', stage: 'dev', version: 'v2.0.0' });
    expect(p.objects.map((o) => o.kind)).toEqual(['Deployment', 'Service']);
    expect(deployabilityProblems(p)).toEqual([
      "the artifact URI 'file:///tmp/m.pkl' cannot be fetched from the cluster",
    ]);
    expect(() => assertDeployable(p)).toThrow(ArtifactNotDeployableError);
  });
});

describe('template sets', () => {
  it('reads a user folder relative to ghml.yml, in name order', async () => {
    mkdirSync(join(repo, 'k8s'), { recursive: true });
    writeFileSync(
      join(repo, 'k8s', 'b.yml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n',
    );
    writeFileSync(
      join(repo, 'k8s', 'a.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
    );
    writeFileSync(join(repo, 'k8s', 'notes.md'), '# not a template');
    const set = await loadTemplateSet('./k8s', repo, repo);
    expect(set.files.map((f) => f.displayPath)).toEqual(['k8s/a.yaml', 'k8s/b.yml']);
  });

  it('refuses a missing folder, one without templates, and one outside the repository', async () => {
    await expect(loadTemplateSet('./nope', repo, repo)).rejects.toThrow(
      "Template directory 'nope' does not exist.",
    );
    mkdirSync(join(repo, 'empty'), { recursive: true });
    await expect(loadTemplateSet('./empty', repo, repo)).rejects.toThrow(
      'holds no *.yaml or *.yml files',
    );
    await expect(loadTemplateSet('../elsewhere', repo, repo)).rejects.toThrow(
      TemplateDirectoryError,
    );
  });
});
