import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { TrackingRunSource } from '../../../src/compare/tracking-run-source.js';
import { createGit } from '../../../src/git/git.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import {
  TEST_GIT_ENV,
  cleanupTempDirs,
  commitFile,
  git,
  makeRepo,
} from '../../support/temp-repo.js';
import { sampleInput } from '../tracking/fixtures/sample-run.js';

afterAll(cleanupTempDirs);

function gitWithInput(cwd: string, input: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    input,
    env: { ...process.env, ...TEST_GIT_ENV },
    encoding: 'utf8',
  }).trim();
}

/** Adds a file that is not an experiment folder under runs/ (as a hand edit might). */
function addStrayEntry(repo: string, name: string): void {
  const tip = git(repo, 'rev-parse', 'refs/heads/ghml/runs');
  const blob = gitWithInput(repo, 'not a run\n', 'hash-object', '-w', '--stdin');
  const runs = git(repo, 'ls-tree', `${tip}:runs`);
  const newRuns = gitWithInput(repo, `${runs}\n100644 blob ${blob}\t${name}\n`, 'mktree');
  const root = git(repo, 'ls-tree', `${tip}^{tree}`)
    .split('\n')
    .map((line) => (line.endsWith('\truns') ? `040000 tree ${newRuns}\truns` : line))
    .join('\n');
  const tree = gitWithInput(repo, `${root}\n`, 'mktree');
  const commit = git(repo, 'commit-tree', tree, '-p', tip, '-m', 'hand edit');
  git(repo, 'update-ref', 'refs/heads/ghml/runs', commit, tip);
}

describe('TrackingRunSource.commitsWithRuns', () => {
  it('finds the commits with runs and ignores entries under runs/ that are not experiments', async () => {
    const repo = makeRepo();
    const first = git(repo, 'rev-parse', 'HEAD');
    const second = commitFile(repo, 'train.py', '# v2\n');
    const g = await createGit(repo);
    const store = openTrackingStore(g, {
      branch: 'ghml/runs',
      remote: 'origin',
      pushTimeoutMs: 1000,
    });
    await store.writeRun(sampleInput(first));
    await store.writeRun(sampleInput(first, { experiment: 'mnist' }));
    addStrayEntry(repo, '.keep');
    addStrayEntry(repo, 'README.md');

    const source = new TrackingRunSource(store);
    expect(await source.commitsWithRuns([second, first])).toEqual(new Set([first]));
    expect(await source.commitsWithRuns([first], 'mnist')).toEqual(new Set([first]));
    expect(await source.commitsWithRuns([second], 'iris')).toEqual(new Set());
    expect((await source.runsAtCommit(first)).map((r) => r.experiment).sort()).toEqual([
      'iris',
      'mnist',
    ]);
  });
});
