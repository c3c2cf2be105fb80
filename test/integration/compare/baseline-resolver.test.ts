import { afterAll, describe, expect, it } from 'vitest';
import { BaselineResolver } from '../../../src/compare/baseline-resolver.js';
import { UnknownRevisionError, InvalidShaError } from '../../../src/compare/compare-errors.js';
import { ExecGitRunner } from '../../support/exec-git-runner.js';
import {
  cleanupTempDirs,
  cloneRepo,
  commitFile,
  git,
  makeBareRemote,
  makeRepo,
} from '../../support/temp-repo.js';
import { makeRun, MemoryRunSource } from '../../unit/compare/fixtures.js';

afterAll(cleanupTempDirs);

/** A repo with `n` more commits on main after the initial one; returns shas oldest first. */
function linearRepo(n: number): { dir: string; shas: string[] } {
  const dir = makeRepo();
  const shas = [git(dir, 'rev-parse', 'HEAD')];
  for (let i = 1; i <= n; i++) shas.push(commitFile(dir, 'train.py', `# v${i}\n`, `c${i}`));
  return { dir, shas };
}

function resolver(
  dir: string,
  source: MemoryRunSource,
  extra: Partial<ConstructorParameters<typeof BaselineResolver>[0]> = {},
) {
  const runner = new ExecGitRunner(dir);
  return {
    runner,
    resolver: new BaselineResolver({ git: runner, runSource: source, remote: 'origin', ...extra }),
  };
}

