/**
 * The privileged report job's compare never skips a bad record silently: a malformed run.json
 * on the tracking branch becomes a warning annotation naming the file, and the comparison of
 * the readable runs goes on.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ActionIo } from '../../../src/action/action-io.js';
import { compareAction } from '../../../src/action/compare-action.js';
import { createGit } from '../../../src/git/git.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import { cleanupTempDirs, commitFile, git, makeRepo, tempDir } from '../../support/temp-repo.js';
import { newRunId, sampleInput } from '../tracking/fixtures/sample-run.js';

afterAll(cleanupTempDirs);

const BRANCH = 'ghml/runs';

function plant(repo: string, path: string, content: string): void {
  const ref = `refs/heads/${BRANCH}`;
  const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], {
    cwd: repo,
    input: content,
    encoding: 'utf8',
  }).trim();
  const env = { ...process.env, GIT_INDEX_FILE: join(tempDir(), 'index') };
  execFileSync('git', ['read-tree', ref], { cwd: repo, env });
  execFileSync('git', ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], {
    cwd: repo,
    env,
  });
  const tree = execFileSync('git', ['write-tree'], { cwd: repo, env, encoding: 'utf8' }).trim();
  git(repo, 'update-ref', ref, git(repo, 'commit-tree', tree, '-p', ref, '-m', 'planted'));
}

function recordingIo(): ActionIo & { warnings: string[]; outputs: Map<string, string> } {
  const warnings: string[] = [];
  const outputs = new Map<string, string>();
  return {
    warnings,
    outputs,
    info: () => undefined,
    warning: (message) => warnings.push(message),
    error: () => undefined,
    setOutput: (name, value) => outputs.set(name, value),
    saveState: () => undefined,
    setSecret: () => undefined,
    summary: undefined,
  };
}

describe('command: compare with a malformed run.json on the branch', () => {
  it('compares the readable runs and warns in the log, naming the file', async () => {
    const repo = makeRepo();
    const base = git(repo, 'rev-parse', 'HEAD');
    const head = commitFile(repo, 'train.py', 'print(1)\n');
    const store = openTrackingStore(await createGit(repo), {
      branch: BRANCH,
      remote: 'origin',
      pushTimeoutMs: 30_000,
    });
    const baseRun = sampleInput(base);
    const headRun = sampleInput(head);
    await store.writeRun(baseRun);
    await store.writeRun(headRun);
    const bad = `runs/iris/${head.slice(0, 2)}/${head.slice(2)}/${newRunId()}/run.json`;
    plant(repo, bad, '{"format": 2, "id": ');

    const io = recordingIo();
    const result = await compareAction(
      {
        command: 'compare',
        workingDirectory: repo,
        token: undefined,
        repository: '',
        event: { name: '', payload: {} },
        env: {},
        tempDir: undefined,
        base,
        head,
        experiments: [],
        comment: false,
        failOnRegression: false,
        includeUnfinished: false,
        allParams: false,
        fetch: false,
        runArtifact: undefined,
        commentAuthor: undefined,
      },
      io,
    );
    expect(result.experiments.flatMap((e) => e.runs.map((r) => [r.base?.id, r.head.id]))).toEqual([
      [baseRun.record.id, headRun.record.id],
    ]);
    expect(io.warnings).toHaveLength(1);
    expect(io.warnings[0]).toContain(`skipped 1 unreadable run record: ${bad}`);
  });
});
