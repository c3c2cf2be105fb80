import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import { GitCommandError } from '../../../src/git/git-errors.js';
import { EntriesRefusedError, PushRejectedError } from '../../../src/tracking/tracking-errors.js';
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
import { sampleInput, samplePoints } from './fixtures/sample-run.js';

afterAll(cleanupTempDirs);

const BRANCH = 'ghml/runs';

async function open(repo: string, pushTimeoutMs = 30_000): Promise<TrackingStore> {
  return openTrackingStore(await createGit(repo), {
    branch: BRANCH,
    remote: 'origin',
    pushTimeoutMs,
  });
}

/** A bare origin with `main` pushed, and a laptop clone of it. */
function setup(): { origin: string; laptop: string; head: string } {
  const origin = makeBareRemote();
  const seed = makeRepo();
  git(seed, 'remote', 'add', 'origin', `file://${origin}`);
  git(seed, 'push', '-q', 'origin', 'main');
  const laptop = cloneRepo(origin);
  return { origin, laptop, head: git(laptop, 'rev-parse', 'HEAD') };
}

function remoteRunIds(origin: string): string[] {
  const paths = git(origin, 'ls-tree', '-r', '-d', '--name-only', BRANCH, 'runs').split('\n');
  return paths
    .filter((p) => p.split('/').length === 5)
    .map((p) => p.split('/')[4] as string)
    .sort();
}

