/**
 * `ghml compare --comment` through the built CLI against the GitHub emulator: the sticky
 * comment, the commit status, the job summary, the API-call budget, and a fork PR's
 * read-only token.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, commitFile, makeRepo, tempDir } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

let gh: GitHubEmulator;
beforeEach(async () => {
  gh = await startGitHubEmulator();
});
afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});

const REPO = { owner: 'acme', repo: 'models' };
const CONFIG =
  'experiments:\n  iris:\n    metrics:\n      accuracy: { direction: max, threshold: 1% }\n';

async function train(repo: string, accuracy: number): Promise<void> {
  const script = join(repo, 'train.sh');
  writeFileSync(script, `#!/bin/sh\nnode "$GHML_CLI" log metric accuracy ${accuracy}\n`);
  chmodSync(script, 0o755);
  const env = ghmlEnv({ GHML_CLI: join(process.cwd(), 'dist/cli.js') });
  const result = await runGhml(['run', '-e', 'iris', '--no-push', '--', './train.sh'], {
    cwd: repo,
    env,
  });
  expect(result.code).toBe(0);
}

/** A repository with a run on the base commit and one on the PR head. */
async function pullRequest(baseAccuracy: number, headAccuracy: number) {
  const repo = makeRepo();
  const base = commitFile(repo, 'ghml.yml', CONFIG);
  await train(repo, baseAccuracy);
  const head = commitFile(repo, 'model.txt', 'a change\n');
  await train(repo, headAccuracy);
  gh.state.addPullRequest({
    ...REPO,
    number: 7,
    head: { sha: head, ref: 'feature' },
    base: { sha: base, ref: 'main' },
  });
  const eventPath = join(tempDir(), 'event.json');
  writeFileSync(
    eventPath,
    JSON.stringify({
      action: 'opened',
      number: 7,
      pull_request: {
        number: 7,
        head: { sha: head, ref: 'feature', repo: { full_name: 'acme/models' } },
        base: { sha: base, ref: 'main', repo: { full_name: 'acme/models' } },
      },
    }),
  );
  const summary = join(tempDir(), 'summary.md');
  writeFileSync(summary, '');
  return { repo, base, head, eventPath, summary };
}

function actionsEnv(pr: { eventPath: string; summary: string }, token: string) {
  return ghmlEnv({
    GITHUB_API_URL: gh.url,
    GITHUB_TOKEN: token,
    GITHUB_REPOSITORY: 'acme/models',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: pr.eventPath,
    GITHUB_STEP_SUMMARY: pr.summary,
  });
}

describe('ghml compare --comment', () => {
  it('posts one sticky comment and a status, then updates the same comment on the next push', async () => {
    const pr = await pullRequest(0.9, 0.95);
    const env = actionsEnv(pr, TEST_TOKENS.actions);
    const first = await runGhml(['compare', '--comment', '--no-fetch', '--fail-on-regression'], {
      cwd: pr.repo,
      env,
    });
    expect(first.stderr).toContain('PR comment created');
    expect(first.code).toBe(0);
    expect(first.stderr).not.toContain(TEST_TOKENS.actions);

    const comments = gh.state.commentsOn(REPO, 7);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('<!-- ghml:compare:iris -->');
    expect(comments[0]?.body).toMatch(/\| accuracy \| 0\.9000 \| 0\.9500 \|/);
    expect(gh.state.statusesFor(REPO, pr.head)[0]).toMatchObject({
      context: 'ghml/iris',
      state: 'success',
    });
    expect(readFileSync(pr.summary, 'utf8')).toContain('accuracy');
    // The budget: one page walk, one write, one status (and GET /user to learn our login);
    // creating adds one `since`-filtered check that settles a create-create race.
    expect(gh.requests.count('GET /repos/{owner}/{repo}/issues/{issue_number}/comments')).toBe(2);
    expect(gh.requests.count('POST /repos/{owner}/{repo}/issues/{issue_number}/comments')).toBe(1);
    expect(gh.requests.count('POST /repos/{owner}/{repo}/statuses/{sha}')).toBe(1);
    expect(gh.requests.writes()).toHaveLength(2);

    // Unchanged: no comment write at all.
    gh.requests.clear();
    const again = await runGhml(['compare', '--comment', '--no-fetch'], { cwd: pr.repo, env });
    expect(again.stderr).toContain('PR comment unchanged');
    expect(gh.requests.count('GET /repos/{owner}/{repo}/issues/{issue_number}/comments')).toBe(1);
    expect(gh.requests.count('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}')).toBe(0);

    // A new push that regresses: the same comment is updated, the status fails, exit 1.
    const head2 = commitFile(pr.repo, 'model.txt', 'a worse change\n');
    await train(pr.repo, 0.5);
    const event = JSON.parse(readFileSync(pr.eventPath, 'utf8')) as {
      action: string;
      pull_request: { head: { sha: string } };
    };
    event.action = 'synchronize';
    event.pull_request.head.sha = head2;
    writeFileSync(pr.eventPath, JSON.stringify(event));
    const third = await runGhml(['compare', '--comment', '--no-fetch', '--fail-on-regression'], {
      cwd: pr.repo,
      env,
    });
    expect(third.code).toBe(1);
    expect(third.stderr).toContain('PR comment updated');
    const after = gh.state.commentsOn(REPO, 7);
    expect(after).toHaveLength(1);
    expect(after[0]?.id).toBe(comments[0]?.id);
    expect(after[0]?.body).toContain('regressed');
    expect(gh.state.statusesFor(REPO, head2)[0]).toMatchObject({
      context: 'ghml/iris',
      state: 'failure',
    });
  });

  it('on a fork PR (read-only token) writes the summary, skips the comment with a note, and succeeds', async () => {
    const pr = await pullRequest(0.9, 0.95);
    const result = await runGhml(['compare', '--comment', '--no-fetch'], {
      cwd: pr.repo,
      env: actionsEnv(pr, TEST_TOKENS.readOnly),
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/skipped the PR comment and status: the token cannot write/);
    expect(gh.state.commentsOn(REPO, 7)).toHaveLength(0);
    expect(readFileSync(pr.summary, 'utf8')).toContain('accuracy');
  });

  it('says so and exits 0 when there is no baseline', async () => {
    const repo = makeRepo();
    commitFile(repo, 'ghml.yml', CONFIG);
    await train(repo, 0.9);
    const result = await runGhml(['compare', '--no-fetch', '--fail-on-regression'], { cwd: repo });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/no baseline/i);
  });

  it('fails with a hint when HEAD has no run', async () => {
    const repo = makeRepo();
    const result = await runGhml(['compare', '--no-fetch'], { cwd: repo });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ghml run/);
  });
});
