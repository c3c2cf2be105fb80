import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupTempDirs,
  cloneRepo,
  commitFile,
  git,
  makeBareRemote,
  makeRepo,
} from '../../support/temp-repo.js';
import { RegistryService } from '../../../src/registry/registry-service.js';
import type { RegistryServiceOptions } from '../../../src/registry/registry-service.js';
import {
  InvalidNameError,
  RegistryLookupError,
  RegistryRuleError,
  StageNotAllowedError,
  StageOrderError,
  TagConflictError,
  TagPushError,
  VersionExistsError,
} from '../../../src/registry/registry-errors.js';
import { parseTagMessage } from '../../../src/registry/tags/tag-message.js';
import type { RunRecord } from '../../../src/tracking/run-record.js';
import type { RegisteredVersion } from '../../../src/registry/registry-ports.js';
import { ExecGitRunner, tagListing } from './support.js';

afterAll(cleanupTempDirs);

/** A local repo with four commits; returns their shas oldest first. */
function localRepo(): { repo: string; commits: string[] } {
  const repo = makeRepo();
  const commits = [git(repo, 'rev-parse', 'HEAD')];
  for (let i = 1; i < 4; i++) commits.push(commitFile(repo, 'model.txt', `model ${i}`));
  return { repo, commits };
}

function service(repo: string, options: Partial<RegistryServiceOptions> = {}): RegistryService {
  return new RegistryService({ git: new ExecGitRunner(repo), ...options });
}

