import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupTempDirs,
  cloneRepo,
  git,
  makeBareRemote,
  makeRepo,
} from '../../support/temp-repo.js';
import { createGit } from '../../../src/git/git.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import { buildWriter } from './fixtures/build-writer.js';
import { startWriter } from './fixtures/run-process.js';

afterAll(cleanupTempDirs);

const WRITERS = 32;

describe('many writers pushing to one remote at once', () => {
  let writer: string;
  beforeAll(async () => {
    writer = await buildWriter();
  });

  it(`delivers all ${WRITERS} runs exactly once, and no writer fails`, async () => {
    const origin = makeBareRemote();
    const seed = makeRepo();
    git(seed, 'remote', 'add', 'origin', `file://${origin}`);
    git(seed, 'push', '-q', 'origin', 'main');
    // Like an Actions matrix: every job has its own depth-1 checkout.
    const clones = Array.from({ length: WRITERS }, () => cloneRepo(origin, ['--depth', '1']));
    const outcomes = await Promise.all(
      clones.map(
        (repo, i) =>
          startWriter(writer, { repo, count: 1, push: true, experiment: `exp${i % 4}` }).done,
      ),
    );
    for (const outcome of outcomes) {
      expect(outcome.stderr).toBe('');
      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toMatch(/^pushed 1 attempts \d+ delivered [01] folded \d+$/m);
    }
    const written = outcomes.flatMap((o) => o.written).sort();
    expect(written).toHaveLength(WRITERS);
    // Every run landed: on the branch, or in the inbox waiting for the next fold, never twice.
    const onBranch = (): string[] =>
      git(origin, 'ls-tree', '-r', '-d', '--name-only', 'ghml/runs', 'runs')
        .split('\n')
        .filter((p) => p.split('/').length === 5)
        .map((p) => p.split('/')[4] as string);
    const inInbox = git(
      origin,
      'for-each-ref',
      '--format=%(refname:lstrip=5)',
      'refs/ghml/inbox/ghml/runs',
    )
      .split('\n')
      .filter((id) => id.length > 0);
    expect([...onBranch(), ...inInbox].sort()).toEqual(written);
    expect(git(origin, 'fsck', '--strict', '--no-dangling')).toBe('');
    // A fresh clone reads all of them, then folds the rest onto the branch.
    const reader = cloneRepo(origin, ['--depth', '1']);
    const store = openTrackingStore(await createGit(reader), {
      branch: 'ghml/runs',
      remote: 'origin',
      pushTimeoutMs: 60_000,
    });
    await store.fetch();
    expect((await store.listRuns()).map((r) => r.id)).toEqual(written);
    await store.fold();
    expect(onBranch().sort()).toEqual(written);
    expect(git(origin, 'for-each-ref', 'refs/ghml/inbox')).toBe('');
    expect(git(origin, 'rev-list', '--count', 'ghml/runs')).toBe(String(WRITERS));
    expect(git(origin, 'fsck', '--strict', '--no-dangling')).toBe('');
  }, 240_000);
});
