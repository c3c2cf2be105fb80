import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, commitFile, git, makeRepo } from '../../support/temp-repo.js';
import { parseForEachRef, readRegistry } from '../../../src/registry/registry-reader.js';
import { RegistryReadError } from '../../../src/registry/registry-errors.js';
import { formatTagMessage } from '../../../src/registry/tags/tag-message.js';
import { ExecGitRunner, annotatedTag } from './support.js';

afterAll(cleanupTempDirs);

describe('readRegistry', () => {
  it('reads everything with one for-each-ref call', async () => {
    const repo = makeRepo();
    const c1 = git(repo, 'rev-parse', 'HEAD');
    const c2 = commitFile(repo, 'model.txt', 'v2');
    annotatedTag(
      repo,
      'churn@v3.0.0',
      c1,
      1_700_000_000,
      'Registering artifact churn version v3.0.0',
    );
    annotatedTag(
      repo,
      'churn@v3.1.0',
      c2,
      1_700_000_100,
      formatTagMessage('Register churn v3.1.0', { runId: 'r1', metrics: { auc: 0.91 } }),
    );
    annotatedTag(repo, 'churn#prod#3', c2, 1_700_000_200);
    annotatedTag(repo, 'churn#prod!#4', c2, 1_700_000_300);
    annotatedTag(repo, 'churn#prod#5', c1, 1_700_000_400);
    annotatedTag(repo, 'models=mymodel@v0.0.1', c1, 1_700_000_000);
    annotatedTag(repo, 'team/churn@v1.0.0', c1, 1_700_000_000);
    git(repo, 'tag', 'churn@v4.0.0', c2); // lightweight
    git(repo, 'tag', 'v1.0.0'); // unrelated
    git(repo, 'tag', 'release/2024'); // unrelated
    annotatedTag(repo, 'nightly', c1, 1_700_000_000); // unrelated annotated

    const runner = new ExecGitRunner(repo);
    const state = await readRegistry(runner);
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]?.[0]).toBe('for-each-ref');

    expect(state.models.map((m) => m.name)).toEqual(['churn', 'models:mymodel', 'team/churn']);
    const churn = state.models[0];
    expect(churn?.latest?.version).toBe('v3.1.0');
    expect(churn?.latest?.commit).toBe(c2);
    expect(churn?.latest?.registered).toMatchObject({
      author: 'Test User',
      authorEmail: 'test@example.com',
      date: 1_700_000_100,
      summary: 'Register churn v3.1.0',
      metadata: { runId: 'r1', metrics: { auc: 0.91 } },
    });
    expect(
      churn?.versions.find((v) => v.version === 'v3.0.0')?.registered.metadata,
    ).toBeUndefined();
    const prod = churn?.stages.find((s) => s.stage === 'prod');
    expect(prod?.current?.version).toBe('v3.0.0');
    expect(prod?.history.map((e) => [e.tag, e.event, e.version])).toEqual([
      ['churn#prod#3', 'assign', 'v3.1.0'],
      ['churn#prod!#4', 'unassign', 'v3.1.0'],
      ['churn#prod#5', 'assign', 'v3.0.0'],
    ]);
    expect(churn?.highestCounter).toBe(5);
    expect(state.unadopted).toEqual([
      { tag: 'churn@v4.0.0', model: 'churn', event: 'register', commit: c2 },
    ]);
    expect(state.warnings.join('\n')).toContain('ghml model register --adopt churn@v4.0.0');
  });

  it('reads an empty registry', async () => {
    const repo = makeRepo();
    git(repo, 'tag', 'v1.0.0');
    const state = await readRegistry(new ExecGitRunner(repo));
    expect(state).toMatchObject({ models: [], unadopted: [], warnings: [] });
  });

  it('reads messages with blank lines, tabs and unicode intact', async () => {
    const repo = makeRepo();
    const c1 = git(repo, 'rev-parse', 'HEAD');
    const message = formatTagMessage('Régister\tmodèle ✓', {
      experiment: 'exp\twith tab',
      runId: 'a\nb',
    });
    annotatedTag(repo, 'm@v1.0.0', c1, 1_700_000_000, message);
    const state = await readRegistry(new ExecGitRunner(repo));
    expect(state.models[0]?.latest?.registered.summary).toBe('Régister modèle ✓');
    expect(state.models[0]?.latest?.registered.metadata).toEqual({
      experiment: 'exp\twith tab',
      runId: 'a\nb',
    });
  });
});

describe('parseForEachRef', () => {
  it('refuses output that does not split into whole records', () => {
    expect(() => parseForEachRef('garbage')).toThrow(RegistryReadError);
    expect(() => parseForEachRef('refs/tags/a\u0000tag\u0000')).toThrow(RegistryReadError);
    expect(() => parseForEachRef(`${'x\u0000'.repeat(10)}\n`)).toThrow(
      "Could not read the registry tags: unexpected record starting with 'x'",
    );
    expect(parseForEachRef('')).toEqual([]);
  });
});