function tags(repo: string): string[] {
  const out = git(repo, 'tag', '--list');
  return out === '' ? [] : out.split('\n');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('register', () => {
  it('starts at v0.0.1, bumps from the greatest version, and writes annotated tags', async () => {
    const { repo, commits } = localRepo();
    const registry = service(repo);
    const first = await registry.register({ name: 'churn', commit: commits[0] as string });
    expect(first).toEqual({
      tag: 'churn@v0.0.1',
      model: 'churn',
      version: 'v0.0.1',
      commit: commits[0],
      stage: null,
      pushed: false,
    });
    expect(
      (await registry.register({ name: 'churn', commit: commits[1] as string, bump: 'minor' })).tag,
    ).toBe('churn@v0.1.0');
    expect((await registry.register({ name: 'churn', commit: 'HEAD~1' })).tag).toBe('churn@v0.1.1');
    expect(
      (await registry.register({ name: 'churn', commit: 'HEAD', bump: 'major' })).version,
    ).toBe('v1.0.0');
    expect(git(repo, 'cat-file', '-t', 'churn@v0.0.1')).toBe('tag');
    expect(git(repo, 'rev-parse', 'churn@v1.0.0^{commit}')).toBe(commits[3]);
    expect(
      git(repo, 'for-each-ref', '--format=%(taggername) %(taggeremail)', 'refs/tags/churn@v1.0.0'),
    ).toBe('Test User <test@example.com>');
  });

  it('registers an explicit version and refuses one that exists, changing nothing', async () => {
    const { repo, commits } = localRepo();
    const registry = service(repo);
    await registry.register({ name: 'churn', version: 'v2.0.0', commit: commits[0] as string });
    const before = tagListing(repo);
    const error = await rejection(
      registry.register({ name: 'churn', version: 'v2.0.0', commit: commits[1] as string }),
    );
    expect(error).toBeInstanceOf(VersionExistsError);
    expect((error as Error).message).toBe("Version v2.0.0 of model 'churn' already exists.");
    expect(tagListing(repo)).toBe(before);
  });

  it('refuses bad input before touching git', async () => {
    const { repo, commits } = localRepo();
    const registry = service(repo);
    const c = commits[0] as string;
    expect(await rejection(registry.register({ name: 'a#b', commit: c }))).toBeInstanceOf(
      InvalidNameError,
    );
    expect(
      await rejection(registry.register({ name: 'churn', version: '1.2.3', commit: c })),
    ).toBeInstanceOf(InvalidNameError);
    expect(
      await rejection(registry.register({ name: 'churn', version: 'v1.2', commit: c })),
    ).toBeInstanceOf(InvalidNameError);
    const both = await rejection(
      registry.register({ name: 'churn', version: 'v1.0.0', bump: 'minor', commit: c }),
    );
    expect(both).toMatchObject({ rule: 'bad-arguments' });
    const unknown = await rejection(registry.register({ name: 'churn', commit: 'no-such-branch' }));
    expect(unknown).toBeInstanceOf(RegistryLookupError);
    expect((unknown as Error).message).toBe(
      "Commit 'no-such-branch' was not found in this repository.",
    );
    const option = await rejection(registry.register({ name: 'churn', commit: '--output=/tmp/x' }));
    expect(option).toBeInstanceOf(RegistryLookupError);
    expect(tags(repo)).toEqual([]);
  });

  it('refuses a second active version on the same commit', async () => {
    const { repo, commits } = localRepo();
    const registry = service(repo);
    await registry.register({ name: 'churn', commit: commits[0] as string });
    const error = await rejection(
      registry.register({ name: 'churn', commit: commits[0] as string }),
    );
    expect(error).toMatchObject({ rule: 'commit-has-version' });
    expect(tags(repo)).toEqual(['churn@v0.0.1']);
  });

  it('writes run metadata into the message and tells the release publisher', async () => {
    const { repo, commits } = localRepo();
    const run = {
      id: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
      experiment: 'churn-exp',
      params: { lr: '0.1' },
      metrics: { auc: { value: 0.93, step: 1, timestamp: 1, min: 0.5, max: 0.93, count: 2 } },
      artifacts: [
        {
          path: 'model.pkl',
          size: 10,
          sha256: 'c'.repeat(64),
          stored: false,
          uri: 'file:///m.pkl',
        },
        { path: 'small.txt', size: 1, sha256: 'd'.repeat(64), stored: true },
      ],
    } as unknown as RunRecord;
    const published: RegisteredVersion[] = [];
    const registry = service(repo, {
      runs: { getRun: async (id) => (id === run.id ? run : undefined) },
      releases: { publishVersion: async (v) => void published.push(v) },
    });
    await registry.register({
      name: 'churn',
      commit: commits[0] as string,
      runId: run.id,
      message: 'First churn model',
    });
    const message = parseTagMessage(
      git(repo, 'for-each-ref', '--format=%(contents)', 'refs/tags/churn@v0.0.1'),
    );
    expect(message.summary).toBe('First churn model');
    expect(message.metadata).toMatchObject({
      runId: run.id,
      experiment: 'churn-exp',
      metrics: { auc: 0.93 },
      artifacts: [{ uri: 'file:///m.pkl', sha256: 'c'.repeat(64), size: 10 }],
    });
    expect(message.metadata?.paramsDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      tag: 'churn@v0.0.1',
      version: 'v0.0.1',
      commit: commits[0],
    });

    const missing = await rejection(
      registry.register({ name: 'churn', commit: commits[1] as string, runId: 'nope' }),
    );
    expect(missing).toBeInstanceOf(RegistryLookupError);
    expect(tags(repo)).toEqual(['churn@v0.0.1']);
  });
});

describe('deregister and latest', () => {
  it('latest skips deregistered versions; bumping never reuses a deregistered tag', async () => {
    const { repo, commits } = localRepo();
    const registry = service(repo);
    await registry.register({ name: 'churn', version: 'v1.0.0', commit: commits[0] as string });
    await registry.register({ name: 'churn', version: 'v1.1.0', commit: commits[1] as string });
    const result = await registry.deregister('churn', 'v1.1.0');
    expect(result.tag).toBe('churn@v1.1.0!');
    expect(git(repo, 'rev-parse', 'churn@v1.1.0!^{commit}')).toBe(commits[1]);
    expect(await registry.which('churn@latest')).toMatchObject({
      version: 'v1.0.0',
      commit: commits[0],
    });
    expect(
      (await registry.register({ name: 'churn', commit: commits[2] as string, bump: 'minor' }))
        .version,
    ).toBe('v1.2.0');
    expect(await rejection(registry.deregister('churn', 'v1.1.0'))).toMatchObject({
      rule: 'deregistered',
    });
    expect(await rejection(registry.promote('churn', 'v1.1.0', 'prod'))).toMatchObject({
      rule: 'deregistered',
    });
    expect(await rejection(registry.deregister('churn', 'v9.9.9'))).toBeInstanceOf(
      RegistryLookupError,
    );
    expect(await rejection(registry.which('churn@v1.1.0'))).toBeInstanceOf(RegistryLookupError);
  });
});

