/**
 * A run created through `ghml server`'s REST API records the commit HEAD pointed at and the
 * work tree's dirty state when the run was created (tracked files only, as `ghml run` does), not
 * when it ended: a commit or an edit made while the run is open changes neither.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RunSource } from '../../../src/tracking/run-record.js';
import { cleanupTempDirs, commitFile, git, makeRepo } from '../../support/temp-repo.js';
import { startServerFixture, type ServerFixture } from './fixtures/mlflow-repo.js';

afterAll(cleanupTempDirs);

let fixture: ServerFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

/** A repository whose HEAD commit has a tracked file, train.py. */
function repoWithTrainingCode(): { repo: string; commit: string } {
  const repo = makeRepo();
  const commit = commitFile(repo, 'train.py', 'print("train")\n', 'training code');
  return { repo, commit };
}

async function createRun(f: ServerFixture): Promise<string> {
  const reply = await f.client.post('runs/create', { experiment_id: '0', start_time: Date.now() });
  expect(reply.status, reply.text).toBe(200);
  return (reply.json?.run as { info: { run_id: string } }).info.run_id;
}

async function endRun(f: ServerFixture, runId: string): Promise<void> {
  const reply = await f.client.post('runs/update', {
    run_id: runId,
    status: 'FINISHED',
    end_time: Date.now(),
  });
  expect(reply.status, reply.text).toBe(200);
}

async function recordedSource(f: ServerFixture, runId: string): Promise<RunSource> {
  const run = await f.store.findRun(runId);
  expect(run.id).toBe(runId);
  return run.record.source;
}

describe('ghml server records where a run trained', () => {
  it('a clean work tree: the HEAD commit at creation, not dirty', async () => {
    const { repo, commit } = repoWithTrainingCode();
    fixture = await startServerFixture({ repo });
    const id = await createRun(fixture);
    await endRun(fixture, id);
    expect(await recordedSource(fixture, id)).toEqual({ commit, branch: 'main', dirty: false });
  });

  it('a modified tracked file at creation: dirty', async () => {
    const { repo, commit } = repoWithTrainingCode();
    fixture = await startServerFixture({ repo });
    writeFileSync(join(repo, 'train.py'), 'print("train harder")\n');
    const id = await createRun(fixture);
    await endRun(fixture, id);
    expect(await recordedSource(fixture, id)).toEqual({ commit, branch: 'main', dirty: true });
  });

  it('an untracked file does not make the tree dirty', async () => {
    const { repo, commit } = repoWithTrainingCode();
    fixture = await startServerFixture({ repo });
    writeFileSync(join(repo, 'notes.txt'), 'scratch\n');
    const id = await createRun(fixture);
    await endRun(fixture, id);
    expect(await recordedSource(fixture, id)).toEqual({ commit, branch: 'main', dirty: false });
  });

  it('the state at creation holds: a tracked file modified while the run is open is not recorded as dirty', async () => {
    const { repo, commit } = repoWithTrainingCode();
    fixture = await startServerFixture({ repo });
    const id = await createRun(fixture);
    writeFileSync(join(repo, 'train.py'), 'print("edited mid-run")\n');
    await endRun(fixture, id);
    expect(await recordedSource(fixture, id)).toEqual({ commit, branch: 'main', dirty: false });
  });

  it('a commit made while the run is open does not change the recorded commit', async () => {
    const { repo, commit } = repoWithTrainingCode();
    fixture = await startServerFixture({ repo });
    writeFileSync(join(repo, 'train.py'), 'print("uncommitted at creation")\n');
    const id = await createRun(fixture);
    const later = commitFile(repo, 'train.py', 'print("committed mid-run")\n', 'mid-run');
    expect(later).not.toBe(commit);
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(later);
    // A run created after the commit trains on the new HEAD, with a clean tree.
    const next = await createRun(fixture);
    await endRun(fixture, id);
    await endRun(fixture, next);
    expect(await recordedSource(fixture, id)).toEqual({ commit, branch: 'main', dirty: true });
    expect(await recordedSource(fixture, next)).toEqual({
      commit: later,
      branch: 'main',
      dirty: false,
    });
  });
});
