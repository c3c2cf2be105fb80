import { afterAll, describe, expect, it } from 'vitest';
import { createGit, type Git } from '../../../src/git/git.js';
import { prefetchMissingBlobs } from '../../../src/tracking/store/branch-prefetch.js';
import { prefetchRunRecords } from '../../../src/tracking/store/run-cache-prefetch.js';
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

    const runs = await store.locateRuns();
    const reader = g.openObjectReader();
    try {
      const firstTwo = runs.slice(0, 2).map((r) => r.tree);
      expect(await prefetchRunRecords(g, reader, firstTwo)).toBe(2);
      expect(await prefetchRunRecords(g, reader, firstTwo)).toBe(0);
    } finally {
      await reader.close();
    }
    const runsTree = git(clone, 'rev-parse', `${REMOTE_TIP}:runs`);
    expect(await prefetchMissingBlobs(g, runsTree, (path) => path.endsWith('/run.json'))).toBe(2);
    // Only run.json was asked for: the metric series (one shared blob here) stay on the server.
    expect(missingNames(clone)).toEqual(['metrics.jsonl']);
    expect((await store.listRuns()).map((r) => r.record.id)).toEqual(runs.map((r) => r.id));
  });

  it('does nothing in a full clone', async () => {
    const origin = await originWithRuns();
    const clone = cloneRepo(origin);
    const { git: g, store } = await open(clone);
    await store.fetch();
    const runs = await store.locateRuns();
    const reader = g.openObjectReader();
    try {
      expect(
        await prefetchRunRecords(
          g,
          reader,
          runs.map((r) => r.tree),
        ),
      ).toBe(0);
    } finally {
      await reader.close();
    }
    const runsTree = git(clone, 'rev-parse', `${REMOTE_TIP}:runs`);
    expect(await prefetchMissingBlobs(g, runsTree, () => true)).toBe(0);
  });
});