describe('promote and demote', () => {
  async function twoVersions() {
    const { repo, commits } = localRepo();
    const registry = service(repo);
    await registry.register({ name: 'churn', version: 'v1.0.0', commit: commits[0] as string });
    await registry.register({ name: 'churn', version: 'v2.0.0', commit: commits[1] as string });
    return { repo, commits, registry };
  }

  it('assigns with the model-wide counter and keeps stage history', async () => {
    const { repo, commits, registry } = await twoVersions();
    expect(await registry.promote('churn', 'v2.0.0', 'staging')).toMatchObject({
      tag: 'churn#staging#1',
      version: 'v2.0.0',
      stage: 'staging',
      commit: commits[1],
    });
    expect((await registry.promote('churn', 'latest', 'prod')).tag).toBe('churn#prod#2');
    expect(git(repo, 'rev-parse', 'churn#prod#2^{commit}')).toBe(commits[1]);
    expect((await registry.demote('churn', 'prod')).tag).toBe('churn#prod!#3');
    expect(await rejection(registry.which('churn#prod'))).toBeInstanceOf(RegistryLookupError);
    expect(await rejection(registry.demote('churn', 'prod'))).toBeInstanceOf(RegistryLookupError);
    const state = await registry.list();
    const prod = state.models[0]?.stages.find((s) => s.stage === 'prod');
    expect(prod?.history.map((e) => [e.tag, e.event, e.version, e.author])).toEqual([
      ['churn#prod#2', 'assign', 'v2.0.0', 'Test User'],
      ['churn#prod!#3', 'unassign', 'v2.0.0', 'Test User'],
    ]);
    expect(await registry.which('churn#staging')).toMatchObject({
      version: 'v2.0.0',
      tag: 'churn#staging#1',
    });
  });

  it('latest assignment wins by default; sort semver picks the highest assigned version', async () => {
    const { repo, registry } = await twoVersions();
    await registry.promote('churn', 'v2.0.0', 'prod');
    await registry.promote('churn', 'v1.0.0', 'prod'); // a rollback
    expect(await registry.which('churn#prod')).toMatchObject({
      version: 'v1.0.0',
      tag: 'churn#prod#2',
    });
    expect(await service(repo, { sort: 'semver' }).which('churn#prod')).toMatchObject({
      version: 'v2.0.0',
    });
    const error = await rejection(registry.promote('churn', 'v1.0.0', 'prod'));
    expect(error).toMatchObject({ rule: 'already-in-stage' });
    // Demoting v1.0.0 hands prod back to v2.0.0, whose assignment is still active (GTO rule).
    await registry.demote('churn', 'prod');
    expect(await registry.which('churn#prod')).toMatchObject({ version: 'v2.0.0' });
  });

  it('refuses a stage outside the allowlist and lists the allowed stages', async () => {
    const { repo } = await twoVersions();
    const strict = service(repo, {
      settings: { stages: ['dev', 'staging', 'prod'], requires: {} },
    });
    const error = await rejection(strict.promote('churn', 'v1.0.0', 'qa'));
    expect(error).toBeInstanceOf(StageNotAllowedError);
    expect((error as Error).message).toBe(
      "Stage 'qa' is not allowed: the allowed stages are dev, staging, prod.",
    );
    expect(await rejection(strict.promote('churn', 'v1.0.0', 'pr od'))).toBeInstanceOf(
      InvalidNameError,
    );
    expect(tags(repo).filter((t) => t.includes('#'))).toEqual([]);
  });

  it('enforces ordering rules: prod requires staging first', async () => {
    const { repo } = await twoVersions();
    const strict = service(repo, { settings: { stages: null, requires: { prod: 'staging' } } });
    const error = await rejection(strict.promote('churn', 'v2.0.0', 'prod'));
    expect(error).toBeInstanceOf(StageOrderError);
    expect((error as Error).message).toBe(
      "Cannot promote churn v2.0.0 to 'prod': it has never been in 'staging'.",
    );
    await strict.promote('churn', 'v1.0.0', 'staging');
    expect(await rejection(strict.promote('churn', 'v2.0.0', 'prod'))).toBeInstanceOf(
      StageOrderError,
    );
    await strict.promote('churn', 'v2.0.0', 'staging');
    await strict.demote('churn', 'staging');
    // Having been in staging is enough, even after leaving it.
    expect((await strict.promote('churn', 'v2.0.0', 'prod')).tag).toBe('churn#prod#4');
  });

  it('looks stage ordering rules up by own name only (a stage named constructor)', async () => {
    const { repo } = await twoVersions();
    const strict = service(repo, { settings: { stages: null, requires: { prod: 'staging' } } });
    for (const stage of ['constructor', 'toString', 'hasOwnProperty']) {
      expect((await strict.promote('churn', 'v1.0.0', stage)).tag).toMatch(`churn#${stage}#`);
    }
  });

  it('refuses unknown models and versions', async () => {
    const { registry } = await twoVersions();
    expect(await rejection(registry.promote('nope', 'v1.0.0', 'prod'))).toBeInstanceOf(
      RegistryLookupError,
    );
    expect(await rejection(registry.promote('churn', 'v3.0.0', 'prod'))).toBeInstanceOf(
      RegistryLookupError,
    );
    expect(await rejection(registry.promote('churn', 'v3', 'prod'))).toBeInstanceOf(
      InvalidNameError,
    );
    expect(await rejection(registry.promote('nope', 'latest', 'prod'))).toBeInstanceOf(
      RegistryLookupError,
    );
    expect(await rejection(registry.which('churn'))).toBeInstanceOf(InvalidNameError);
  });
});