describe('BaselineResolver on a full clone', () => {
  const { dir, shas } = linearRepo(8);
  const at = (i: number) => shas[i] as string;
  const head = at(8);

  it('uses the PR base commit when it has a run', async () => {
    const base = makeRun({ commit: at(6), metrics: { acc: 0.9 } });
    const source = new MemoryRunSource([base, makeRun({ commit: head })]);
    const { resolver: r } = resolver(dir, source, { prBaseSha: at(6) });
    const result = await r.resolve('iris', head);
    expect(result.source).toEqual({ kind: 'pr-base', sha: at(6) });
    expect(result.commit).toBe(at(6));
    expect(result.runs.map((run) => run.id)).toEqual([base.id]);
    expect(result.pinned).toBe(false);
  });

  it('walks the PR base first-parent ancestors with one batched lookup when the base has no run', async () => {
    const older = makeRun({ commit: at(2) });
    const nearest = makeRun({ commit: at(4) });
    const source = new MemoryRunSource([older, nearest]);
    const { resolver: r, runner } = resolver(dir, source, { prBaseSha: at(6) });
    const result = await r.resolve('iris', head);
    expect(result.source).toEqual({ kind: 'ancestor', sha: at(4), distance: 2 });
    expect(result.runs.map((run) => run.id)).toEqual([nearest.id]);
    expect(source.count('commitsWithRuns')).toBe(1);
    expect(source.count('runsAtCommit')).toBe(1);
    expect(runner.calls.filter((args) => args[0] === 'rev-list')).toHaveLength(1);
    expect(runner.calls.some((args) => args[0] === 'fetch')).toBe(false);
  });

  it('skips commits whose runs all failed', async () => {
    const source = new MemoryRunSource([
      makeRun({ commit: at(6), status: 'FAILED' }),
      makeRun({ commit: at(5), status: 'KILLED' }),
      makeRun({ commit: at(3) }),
    ]);
    const { resolver: r } = resolver(dir, source, { prBaseSha: at(6) });
    expect((await r.resolve('iris', head)).source).toEqual({
      kind: 'ancestor',
      sha: at(3),
      distance: 3,
    });
    const lenient = resolver(dir, source, { prBaseSha: at(6), includeUnfinished: true }).resolver;
    expect((await lenient.resolve('iris', head)).source).toEqual({ kind: 'pr-base', sha: at(6) });
  });

  it('only counts runs of the experiment being compared', async () => {
    const source = new MemoryRunSource([
      makeRun({ commit: at(7), experiment: 'other' }),
      makeRun({ commit: at(5), experiment: 'iris' }),
    ]);
    const { resolver: r } = resolver(dir, source);
    expect((await r.resolve('iris', head)).source).toEqual({
      kind: 'ancestor',
      sha: at(5),
      distance: 3,
    });
    expect((await r.resolve('other', head)).source).toEqual({
      kind: 'ancestor',
      sha: at(7),
      distance: 1,
    });
  });

  it("walks HEAD's first parents when there is no PR, never taking head's own runs", async () => {
    const source = new MemoryRunSource([makeRun({ commit: head }), makeRun({ commit: at(7) })]);
    const { resolver: r } = resolver(dir, source);
    const result = await r.resolve('iris', head);
    expect(result.source).toEqual({ kind: 'ancestor', sha: at(7), distance: 1 });
  });

  it('respects the walk bound', async () => {
    const source = new MemoryRunSource([makeRun({ commit: at(3) })]); // 5 steps back from head
    const short = resolver(dir, source, { maxWalk: 4 }).resolver;
    const none = await short.resolve('iris', head);
    expect(none.source.kind).toBe('none');
    expect(none.commit).toBeNull();
    expect(none.source.kind === 'none' && none.source.reason).toMatch(
      /no run of 'iris' in the first-parent ancestors of head [0-9a-f]{7} \(searched 4 commits back\)/,
    );
    const batch = source.calls.find((c) => c.method === 'commitsWithRuns')?.args[0] as string[];
    expect(batch).toEqual([at(7), at(6), at(5), at(4)]);

    const enough = resolver(dir, source, { maxWalk: 5 }).resolver;
    expect((await enough.resolve('iris', head)).source).toEqual({
      kind: 'ancestor',
      sha: at(3),
      distance: 5,
    });
  });

  it('follows first parents only', async () => {
    const repo = makeRepo();
    const main1 = commitFile(repo, 'a.txt', '1');
    git(repo, 'checkout', '-q', '-b', 'side');
    const side = commitFile(repo, 'b.txt', 'side');
    git(repo, 'checkout', '-q', 'main');
    commitFile(repo, 'a.txt', '2');
    git(repo, 'merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    const merge = git(repo, 'rev-parse', 'HEAD');
    const tip = commitFile(repo, 'a.txt', '3');
    const source = new MemoryRunSource([makeRun({ commit: side }), makeRun({ commit: main1 })]);
    const r = resolver(repo, source).resolver;
    const result = await r.resolve('iris', tip);
    expect(result.source).toEqual({ kind: 'ancestor', sha: main1, distance: 3 });
    expect(merge).not.toBe(main1);
  });

  it('reports no baseline at all, saying how far it looked', async () => {
    const source = new MemoryRunSource([makeRun({ commit: head })]);
    const result = await resolver(dir, source, { prBaseSha: at(6) }).resolver.resolve('iris', head);
    expect(result).toMatchObject({ commit: null, runs: [], pinned: false });
    expect(result.source.kind === 'none' && result.source.reason).toMatch(
      /no run of 'iris' at PR base [0-9a-f]{7} or its first-parent ancestors \(history ends 6 commits back\)/,
    );
  });

  it('uses an explicit --base rev (branch, tag, short sha) and walks back from it', async () => {
    git(dir, 'tag', 'v1', at(5));
    const source = new MemoryRunSource([makeRun({ commit: at(5) }), makeRun({ commit: at(1) })]);
    for (const rev of ['v1', at(5).slice(0, 10), 'HEAD~3']) {
      const result = await resolver(dir, source, { base: rev }).resolver.resolve('iris', head);
      expect(result.source).toEqual({ kind: 'explicit', ref: rev });
      expect(result.commit).toBe(at(5));
    }
    const walked = await resolver(dir, source, { base: 'HEAD~4' }).resolver.resolve('iris', head);
    expect(walked.source).toEqual({ kind: 'ancestor', sha: at(1), distance: 3 });
  });

  it('pins an explicit --base run id (full or unique prefix)', async () => {
    const pinned = makeRun({
      id: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
      commit: at(2),
      metrics: { acc: 1 },
    });
    const other = makeRun({ commit: at(2), experiment: 'other' });
    const source = new MemoryRunSource([pinned, other, makeRun({ commit: at(2) })]);
    for (const ref of [pinned.id, '01HZZZZZZZ', pinned.id.toLowerCase()]) {
      const r = resolver(dir, source, { base: ref }).resolver;
      const result = await r.resolve('iris', head);
      expect(result).toMatchObject({
        source: { kind: 'explicit', ref },
        commit: at(2),
        pinned: true,
      });
      expect(result.runs).toEqual([pinned]);
      // Other experiments use the run's commit.
      const forOther = await r.resolve('other', head);
      expect(forOther).toMatchObject({
        source: { kind: 'explicit', ref },
        commit: at(2),
        pinned: false,
      });
    }
  });

  it('refuses a --base that names nothing, or looks like an option, and changes nothing', async () => {
    const source = new MemoryRunSource();
    const before = git(dir, 'for-each-ref');
    for (const bad of ['no-such-branch', '--upload-pack=touch /tmp/x', '-', '']) {
      const r = resolver(dir, source, { base: bad }).resolver;
      const error = await r.validate().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnknownRevisionError);
      expect((error as UnknownRevisionError).message).toContain(`'${bad}'`);
      expect((error as UnknownRevisionError).hint).toMatch(/id of a run/);
      await expect(r.resolve('iris', head)).rejects.toBeInstanceOf(UnknownRevisionError);
    }
    expect(git(dir, 'for-each-ref')).toBe(before);
  });

  it('refuses a PR base sha that is not a full sha', () => {
    const source = new MemoryRunSource();
    for (const bad of ['abc123', 'HEAD', `${at(1)}\n`, '--all', at(1).toUpperCase()]) {
      expect(() => resolver(dir, source, { prBaseSha: bad })).toThrow(InvalidShaError);
    }
  });
});

