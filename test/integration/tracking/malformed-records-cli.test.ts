/**
 * One malformed run.json (or summary entry) on the tracking branch never stops a command: the
 * CLI lists, shows, compares and builds the report from the other runs, and says once which
 * files it skipped. The bad records are written with git plumbing, as a fork or a broken tool
 * could push them, into the open bucket and into a sealed segment.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import {
  cleanupTempDirs,
  cloneRepo,
  commitFile,
  git,
  makeBareRemote,
  makeRepo,
  tempDir,
} from '../../support/temp-repo.js';
import { newRunId, sampleInput } from './fixtures/sample-run.js';

afterAll(cleanupTempDirs);

const BRANCH = 'ghml/runs';

function plant(repo: string, path: string, content: string, ref = `refs/heads/${BRANCH}`): void {
  const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], {
    cwd: repo,
    input: content,
    encoding: 'utf8',
  }).trim();
  const index = join(tempDir(), 'index');
  const env = { ...process.env, GIT_INDEX_FILE: index };
  execFileSync('git', ['read-tree', ref], { cwd: repo, env });
  execFileSync('git', ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], {
    cwd: repo,
    env,
  });
  const tree = execFileSync('git', ['write-tree'], { cwd: repo, env, encoding: 'utf8' }).trim();
  const commit = git(repo, 'commit-tree', tree, '-p', ref, '-m', 'planted by a test');
  git(repo, 'update-ref', ref, commit);
}

let clone: string;
let base: string;
let head: string;
let good: string[];
let badFiles: string[];
let segment: string;

beforeAll(async () => {
  const origin = makeBareRemote();
  const repo = makeRepo();
  git(repo, 'remote', 'add', 'origin', `file://${origin}`);
  base = git(repo, 'rev-parse', 'HEAD');
  head = commitFile(repo, 'train.py', 'print(1)\n');
  git(repo, 'push', '-q', 'origin', 'main');
  const store = openTrackingStore(await createGit(repo), {
    branch: BRANCH,
    remote: 'origin',
    pushTimeoutMs: 30_000,
    sealAt: 3,
  });
  // Three runs at the base get sealed into segment 000001; two at head stay open.
  const inputs = [base, base, base, head, head].map((c) => sampleInput(c));
  for (const input of inputs) await store.writeRun(input);
  segment = git(repo, 'ls-tree', '--name-only', BRANCH, 'segments/');
  expect(segment).toMatch(/^segments\/000001-/);
  // The middle sealed run gets a start time no Date holds.
  const summary = JSON.parse(
    git(repo, 'show', `${BRANCH}:${segment}/summary-0.json`),
  ) as unknown[][];
  (summary[3] as unknown[][])[1]![6] = 1e300;
  plant(repo, `${segment}/summary-0.json`, JSON.stringify(summary));
  // Three malformed records in the open bucket at head.
  const dir = `runs/iris/${head.slice(0, 2)}/${head.slice(2)}`;
  badFiles = [newRunId(), newRunId(), newRunId()].map((id) => `${dir}/${id}/run.json`);
  plant(repo, badFiles[0]!, '{"format": 2, "id": ');
  plant(repo, badFiles[1]!, JSON.stringify({ ...inputs[3]!.record, startTime: -8.64e15 - 1 }));
  plant(repo, badFiles[2]!, '[]');
  git(repo, 'push', '-q', 'origin', BRANCH);
  good = inputs.filter((_, i) => i !== 1).map((i) => i.record.id);
  clone = cloneRepo(origin);
});

/** The warning lines of a command's stderr. */
function warnings(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('ghml: warning:'));
}

function expectOneRecordWarning(stderr: string): void {
  const lines = warnings(stderr).filter((l) => l.includes('unreadable run record'));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toContain('skipped 3 unreadable run records');
  for (const file of badFiles) expect(lines[0]).toContain(file);
}

describe('a malformed run.json on the branch', () => {
  it('ghml runs list lists the other runs and warns once, naming the files', async () => {
    const result = await runGhml(['runs', 'list', '--json'], { cwd: clone, env: ghmlEnv() });
    expect(result.code, result.stderr).toBe(0);
    const listed = (JSON.parse(result.stdout) as Array<{ id: string }>).map((r) => r.id);
    expect(listed.sort()).toEqual([...good].sort());
    expectOneRecordWarning(result.stderr);
    expect(warnings(result.stderr)).toContain(
      `ghml: warning: skipped 1 unreadable run summaries in ${segment}/summary-0.json`,
    );
  });

  it('ghml runs show shows a run of the damaged segment and names the damaged file', async () => {
    const result = await runGhml(['runs', 'show', good[0]!, '--json'], {
      cwd: clone,
      env: ghmlEnv(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(good[0]);
    expect(warnings(result.stderr)).toContain(
      `ghml: warning: skipped 1 unreadable run summaries in ${segment}/summary-0.json`,
    );
  });

  it('ghml compare compares the readable runs and warns', async () => {
    const result = await runGhml(
      ['compare', '--base', base, '--head', head, '--format', 'json', '--no-fetch'],
      { cwd: clone, env: ghmlEnv() },
    );
    expect(result.code, result.stderr).toBe(0);
    // The latest readable run of each side is compared; the base side is in the damaged segment.
    const ids = [...result.stdout.matchAll(/"id": "([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toEqual([good[3], good[1]]);
    expect(warnings(result.stderr)).toContain(
      `ghml: warning: skipped 1 unreadable run summaries in ${segment}/summary-0.json`,
    );
    expectOneRecordWarning(result.stderr);
  });

  it('ghml report build builds the site from the readable runs and warns', async () => {
    const out = join(tempDir(), 'site');
    const result = await runGhml(['report', 'build', '-o', out, '--no-fetch', '--json'], {
      cwd: clone,
      env: ghmlEnv(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expectOneRecordWarning(result.stderr);
    expect(warnings(result.stderr)).toContain(
      `ghml: warning: skipped 1 unreadable run summaries in ${segment}/summary-0.json`,
    );
  });
});