describe('deprecate', () => {
  it('deprecates once, and again with a counter after reactivation', async () => {
    const { repo, commits } = localRepo();
    const registry = service(repo);
    await registry.register({ name: 'churn', commit: commits[1] as string });
    expect((await registry.deprecate('churn')).tag).toBe('churn@deprecated');
    expect(git(repo, 'rev-parse', 'churn@deprecated^{commit}')).toBe(commits[1]);
    expect((await registry.which('churn@latest')).deprecated).toBe(true);
    expect(await rejection(registry.deprecate('churn'))).toMatchObject({
      rule: 'already-deprecated',
    });
    await registry.register({ name: 'churn', commit: commits[2] as string });
    expect((await registry.list()).models[0]?.deprecated).toBe(false);
    expect((await registry.deprecate('churn')).tag).toBe('churn@deprecated#1');
    expect(await rejection(registry.deprecate('nope'))).toBeInstanceOf(RegistryLookupError);
  });
});

describe('lightweight tags and adopt', () => {
  it('does not count a lightweight tag until it is adopted', async () => {
    const { repo, commits } = localRepo();
    const warnings: string[] = [];
    const registry = service(repo, { warn: (m) => warnings.push(m) });
    await registry.register({ name: 'churn', version: 'v1.0.0', commit: commits[0] as string });
    git(repo, 'tag', 'churn@v1.1.0', commits[1] as string);
    expect(await registry.which('churn@latest')).toMatchObject({ version: 'v1.0.0' });
    expect((await registry.list()).unadopted.map((u) => u.tag)).toEqual(['churn@v1.1.0']);
    expect(warnings.join('\n')).toContain("run 'ghml model register --adopt churn@v1.1.0'");
    const taken = await rejection(
      registry.register({ name: 'churn', version: 'v1.1.0', commit: commits[2] as string }),
    );
    expect((taken as VersionExistsError).hint).toContain('--adopt churn@v1.1.0');

    const adopted = await registry.adopt('churn@v1.1.0');
    expect(adopted).toMatchObject({
      tag: 'churn@v1.1.0',
      version: 'v1.1.0',
      commit: commits[1],
      pushed: false,
    });
    expect(git(repo, 'cat-file', '-t', 'churn@v1.1.0')).toBe('tag');
    expect(await registry.which('churn@latest')).toMatchObject({
      version: 'v1.1.0',
      commit: commits[1],
    });
    expect(await rejection(registry.adopt('churn@v1.1.0'))).toMatchObject({
      rule: 'not-lightweight',
    });
    expect(await rejection(registry.adopt('churn@v7.0.0'))).toBeInstanceOf(RegistryLookupError);
    expect(await rejection(registry.adopt('v1.0.0'))).toBeInstanceOf(InvalidNameError);
  });

  it('replaces the remote lightweight tag only while it still names the same commit', async () => {
    const remote = makeBareRemote();
    const { repo, commits } = localRepo();
    git(repo, 'remote', 'add', 'origin', remote);
    git(repo, 'push', '-q', 'origin', 'main');
    git(repo, 'tag', 'churn@v1.0.0', commits[1] as string);
    git(repo, 'push', '-q', 'origin', 'refs/tags/churn@v1.0.0');
    const registry = service(repo);
    const adopted = await registry.adopt('churn@v1.0.0');
    expect(adopted.pushed).toBe(true);
    expect(git(remote, 'cat-file', '-t', 'churn@v1.0.0')).toBe('tag');
    expect(git(remote, 'rev-parse', 'churn@v1.0.0^{commit}')).toBe(commits[1]);

    // Someone moves the remote tag meanwhile: adopt refuses and keeps the local tag as it was.
    git(repo, 'tag', 'churn@v2.0.0', commits[2] as string);
    git(repo, 'push', '-q', 'origin', 'refs/tags/churn@v2.0.0');
    git(remote, 'tag', '-f', 'churn@v2.0.0', commits[3] as string);
    const error = await rejection(service(repo, { fetch: false }).adopt('churn@v2.0.0'));
    expect(error).toMatchObject({ rule: 'not-adoptable' });
    expect(git(repo, 'cat-file', '-t', 'churn@v2.0.0')).toBe('commit');
    expect(git(repo, 'rev-parse', 'churn@v2.0.0')).toBe(commits[2]);
    expect(git(remote, 'rev-parse', 'churn@v2.0.0')).toBe(commits[3]);
  });
});