describe('BaselineResolver on a shallow clone', () => {
  function shallowSetup(n: number) {
    const { dir, shas } = linearRepo(n);
    const remote = makeBareRemote();
    git(dir, 'remote', 'add', 'origin', `file://${remote}`);
    git(dir, 'push', '-q', 'origin', 'main');
    const clone = cloneRepo(remote, ['--depth', '1']);
    expect(git(clone, 'rev-parse', '--is-shallow-repository')).toBe('true');
    return { clone, shas, remote };
  }

  it('deepens a depth-1 clone to find a PR base commit several commits back', async () => {
    const { clone, shas } = shallowSetup(8);
    const base = shas[4] as string;
    expect(() => git(clone, 'cat-file', '-e', `${base}^{commit}`)).toThrow();
    const source = new MemoryRunSource([makeRun({ commit: shas[2] as string })]);
    const { resolver: r, runner } = resolver(clone, source, { prBaseSha: base });
    const result = await r.resolve('iris', shas[8] as string);
    expect(result.source).toEqual({ kind: 'ancestor', sha: shas[2], distance: 2 });
    const fetches = runner.calls.filter((args) => args[0] === 'fetch');
    expect(fetches).toEqual([['fetch', '--quiet', '--no-tags', '--depth=101', 'origin', base]]);
    git(clone, 'cat-file', '-e', `${base}^{commit}`);
  });

  it('deepens when comparing HEAD of a depth-1 clone with its ancestors', async () => {
    const { clone, shas } = shallowSetup(6);
    const source = new MemoryRunSource([makeRun({ commit: shas[3] as string })]);
    const { resolver: r, runner } = resolver(clone, source);
    const result = await r.resolve('iris', shas[6] as string);
    expect(result.source).toEqual({ kind: 'ancestor', sha: shas[3], distance: 3 });
    expect(runner.calls.filter((args) => args[0] === 'fetch')).toHaveLength(1);
  });

  it('returns none naming the fetch it tried when the base cannot be fetched', async () => {
    const { clone, shas } = shallowSetup(3);
    const unknown = 'f'.repeat(40);
    const source = new MemoryRunSource([makeRun({ commit: shas[1] as string })]);
    const result = await resolver(clone, source, { prBaseSha: unknown }).resolver.resolve(
      'iris',
      shas[3] as string,
    );
    expect(result.commit).toBeNull();
    expect(result.source.kind).toBe('none');
    const reason = result.source.kind === 'none' ? result.source.reason : '';
    expect(reason).toContain(`PR base ${unknown.slice(0, 7)}`);
    expect(reason).toContain(`git fetch --quiet --no-tags --depth=101 origin ${unknown}`);
    expect(reason).toContain('failed');
  });

  it('reports a cut history when the remote is gone', async () => {
    const { clone, shas } = shallowSetup(3);
    git(clone, 'remote', 'set-url', 'origin', `file://${clone}/no-such-remote`);
    const source = new MemoryRunSource([makeRun({ commit: shas[1] as string })]);
    const result = await resolver(clone, source).resolver.resolve('iris', shas[3] as string);
    expect(result.source.kind === 'none' && result.source.reason).toMatch(
      /history ends 0 commits back; fetch more history; tried `git fetch .*` failed/,
    );
  });
});
