import { afterAll, describe, expect, it } from 'vitest';
import { createGit, type Git } from '../../../src/git/git.js';
import { prefetchMissingBlobs } from '../../../src/tracking/store/branch-prefetch.js';
import { prefetchBlobs } from '../../../src/tracking/store/blob-batch.js';
import {
  openTrackingStore,
  type TrackingStore,
} from '../../../src/tracking/store/tracking-store.js';
import {
  cleanupTempDirs,
  cloneRepo,
  git,
  makeBareRemote,
  makeRepo,
} from '../../support/temp-repo.js';
import { sampleInput } from './fixtures/sample-run.js';

afterAll(cleanupTempDirs);

const REMOTE_TIP = 'refs/remotes/origin/ghml/runs';

async function open(repo: string): Promise<{ git: Git; store: TrackingStore }> {
  const g = await createGit(repo);
  const store = openTrackingStore(g, {
    branch: 'ghml/runs',
    remote: 'origin',
    pushTimeoutMs: 30_000,
  });
  return { git: g, store };
}

/** Blobs reachable from the remote tip that this clone does not have, by file name. */
function missingNames(repo: string): string[] {
  const names = new Map<string, string>();
  for (const line of git(repo, 'ls-tree', '-r', REMOTE_TIP).split('\n')) {
    const [meta = '', path = ''] = line.split('\t');
    names.set(meta.split(' ')[2] ?? '', path.slice(path.lastIndexOf('/') + 1));
  }
  return git(repo, 'rev-list', '--objects', '--missing=print', REMOTE_TIP)
    .split('\n')
    .filter((line) => line.startsWith('?'))
    .map((line) => names.get(line.slice(1)) ?? line)
    .sort();
}

/** An origin holding 4 runs on the tracking branch. */
async function originWithRuns(): Promise<string> {
  const origin = makeBareRemote();
  const seed = makeRepo();
  git(seed, 'remote', 'add', 'origin', `file://${origin}`);
  git(seed, 'push', '-q', 'origin', 'main');
  const { store } = await open(seed);
  const head = git(seed, 'rev-parse', 'HEAD');
  for (let i = 0; i < 4; i++) await store.writeRun(sampleInput(head));
  await store.push();
  return origin;
}

describe('prefetch of run records in a partial clone', () => {
  it('finds the promisor of `git clone --filter` and fetches only the missing run.json blobs asked for', async () => {
    const origin = await originWithRuns();
    const clone = cloneRepo(origin, ['--filter=blob:none', '--no-checkout']);
    const { git: g, store } = await open(clone);
    expect(await store.fetch()).toBe(true);
    expect(missingNames(clone).filter((n) => n === 'run.json')).toHaveLength(4);

    const trees = git(clone, 'ls-tree', '-r', '-d', REMOTE_TIP, 'runs')
      .split('\n')
      .filter((line) => line.split('\t')[1]?.split('/').length === 5)
      .map((line) => line.split(' ')[2]?.split('\t')[0] as string);
    const firstTwo = trees.slice(0, 2);
    const blobs = firstTwo.map((t) => git(clone, 'rev-parse', `${t}:run.json`));
    expect(await prefetchBlobs(g, firstTwo, blobs)).toBe(2);
    expect(await prefetchBlobs(g, firstTwo, blobs)).toBe(0);
    const runsTree = git(clone, 'rev-parse', `${REMOTE_TIP}:runs`);
    expect(await prefetchMissingBlobs(g, runsTree, (path) => path.endsWith('/run.json'))).toBe(2);
    // Only run.json was asked for: the marker and the metric series stay on the server.
    expect(missingNames(clone)).toEqual(['ghml.json', 'metrics.jsonl']);
    expect((await store.listRuns()).map((r) => r.record.id)).toHaveLength(4);
    expect(missingNames(clone)).toEqual(['metrics.jsonl']);
  });

  it('does nothing in a full clone', async () => {
    const origin = await originWithRuns();
    const clone = cloneRepo(origin);
    const { git: g, store } = await open(clone);
    await store.fetch();
    const runs = await store.locateRuns();
    const blobs = runs.map((r) => git(clone, 'rev-parse', `${r.tree}:run.json`));
    expect(
      await prefetchBlobs(
        g,
        runs.map((r) => r.tree),
        blobs,
      ),
    ).toBe(0);
    const runsTree = git(clone, 'rev-parse', `${REMOTE_TIP}:runs`);
    expect(await prefetchMissingBlobs(g, runsTree, () => true)).toBe(0);
  });
});