describe('with a remote', () => {
  function cloned() {
    const remote = makeBareRemote();
    const { repo, commits } = localRepo();
    git(repo, 'remote', 'add', 'origin', remote);
    git(repo, 'push', '-q', 'origin', 'main');
    return { remote, repo, commits, a: cloneRepo(remote), b: cloneRepo(remote) };
  }

  it('pushes every event, and a second clone reads back identical tags and state', async () => {
    const { remote, a, b, commits } = cloned();
    const registry = service(a);
    expect((await registry.register({ name: 'churn', commit: commits[0] as string })).pushed).toBe(
      true,
    );
    await registry.register({ name: 'models:mymodel', commit: commits[1] as string });
    await registry.register({ name: 'team/churn', commit: commits[2] as string });
    await registry.promote('churn', 'latest', 'prod');
    await registry.promote('models:mymodel', 'v0.0.1', 'staging');
    const expected = [
      'churn#prod#1',
      'churn@v0.0.1',
      'models=mymodel#staging#1',
      'models=mymodel@v0.0.1',
      'team/churn@v0.0.1',
    ];
    expect(tags(remote).sort()).toEqual(expected);
    const other = service(b);
    const stateB = await other.list();
    expect(tags(b).sort()).toEqual(expected);
    expect(tagListing(b)).toBe(tagListing(a));
    const stateA = await registry.list();
    expect(JSON.stringify(stateB.models)).toBe(JSON.stringify(stateA.models));
    expect(await other.which('models:mymodel#staging')).toMatchObject({
      version: 'v0.0.1',
      commit: commits[1],
    });
  });

  it('a registration that loses the push race fails clearly and removes its local tag', async () => {
    const { remote, a, b, commits } = cloned();
    await service(a).register({ name: 'churn', version: 'v1.0.0', commit: commits[0] as string });
    const loser = service(b, { fetch: false });
    const error = await rejection(
      loser.register({ name: 'churn', version: 'v1.0.0', commit: commits[1] as string }),
    );
    expect(error).toBeInstanceOf(TagConflictError);
    expect((error as Error).message).toBe(
      "Tag 'churn@v1.0.0' was pushed by someone else first; nothing was changed here.",
    );
    expect(tags(b)).toEqual([]);
    expect(git(remote, 'rev-parse', 'churn@v1.0.0^{commit}')).toBe(commits[0]);
  });

  it('two clones registering the same version at once: exactly one wins', async () => {
    const { remote, a, b, commits } = cloned();
    const results = await Promise.allSettled([
      service(a).register({ name: 'churn', version: 'v1.0.0', commit: commits[0] as string }),
      service(b).register({ name: 'churn', version: 'v1.0.0', commit: commits[1] as string }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const reason = (lost[0] as PromiseRejectedResult).reason as Error;
    expect(reason instanceof TagConflictError || reason instanceof VersionExistsError).toBe(true);
    const winnerCommit = git(remote, 'rev-parse', 'churn@v1.0.0^{commit}');
    const winnerObject = git(remote, 'rev-parse', 'churn@v1.0.0');
    // Each clone has either no such tag or exactly the remote's.
    for (const clone of [a, b]) {
      const local = tags(clone).includes('churn@v1.0.0')
        ? git(clone, 'rev-parse', 'churn@v1.0.0')
        : winnerObject;
      expect(local).toBe(winnerObject);
    }
    expect([commits[0], commits[1]]).toContain(winnerCommit);
  });

  it('a promotion that loses the counter race fails cleanly and succeeds on retry', async () => {
    const { remote, a, b, commits } = cloned();
    await service(a).register({ name: 'churn', commit: commits[0] as string });
    await service(a).register({ name: 'churn', commit: commits[1] as string });
    await service(b).sync();
    await service(a).promote('churn', 'v0.0.1', 'prod');
    const stale = service(b, { fetch: false });
    const error = await rejection(stale.promote('churn', 'v0.0.2', 'prod'));
    expect(error).toBeInstanceOf(TagConflictError);
    expect((error as TagConflictError).tag).toBe('churn#prod#1');
    expect(tags(b).filter((t) => t.includes('#'))).toEqual([]);
    expect((await service(b).promote('churn', 'v0.0.2', 'prod')).tag).toBe('churn#prod#2');
    expect(git(remote, 'rev-parse', 'churn#prod#2^{commit}')).toBe(commits[1]);
    expect(await service(a).which('churn#prod')).toMatchObject({ version: 'v0.0.2' });
  });
});

describe('push failures', () => {
  it('an unreachable remote fails with TagPushError and leaves no local tag', async () => {
    const { repo, commits } = localRepo();
    git(repo, 'remote', 'add', 'origin', '/nonexistent/ghml-remote.git');
    const warnings: string[] = [];
    const registry = service(repo, { warn: (m) => warnings.push(m) });
    const error = await rejection(
      registry.register({ name: 'churn', commit: commits[0] as string }),
    );
    expect(error).toBeInstanceOf(TagPushError);
    expect((error as TagPushError).message).toMatch(
      /^Could not push tag 'churn@v0.0.1' to 'origin': /,
    );
    expect(warnings.join('\n')).toContain("Could not fetch every tag from 'origin'");
    expect(tags(repo)).toEqual([]);
  });
});

describe('RegistryRuleError', () => {
  it('is a GhmlError with a hint', () => {
    const e = new RegistryRuleError('deregistered', 'm', 'h');
    expect(e.name).toBe('RegistryRuleError');
    expect(e.hint).toBe('h');
  });
});