describe('push protocol', () => {
  it('creates the remote branch on the first push and reports the runs pushed', async () => {
    const { origin, laptop, head } = setup();
    const store = await open(laptop);
    const a = sampleInput(head);
    const b = sampleInput(head);
    await store.writeRun(a);
    await store.writeRun(b);
    expect(await store.unpushedRunIds()).toEqual([a.record.id, b.record.id]);
    const result = await store.push();
    expect(result).toMatchObject({ pushed: 2, attempts: 1 });
    expect(remoteRunIds(origin)).toEqual([a.record.id, b.record.id].sort());
    expect(await store.unpushedRunIds()).toEqual([]);
    expect(await store.push()).toMatchObject({ pushed: 0 });
  });

  it('rebuilds on a remote that moved, writing no run twice', async () => {
    const { origin, laptop, head } = setup();
    const other = cloneRepo(origin);
    const mine = await open(laptop);
    const theirs = await open(other);
    const first = sampleInput(head);
    await theirs.writeRun(first);
    await theirs.push();
    const second = sampleInput(head);
    const third = sampleInput(head, { experiment: 'other' });
    await mine.writeRun(second);
    await mine.writeRun(third);
    const result = await mine.push();
    expect(result.pushed).toBe(2);
    expect(result.attempts).toBe(2);
    expect(remoteRunIds(origin)).toEqual([first, second, third].map((i) => i.record.id).sort());
    expect(git(origin, 'rev-list', '--count', BRANCH)).toBe('3');
    expect(git(origin, 'fsck', '--strict', '--no-dangling')).toBe('');
    // The rebuilt commits keep their messages and trailers.
    expect(git(origin, 'log', '-1', '--format=%s', BRANCH)).toBe(
      `run ${third.record.id} other FINISHED`,
    );
    // Both clones now read all three runs.
    await theirs.fetch();
    expect((await theirs.listRuns()).map((r) => r.id)).toEqual(remoteRunIds(origin));
    expect((await mine.listRuns()).map((r) => r.id)).toEqual(remoteRunIds(origin));
  });

  it('keeps the run locally when a hook declines, then sends it once the cause is fixed', async () => {
    const { origin, laptop, head } = setup();
    const hook = join(origin, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "no runs today" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const store = await open(laptop);
    const input = sampleInput(head);
    await store.writeRun(input);
    const error = await store.push().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EntriesRefusedError);
    expect((error as EntriesRefusedError).refused).toEqual([
      expect.objectContaining({ id: input.record.id, kind: 'run' }),
    ]);
    expect((error as EntriesRefusedError).message).toContain('pre-receive hook declined');
    expect((error as EntriesRefusedError).message).toContain('no runs today');
    expect((error as EntriesRefusedError).hint).toBe(
      `the refused entries stay queued locally; fix the cause and run \`ghml push\`, or drop one with \`ghml push --drop ${input.record.id}\` (its files are saved to .git/ghml/dropped/)`,
    );
    expect(await store.unpushedRunIds()).toEqual([input.record.id]);
    expect((await store.findRun(input.record.id)).record).toEqual(input.record);
    rmSync(hook);
    expect(await store.push()).toMatchObject({ pushed: 1 });
    expect(remoteRunIds(origin)).toEqual([input.record.id]);
  });

  it('refuses with PushRejectedError when the remote does not exist', async () => {
    const { laptop, head } = setup();
    git(laptop, 'remote', 'set-url', 'origin', 'file:///nonexistent/ghml/origin.git');
    const store = await open(laptop);
    await store.writeRun(sampleInput(head));
    await expect(store.push()).rejects.toThrow(PushRejectedError);
    await expect(store.fetch()).rejects.toThrow(GitCommandError);
    expect(await store.unpushedRunIds()).toHaveLength(1);
  });

  it('delivers to the inbox when the branch cannot move, and a later fold puts it on the branch', async () => {
    const { origin, laptop, head } = setup();
    const other = await open(cloneRepo(origin));
    const first = sampleInput(head);
    await other.writeRun(first);
    await other.push();
    // A rule that refuses every update of the branch (as a protection rule would).
    const hook = join(origin, 'hooks', 'update');
    writeFileSync(
      hook,
      `#!/bin/sh\ncase "$1" in refs/heads/${BRANCH}) echo "branch is busy" >&2; exit 1;; esac\nexit 0\n`,
    );
    chmodSync(hook, 0o755);
    const store = await open(laptop);
    const input = sampleInput(head);
    await store.writeRun(input);
    const result = await store.push();
    expect(result).toMatchObject({ pushed: 1, delivered: 1, folded: 0 });
    expect(result.foldProblem).toContain('branch is busy');
    expect(await store.unpushedRunIds()).toEqual([]);
    expect(git(origin, 'for-each-ref', '--format=%(refname)', 'refs/ghml/inbox')).toBe(
      `refs/ghml/inbox/${BRANCH}/${input.record.id}`,
    );
    expect(remoteRunIds(origin)).toEqual([first.record.id]);
    // Any clone reads the delivered run before it is folded.
    const reader = await open(cloneRepo(origin, ['--depth', '1']));
    await reader.fetch();
    expect((await reader.listRuns()).map((r) => r.id)).toEqual(
      [first.record.id, input.record.id].sort(),
    );
    rmSync(hook);
    expect(await reader.fold()).toMatchObject({ folded: 1 });
    expect(remoteRunIds(origin)).toEqual([first.record.id, input.record.id].sort());
    expect(git(origin, 'for-each-ref', 'refs/ghml/inbox')).toBe('');
    expect(git(origin, 'fsck', '--strict', '--no-dangling')).toBe('');
    // Folding again finds nothing, and the laptop sees one copy of each run.
    expect(await store.fold()).toMatchObject({ folded: 0 });
    await store.fetch();
    expect((await store.listRuns()).map((r) => r.id)).toEqual(
      [first.record.id, input.record.id].sort(),
    );
  });

  it('works from a depth-1 detached CI checkout that never fetched the branch; a fresh depth-1 clone reads it', async () => {
    const { origin, laptop, head } = setup();
    const laptopStore = await open(laptop);
    const earlier = sampleInput(head);
    await laptopStore.writeRun(earlier);
    await laptopStore.push();

    const ci = cloneRepo(origin, ['--depth', '1']);
    git(ci, 'checkout', '-q', '--detach', head);
    expect(git(ci, 'for-each-ref', 'refs/remotes/origin/ghml')).toBe('');
    expect(git(ci, 'rev-parse', '--is-shallow-repository')).toBe('true');
    const ciStore = await open(ci);
    const input = sampleInput(head);
    await ciStore.writeRun(input);
    const result = await ciStore.push();
    expect(result).toMatchObject({ pushed: 1, attempts: 2 });
    expect(remoteRunIds(origin)).toEqual([earlier.record.id, input.record.id].sort());

    const reader = cloneRepo(origin, ['--depth', '1']);
    const readerStore = await open(reader);
    expect(await readerStore.fetch()).toBe(true);
    expect(git(reader, 'config', 'remote.origin.promisor')).toBe('true');
    const runs = await readerStore.listRuns();
    expect(runs.map((r) => r.id)).toEqual([earlier.record.id, input.record.id].sort());
    expect(runs[1]?.record).toEqual(input.record);
    expect(await readerStore.readMetrics(runs[1]!)).toEqual(samplePoints());
    expect((await readerStore.runsAtCommit(head)).map((r) => r.id)).toEqual(runs.map((r) => r.id));
  });

  it('fetch returns false when the remote has no tracking branch yet', async () => {
    const { laptop } = setup();
    const store = await open(laptop);
    expect(await store.fetch()).toBe(false);
    expect(await store.push()).toMatchObject({ pushed: 0 });
  });
});
