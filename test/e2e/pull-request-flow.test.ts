/**
 * The whole PR flow through `node dist/action.js`, as the runner starts it: a baseline run on
 * main (push event), a PR opened (train on the merge checkout, then compare and comment from
 * a fresh checkout), then a second push to the PR that updates the same comment.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../support/github-emulator/index.js';
import { cleanupTempDirs } from '../support/temp-repo.js';
import {
  assertBundleBuilt,
  createRunnerJob,
  describeStep,
  ROOT,
  runActionStep,
  setupPython,
  type WorkflowContext,
} from './support/action-runner.js';
import {
  checkout,
  head,
  makeOrigin,
  pushPullRequest,
  remoteRuns,
  type Origin,
} from './support/git-scenario.js';
import { pullRequestPayload, pushPayload } from './support/webhook-payloads.js';

const REPO = 'octo-org/iris';
const [OWNER, NAME] = REPO.split('/') as [string, string];
const IRIS = join(ROOT, 'examples', 'iris');
const PARAMS = (trees: number) =>
  `n_estimators: ${trees}\nmax_depth: 5\nmin_samples_split: 2\ntest_size: 0.2\nrandom_state: 42\n`;

let gh: GitHubEmulator;
let origin: Origin;

beforeAll(() => assertBundleBuilt());
beforeEach(async () => {
  gh = await startGitHubEmulator();
  origin = makeOrigin({ 'params.yaml': PARAMS(10) }, IRIS);
});
afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});
afterAll(() => cleanupTempDirs());

function context(
  eventName: string,
  payload: object,
  sha: string,
  ref: string,
  token: string = TEST_TOKENS.actions,
): WorkflowContext {
  return { eventName, payload, repository: REPO, apiUrl: gh.url, token, sha, ref, matrix: null };
}

async function trainOnMain(): Promise<string> {
  const sha = head(origin, 'main');
  const job = createRunnerJob();
  const workspace = checkout(origin, sha, 'refs/heads/main');
  const ctx = context(
    'push',
    pushPayload({ repository: REPO, ref: 'refs/heads/main', before: '0'.repeat(40), after: sha }),
    sha,
    'refs/heads/main',
  );
  const result = await runActionStep({
    job,
    workspace,
    context: ctx,
    env: setupPython(job),
    inputs: { command: 'run', train: 'python train.py' },
  });
  expect(result.exitCode, describeStep(result)).toBe(0);
  return result.outputs['run-id'] ?? '';
}

async function trainAndCompare(
  pr: ReturnType<typeof pushPullRequest>,
  action: 'opened' | 'synchronize',
  before?: string,
) {
  gh.state.addPullRequest({
    owner: OWNER,
    repo: NAME,
    number: pr.number,
    head: { sha: pr.headSha, ref: pr.branch },
    base: { sha: pr.baseSha, ref: 'main' },
  });
  const payload = pullRequestPayload({
    action,
    number: pr.number,
    repository: REPO,
    headSha: pr.headSha,
    headRef: pr.branch,
    baseSha: pr.baseSha,
    ...(before ? { before } : {}),
  });
  const ref = `refs/pull/${pr.number}/merge`;
  const ctx = context('pull_request', payload, pr.mergeSha, ref);

  const trainJob = createRunnerJob();
  const train = await runActionStep({
    job: trainJob,
    workspace: checkout(origin, pr.mergeSha, ref),
    context: ctx,
    env: setupPython(trainJob),
    inputs: { command: 'run', train: 'python train.py' },
  });
  expect(train.exitCode, describeStep(train)).toBe(0);

  const compareJob = createRunnerJob();
  const compare = await runActionStep({
    job: compareJob,
    workspace: checkout(origin, pr.mergeSha, ref),
    context: { ...ctx, job: 'compare' },
    inputs: { command: 'compare' },
  });
  expect(compare.exitCode, describeStep(compare)).toBe(0);
  return { train, compare };
}

describe('a pull request trained, compared and commented through dist/action.js', () => {
  it('records runs at the PR head (not the merge commit), posts one comment and updates it on the next push', async () => {
    const baseRun = await trainOnMain();
    expect(remoteRuns(origin).has(baseRun)).toBe(true);

    const opened = pushPullRequest(origin, 7, 'more-trees', { 'params.yaml': PARAMS(20) });
    const first = await trainAndCompare(opened, 'opened');
    const headRun = remoteRuns(origin).get(first.train.outputs['run-id'] ?? '');
    expect(headRun).toBeDefined();
    expect((headRun?.['source'] as { commit: string }).commit).toBe(opened.headSha);
    expect((headRun?.['github'] as { prNumber: number }).prNumber).toBe(7);
    expect(first.train.outputs['run-status']).toBe('FINISHED');

    expect(first.compare.outputs['head-commit']).toBe(opened.headSha);
    expect(first.compare.outputs['base-commit']).toBe(opened.baseSha);
    expect(first.compare.outputs['pr-number']).toBe('7');
    expect(['improved', 'unchanged', 'regressed']).toContain(first.compare.outputs['verdict']);
    const comments = gh.state.commentsOn({ owner: OWNER, repo: NAME }, 7);
    expect(comments).toHaveLength(1);
    const firstBody = comments[0]?.body ?? '';
    expect(first.compare.outputs['comment-url']).toBe(
      `${gh.webUrl}/${REPO}/pull/7#issuecomment-${comments[0]?.id}`,
    );
    expect(comments[0]?.body).toContain('<!-- ghml:compare:iris -->');
    expect(comments[0]?.body).toContain('n\\_estimators');
    expect(first.compare.summary).toContain('accuracy');
    expect(
      gh.state.statusesFor({ owner: OWNER, repo: NAME }, opened.headSha).map((s) => s.context),
    ).toContain('ghml/iris');
    // The token is masked (::add-mask::) and appears nowhere else in the log.
    expect(first.compare.stdout).toContain(`::add-mask::${TEST_TOKENS.actions}`);
    for (const step of [first.train, first.compare]) {
      const log = (step.stdout + step.stderr).replace(/^::add-mask::.*$/gm, '');
      expect(log).not.toContain(TEST_TOKENS.actions);
    }

    const synchronized = pushPullRequest(origin, 7, 'more-trees', { 'params.yaml': PARAMS(30) });
    const second = await trainAndCompare(synchronized, 'synchronize', opened.headSha);
    const after = gh.state.commentsOn({ owner: OWNER, repo: NAME }, 7);
    expect(after).toHaveLength(1);
    expect(after[0]?.id).toBe(comments[0]?.id);
    expect(after[0]?.body).not.toBe(firstBody);
    expect(after[0]?.body).toContain(synchronized.headSha.slice(0, 7));
    expect(second.compare.outputs['comment-url']).toBe(first.compare.outputs['comment-url']);
    expect(second.compare.stdout).toContain('PR comment updated');
    expect(remoteRuns(origin).size).toBe(3);
  });
});
