import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportRunRecord } from '../../../src/action/run-record-export.js';
import {
  DEFAULT_ARTIFACT_CAPS,
  readUntrustedRunArtifact,
} from '../../../src/action/untrusted-run-artifact.js';
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

describe('runAndRecord: what producer and importer agree on', () => {
  it('writes a pull_request run that the fork-safe importer accepts (matrix names such as python:version, a 250-character name)', async () => {
    const repo = makeRepo();
    const head = git(repo, 'rev-parse', 'HEAD');
    const payload = join(tempDir(), 'event.json');
    writeFileSync(
      payload,
      JSON.stringify({
        pull_request: { number: 5, head: { sha: head, ref: 'feature' }, base: { sha: head } },
      }),
    );
    const env = baseEnv({
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: payload,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '77',
      GHML_MATRIX: '{"python:version": "3.12", "os": "ubuntu-latest", "include": {"x": 1}}',
    });
    const result = await runAndRecord(
      {
        command: touchCommand(join(tempDir(), 'ran')),
        experiment: 'iris',
        name: 'n'.repeat(250),
        params: {},
        push: false,
      },
      { cwd: repo, env, log: () => undefined },
    );
    const store = openTrackingStore(await createGit(repo), {
      branch: 'ghml/runs',
      remote: 'origin',
      pushTimeoutMs: 1000,
    });
    const dir = tempDir();
    await exportRunRecord(store, result.record.id, dir);
    const imported = await readUntrustedRunArtifact(dir, {
      headSha: head,
      repository: 'o/r',
      serverUrl: 'https://github.com',
      caps: DEFAULT_ARTIFACT_CAPS,
    });
    expect(imported.prNumber).toBe(5);
    expect(imported.runs[0]?.record.github?.matrix).toEqual({
      include: '{"x":1}',
      os: 'ubuntu-latest',
      'python:version': '3.12',
    });
  });

  it.each([
    ['{"__proto__": "x"}', "'github.matrix' name '__proto__' is reserved"],
    [JSON.stringify({ k: 'v'.repeat(5001) }), "'github.matrix.k' must be a text of at most 5000"],
    ['not json', 'GHML_MATRIX must be a JSON object of matrix values'],
  ])('refuses GHML_MATRIX %s before the command runs', async (matrix, message) => {
    const repo = makeRepo();
    const marker = join(tempDir(), 'ran');
    await expect(
      runAndRecord(
        { command: touchCommand(marker), params: {}, push: false },
        { cwd: repo, env: baseEnv({ GHML_MATRIX: matrix }), log: () => undefined },
      ),
    ).rejects.toThrow(message);
    expect(existsSync(marker)).toBe(false);
  });

  it('keeps the seams pipelines use: tags and per-run params/metrics files', async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, 'stage.yaml'), 'depth: 4\n');
    const script = join(tempDir(), 'stage.cjs');
    writeFileSync(
      script,
      "require('node:fs').writeFileSync('stage-metrics.json', '{\"auc\": 0.75}');",
    );
    const result = await runAndRecord(
      {
        command: [process.execPath, script],
        experiment: 'pipe',
        params: {},
        push: false,
        tags: { 'ghml.pipeline.stage': 'train' },
        paramsFiles: ['stage.yaml'],
        metricsFiles: ['stage-metrics.json'],
      },
      { cwd: repo, env: baseEnv(), log: () => undefined },
    );
    expect(result.record.tags).toEqual({ 'ghml.pipeline.stage': 'train' });
    expect(result.record.params).toEqual({ depth: '4' });
    expect(result.record.metrics.auc?.value).toBe(0.75);
  });
});
