import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import { InvalidNameError } from '../../../src/tracking/ingest/ingest-errors.js';
import { runAndRecord } from '../../../src/tracking/run-session.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import { TEST_GIT_ENV, cleanupTempDirs, git, makeRepo, tempDir } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

/** A command that leaves a file behind, so a test can tell whether it ran. */
function touchCommand(file: string): string[] {
  return [process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(file)}, '')`];
}

function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...TEST_GIT_ENV, ...extra };
  for (const key of Object.keys(env)) {
    if (key.startsWith('GITHUB_') || key.startsWith('GHML_')) delete env[key];
  }
  return { ...env, ...extra };
}

describe('runAndRecord', () => {
  it('refuses an experiment name the tracking branch would refuse before the command runs', async () => {
    const repo = makeRepo();
    const marker = join(tempDir(), 'ran');
    await expect(
      runAndRecord(
        { command: touchCommand(marker), experiment: 'iris.lock', params: {}, push: false },
        { cwd: repo, env: baseEnv(), log: () => undefined },
      ),
    ).rejects.toThrow(InvalidNameError);
    expect(existsSync(marker)).toBe(false);
    expect(git(repo, 'for-each-ref', 'refs/heads/ghml')).toBe('');
  });

  it('records the run when the PR payload has odd field types, and the branch on push events', async () => {
    const repo = makeRepo();
    const head = git(repo, 'rev-parse', 'HEAD');
    const payload = join(tempDir(), 'event.json');
    // Fields of the wrong type must be ignored, not written into run.json (readers refuse them).
    writeFileSync(
      payload,
      JSON.stringify({ pull_request: { number: 1.5, head: { sha: head, ref: 42 }, base: null } }),
    );
    const actions = {
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: payload,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_RUN_ID: '7',
    };
    const marker = join(tempDir(), 'ran');
    const pr = await runAndRecord(
      { command: touchCommand(marker), experiment: 'iris', params: {}, push: false },
      { cwd: repo, env: baseEnv(actions), log: () => undefined },
    );
    expect(existsSync(marker)).toBe(true);
    expect(pr.record.source.commit).toBe(head);
    expect(pr.record.source.branch).toBe('main');
    expect(pr.record.github?.prNumber).toBeUndefined();

    // On push events the runner sets GITHUB_HEAD_REF to an empty string.
    const push = await runAndRecord(
      { command: touchCommand(marker), experiment: 'iris', params: {}, push: false },
      {
        cwd: repo,
        env: baseEnv({
          ...actions,
          GITHUB_EVENT_NAME: 'push',
          GITHUB_EVENT_PATH: '',
          GITHUB_HEAD_REF: '',
          GITHUB_REF_TYPE: 'branch',
          GITHUB_REF_NAME: 'main',
        }),
        log: () => undefined,
      },
    );
    expect(push.record.source.branch).toBe('main');

    const store = openTrackingStore(await createGit(repo), {
      branch: 'ghml/runs',
      remote: 'origin',
      pushTimeoutMs: 1000,
    });
    const runs = await store.listRuns();
    expect(runs.map((r) => r.id)).toEqual([pr.record.id, push.record.id]);
  });
});
