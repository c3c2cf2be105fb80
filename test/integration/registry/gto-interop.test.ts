/**
 * What keeps ghml's tags readable by GTO (checked against GTO 1.10.1): one version tag per
 * model and commit even after a deregistration, tag dates never in the future, `.gto`'s stage
 * list, and `artifacts.yaml` annotations.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-errors.js';
import { loadConfigFor } from '../../../src/config/find-config.js';
import { RegistryRuleError, StageNotAllowedError } from '../../../src/registry/registry-errors.js';
import { RegistryService } from '../../../src/registry/registry-service.js';
import { cleanupTempDirs, commitFile, git, makeRepo } from '../../support/temp-repo.js';
import { annotatedTag, ExecGitRunner } from './support.js';

afterAll(cleanupTempDirs);

function tagDates(repo: string): Map<string, number> {
  const out = git(
    repo,
    'for-each-ref',
    '--format=%(refname:short) %(taggerdate:unix)',
    'refs/tags',
  );
  return new Map(
    out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [tag = '', date = '0'] = l.split(' ');
        return [tag, Number(date)] as const;
      }),
  );
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('GTO interoperability', () => {
  it('refuses a second version on a commit whose version was deregistered', async () => {
    const repo = makeRepo();
    const commit = commitFile(repo, 'model.txt', 'rf\n');
    const registry = new RegistryService({ git: new ExecGitRunner(repo) });
    await registry.register({ name: 'rf', version: 'v1.0.0', commit });
    await registry.deregister('rf', 'v1.0.0');
    const error = await rejection(registry.register({ name: 'rf', version: 'v1.1.0', commit }));
    expect(error).toBeInstanceOf(RegistryRuleError);
    expect(error).toMatchObject({ rule: 'commit-has-version' });
    expect((error as Error).message).toContain('already holds rf v1.0.0 (deregistered)');
    expect(git(repo, 'tag', '--list').split('\n')).toEqual(['rf@v1.0.0', 'rf@v1.0.0!']);
    // Another model may still register that commit, and a new commit takes the new version.
    await registry.register({ name: 'other', version: 'v1.0.0', commit });
    const next = commitFile(repo, 'model.txt', 'rf 2\n');
    expect((await registry.register({ name: 'rf', version: 'v1.1.0', commit: next })).tag).toBe(
      'rf@v1.1.0',
    );
  });

  it('never dates a tag in the future: a burst of events waits for the clock', async () => {
    const repo = makeRepo();
    const commit = commitFile(repo, 'model.txt', 'rf\n');
    const registry = new RegistryService({ git: new ExecGitRunner(repo) });
    await registry.register({ name: 'rf', version: 'v1.0.0', commit });
    await registry.promote('rf', 'v1.0.0', 'staging');
    await registry.promote('rf', 'v1.0.0', 'prod');
    const now = Math.floor(Date.now() / 1000);
    const dates = tagDates(repo);
    const ordered = ['rf@v1.0.0', 'rf#staging#1', 'rf#prod#2'].map((t) => dates.get(t) ?? 0);
    for (const date of ordered) expect(date).toBeLessThanOrEqual(now);
    expect(ordered[1]).toBeGreaterThan(ordered[0] ?? 0);
    expect(ordered[2]).toBeGreaterThan(ordered[1] ?? 0);
  });

  it('refuses to write before an event dated ahead of this clock, writing nothing', async () => {
    const repo = makeRepo();
    const commit = commitFile(repo, 'model.txt', 'rf\n');
    annotatedTag(repo, 'rf@v1.0.0', commit, Math.floor(Date.now() / 1000) + 3600);
    const registry = new RegistryService({ git: new ExecGitRunner(repo) });
    const error = await rejection(registry.promote('rf', 'v1.0.0', 'prod'));
    expect(error).toMatchObject({ rule: 'clock-behind' });
    expect((error as Error).message).toContain("'rf#prod#1' would sort before it");
    expect(git(repo, 'tag', '--list')).toBe('rf@v1.0.0');
  });

  it(".gto's stages list is honoured, also through ghml.yml's loader", async () => {
    const repo = makeRepo();
    const commit = commitFile(repo, '.gto', 'stages: [dev, prod]\ntypes: [model]\n');
    const config = await loadConfigFor(repo, repo);
    expect(config.registry.gtoStages).toEqual(['dev', 'prod']);
    const registry = new RegistryService({
      git: new ExecGitRunner(repo),
      settings: config.registry,
    });
    await registry.register({ name: 'rf', version: 'v1.0.0', commit });
    const error = await rejection(registry.promote('rf', 'v1.0.0', 'staging'));
    expect(error).toBeInstanceOf(StageNotAllowedError);
    expect((error as Error).message).toContain("(the stages: list of GTO's .gto file)");
    expect((await registry.promote('rf', 'v1.0.0', 'prod')).tag).toBe('rf#prod#1');
  });

  it("reads artifacts.yaml's type, path and description; ghml.yml wins field by field", async () => {
    const repo = makeRepo();
    writeFileSync(
      join(repo, 'artifacts.yaml'),
      [
        'rf:',
        '  type: model',
        '  path: models/rf.pkl',
        '  description: random forest',
        '  labels: [tabular]',
        'churn:',
        '  type: xgboost',
        '  path: models/churn.json',
        'notes:',
      ].join('\n'),
    );
    writeFileSync(
      join(repo, 'ghml.yml'),
      'registry:\n  models:\n    churn:\n      path: out/churn.json\n',
    );
    const config = await loadConfigFor(repo, repo);
    expect(config.registry.models['rf']).toEqual({
      path: ['models/rf.pkl'],
      experiment: 'rf',
      type: 'model',
      description: 'random forest',
    });
    expect(config.registry.models['churn']).toMatchObject({
      path: ['out/churn.json'],
      type: 'xgboost',
    });
    expect(config.registry.models['notes']).toMatchObject({ path: [], type: null });
  });

  it.each([
    [
      '.gto',
      'stages: [dev, "no spaces"]\n',
      '.gto:1:15: stages lists an invalid stage name "no spaces"',
    ],
    ['.gto', 'stages: prod\n', '.gto:1:9: stages must be a list of stage names'],
    ['.gto', 'stages: [dev\n', '.gto:'],
    ['artifacts.yaml', 'rf:\n  path: [a, b]\n', 'artifacts.yaml:2:9: rf.path must be a string'],
    [
      'artifacts.yaml',
      '"bad name":\n  type: model\n',
      'artifacts.yaml:1:1: invalid model name "bad name"',
    ],
  ])('names the file and line of a bad %s', async (file, text, message) => {
    const repo = makeRepo();
    writeFileSync(join(repo, file), text);
    const error = await loadConfigFor(repo, repo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
  });
});
