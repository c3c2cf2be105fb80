import { afterAll, describe, expect, it } from 'vitest';
import { InvalidShaError, UnknownRevisionError } from '../../../src/compare/compare-errors.js';
import { resolveHead } from '../../../src/compare/head-resolver.js';
import { GhmlError } from '../../../src/errors/ghml-error.js';
import { ExecGitRunner } from '../../support/exec-git-runner.js';
import {
  cleanupTempDirs,
  cloneRepo,
  commitFile,
  git,
  makeBareRemote,
  makeRepo,
} from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

describe('resolveHead', () => {
  const dir = makeRepo();
  const first = git(dir, 'rev-parse', 'HEAD');
  const second = commitFile(dir, 'a.txt', '1');
  const runner = new ExecGitRunner(dir);

  it('uses HEAD by default', async () => {
    expect(await resolveHead({ git: runner })).toEqual({
      commit: second,
      source: 'HEAD',
      mergeSecondParent: null,
      note: null,
    });
  });

  it('uses --head, even for a full sha missing from the clone', async () => {
    expect(await resolveHead({ git: runner, head: 'HEAD~1' })).toMatchObject({
      commit: first,
      source: 'explicit',
    });
    const absent = 'e'.repeat(40);
    expect(await resolveHead({ git: runner, head: absent })).toMatchObject({
      commit: absent,
      source: 'explicit',
    });
  });

  it('prefers --head over the PR head sha, and the PR head sha over HEAD', async () => {
    const pr = 'd'.repeat(40);
    expect(await resolveHead({ git: runner, head: 'HEAD~1', prHeadSha: pr })).toMatchObject({
      commit: first,
    });
    expect(await resolveHead({ git: runner, prHeadSha: pr })).toMatchObject({
      commit: pr,
      source: 'pr-head',
    });
  });

  it('refuses an unknown --head and a malformed PR head sha', async () => {
    for (const bad of ['nope', '--output=/tmp/x', '']) {
      await expect(resolveHead({ git: runner, head: bad })).rejects.toBeInstanceOf(
        UnknownRevisionError,
      );
    }
    await expect(
      resolveHead({ git: runner, prHeadSha: 'refs/pull/1/merge' }),
    ).rejects.toBeInstanceOf(InvalidShaError);
  });

  it('says so when HEAD is a PR merge commit, even in a depth-1 clone', async () => {
    const repo = makeRepo();
    git(repo, 'checkout', '-q', '-b', 'feature');
    const prHead = commitFile(repo, 'model.py', 'v2');
    git(repo, 'checkout', '-q', 'main');
    commitFile(repo, 'other.txt', 'x');
    // What GitHub builds as refs/pull/N/merge and actions/checkout checks out at depth 1.
    git(repo, 'merge', '-q', '--no-ff', '-m', 'Merge into main', 'feature');
    const merge = git(repo, 'rev-parse', 'HEAD');
    const remote = makeBareRemote();
    git(repo, 'push', '-q', `file://${remote}`, 'main');
    const clone = cloneRepo(remote, ['--depth', '1']);

    const result = await resolveHead({ git: new ExecGitRunner(clone) });
    expect(result.commit).toBe(merge);
    expect(result.mergeSecondParent).toBe(prHead);
    expect(result.note).toContain(`--head ${prHead}`);
    expect(result.note).toContain('merge commit');
  });

  it('fails clearly in a repository without commits', async () => {
    const empty = makeRepo({ commit: false });
    const error = await resolveHead({ git: new ExecGitRunner(empty) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GhmlError);
    expect((error as GhmlError).message).toContain('no commits');
  });
});
