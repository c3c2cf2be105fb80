/**
 * Runner behaviour around the action, through `node dist/action.js`: a 4-job matrix pushing
 * at once, a job cancelled mid-training (main step killed, then the post step with the state
 * the main step saved), a fork PR with a read-only token, and bad inputs and events.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  killProcessTree,
  ROOT,
  runActionStep,
  setupPython,
  startActionStep,
  type ActionStepResult,
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
import { pullRequestPayload, releasePublishedPayload } from './support/webhook-payloads.js';

const REPO = 'octo-org/iris';
const [OWNER, NAME] = REPO.split('/') as [string, string];
const IRIS = join(ROOT, 'examples', 'iris');

let gh: GitHubEmulator;
let origin: Origin;

beforeAll(() => assertBundleBuilt());
beforeEach(async () => {
  gh = await startGitHubEmulator();
  origin = makeOrigin({}, IRIS);
});
afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});
afterAll(() => cleanupTempDirs());

function prContext(
  pr: ReturnType<typeof pushPullRequest>,
  options: { fork?: boolean; token?: string } = {},
): WorkflowContext {
  const payload = pullRequestPayload({
    action: 'opened',
    number: pr.number,
    repository: REPO,
    headSha: pr.headSha,
    headRef: pr.branch,
    baseSha: pr.baseSha,
    ...(options.fork ? { headRepository: 'fork-user/iris' } : {}),
  });
  return {
    eventName: 'pull_request',
    payload,
    repository: REPO,
    apiUrl: gh.url,
    token: options.token ?? TEST_TOKENS.actions,
    sha: pr.mergeSha,
    ref: `refs/pull/${pr.number}/merge`,
    matrix: null,
  };
}

function errors(result: ActionStepResult): string[] {
  return result.annotations.filter((a) => a.level === 'error').map((a) => a.message);
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  // Bounded: 60 s at most, polling every 50 ms.
  for (let i = 0; i < 1200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('matrix jobs', () => {
  it('records all 4 runs of a matrix whose jobs push at the same time', async () => {
    const pr = pushPullRequest(origin, 3, 'sweep', { 'notes.txt': 'sweep\n' });
    const ctx = prContext(pr);
    const results = await Promise.all(
      [1, 2, 3, 4].map((seed) => {
        const job = createRunnerJob();
        return runActionStep({
          job,
          workspace: checkout(origin, pr.mergeSha, ctx.ref),
          context: { ...ctx, matrix: { seed } },
          env: setupPython(job),
          inputs: { command: 'run', train: 'python train.py' },
        });
      }),
    );
    for (const result of results) expect(result.exitCode, describeStep(result)).toBe(0);
    const runs = remoteRuns(origin);
    expect(runs.size).toBe(4);
    const seeds = [...runs.values()]
      .map((run) => (run['github'] as { matrix: { seed: string } }).matrix.seed)
      .sort();
    expect(seeds).toEqual(['1', '2', '3', '4']);
    expect(new Set(results.map((r) => r.outputs['run-id']))).toEqual(new Set(runs.keys()));
  });
});

describe('a cancelled job', () => {
  const TRAIN =
    "python -c \"import ghml_log, time; ghml_log.log_metric('loss', 0.5, step=1); ghml_log.flush(); print('training started', flush=True); time.sleep(120)\"";

  /** Starts the main step of a PR's training job and waits until training has begun. */
  async function startTraining(number: number, branch: string) {
    const pr = pushPullRequest(origin, number, branch, { 'notes.txt': `${branch}\n` });
    const ctx = prContext(pr);
    const job = createRunnerJob();
    const workspace = checkout(origin, pr.mergeSha, ctx.ref);
    const env = setupPython(job);
    const main = startActionStep({
      job,
      workspace,
      context: ctx,
      env,
      inputs: { command: 'run', train: TRAIN },
    });
    let seen = '';
    main.child.stdout?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    await waitFor(() => seen.includes('training started'), 'the training to start');
    return { pr, ctx, job, workspace, env, main };
  }

  it('records the run as KILLED in the post step when the main step is SIGKILLed mid-training', async () => {
    const { pr, ctx, job, workspace, env, main } = await startTraining(4, 'cancel-me');
    // The runner's last resort on cancel: kill the step's whole process tree.
    killProcessTree(main.child.pid as number, 'SIGKILL');
    const killed = await main.result;
    expect(killed.signal).toBe('SIGKILL');
    expect(remoteRuns(origin).size).toBe(0);
    expect(killed.state['isPost']).toBe('true');
    expect(killed.state['phase']).toBe('training');

    const post = await runActionStep({
      job,
      workspace,
      context: ctx,
      env,
      inputs: { command: 'run', train: TRAIN },
      postState: killed.state,
    });
    expect(post.exitCode, describeStep(post)).toBe(0);
    const runs = [...remoteRuns(origin).values()];
    expect(runs).toHaveLength(1);
    expect(runs[0]?.['status']).toBe('KILLED');
    expect(Object.keys(runs[0]?.['metrics'] as object)).toEqual(['loss']);
    expect((runs[0]?.['source'] as { commit: string }).commit).toBe(pr.headSha);
    expect(
      post.annotations.some((a) => a.level === 'warning' && a.title === 'ghml: run KILLED'),
    ).toBe(true);

    // A second post step (or one after a clean run) finds nothing more to record.
    const again = await runActionStep({
      job,
      workspace,
      context: ctx,
      env,
      inputs: { command: 'run', train: TRAIN },
      postState: killed.state,
    });
    expect(again.exitCode).toBe(0);
    expect(remoteRuns(origin).size).toBe(1);
  });

  it('records the run as KILLED itself on SIGTERM, leaving nothing to the post step', async () => {
    const { ctx, job, workspace, env, main } = await startTraining(5, 'term-me');
    main.child.kill('SIGTERM');
    const stopped = await main.result;
    expect(stopped.exitCode).toBe(1);
    expect(stopped.outputs['run-status']).toBe('KILLED');
    expect(stopped.state['phase']).toBe('done');
    const post = await runActionStep({
      job,
      workspace,
      context: ctx,
      env,
      inputs: { command: 'run', train: TRAIN },
      postState: stopped.state,
    });
    expect(post.exitCode).toBe(0);
    const runs = [...remoteRuns(origin).values()];
    expect(runs.map((run) => run['status'])).toEqual(['KILLED']);
  });
});

describe("the training script's environment", () => {
  it('holds neither the action inputs (INPUT_TOKEN) nor the runner tokens', async () => {
    const pr = pushPullRequest(origin, 12, 'env-check', { 'notes.txt': 'env\n' });
    const ctx = prContext(pr);
    const job = createRunnerJob();
    const seen = join(job.temp, 'seen-env.txt');
    const result = await runActionStep({
      job,
      workspace: checkout(origin, pr.mergeSha, ctx.ref),
      context: ctx,
      env: {
        ...setupPython(job),
        ACTIONS_RUNTIME_TOKEN: 'runtime-token-value',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-token-value',
        GITHUB_TOKEN: ctx.token,
      },
      inputs: { command: 'run', train: `env > '${seen}'`, push: 'false' },
    });
    expect(result.exitCode, describeStep(result)).toBe(0);
    const env = readFileSync(seen, 'utf8');
    expect(env).toMatch(/^GHML_EVENTS=/m);
    expect(env).not.toMatch(/^INPUT_/m);
    expect(env).not.toMatch(/^ACTIONS_/m);
    expect(env).not.toContain(ctx.token);
    expect(env).not.toContain('runtime-token-value');
    expect(env).not.toContain('oidc-token-value');
  });
});

describe('a run the remote refuses', () => {
  it('fails the step after writing the record to record-dir, unless fail-on-push-error is false', async () => {
    const pr = pushPullRequest(origin, 14, 'frozen', { 'notes.txt': 'frozen\n' });
    writeFileSync(
      join(origin.bare, 'hooks', 'pre-receive'),
      '#!/bin/sh\necho "pushes are frozen today" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const ctx = prContext(pr);
    const job = createRunnerJob();
    const recordDir = join(job.temp, 'ghml-run');
    const failed = await runActionStep({
      job,
      workspace: checkout(origin, pr.mergeSha, ctx.ref),
      context: ctx,
      env: setupPython(job),
      inputs: { command: 'run', train: 'python train.py', 'record-dir': recordDir },
    });
    expect(failed.exitCode, describeStep(failed)).toBe(1);
    const runId = failed.outputs['run-id'] as string;
    expect(errors(failed).join('\n')).toContain(`Run ${runId} was recorded but not pushed`);
    expect(errors(failed).join('\n')).toContain('pushes are frozen today');
    expect(readdirSync(recordDir)).toEqual([runId]);
    expect(remoteRuns(origin).size).toBe(0);

    const lenient = await runActionStep({
      job: createRunnerJob(),
      workspace: checkout(origin, pr.mergeSha, ctx.ref),
      context: ctx,
      env: setupPython(job),
      inputs: { command: 'run', train: 'python train.py', 'fail-on-push-error': 'false' },
    });
    expect(lenient.exitCode, describeStep(lenient)).toBe(0);
    expect(lenient.annotations.some((a) => a.level === 'warning')).toBe(true);
  });
});

describe('a fork pull request', () => {
  it('with a read-only token: writes the summary, skips the comment with a one-line note, exits 0', async () => {
    const pr = pushPullRequest(origin, 11, 'fork-branch', { 'notes.txt': 'from a fork\n' });
    gh.state.addPullRequest({
      owner: OWNER,
      repo: NAME,
      number: 11,
      head: { sha: pr.headSha, ref: pr.branch, repo: 'fork-user/iris' },
      base: { sha: pr.baseSha, ref: 'main' },
    });
    const ctx = prContext(pr, { fork: true, token: TEST_TOKENS.readOnly });
    const job = createRunnerJob();
    const workspace = checkout(origin, pr.mergeSha, ctx.ref);
    const env = setupPython(job);
    const train = await runActionStep({
      job,
      workspace,
      context: ctx,
      env,
      inputs: { command: 'run', train: 'python train.py', push: 'false' },
    });
    expect(train.exitCode, describeStep(train)).toBe(0);
    const compare = await runActionStep({
      job,
      workspace,
      context: ctx,
      inputs: { command: 'compare' },
    });
    expect(compare.exitCode, describeStep(compare)).toBe(0);
    expect(compare.summary).toContain('accuracy');
    const notes = compare.stdout
      .split('\n')
      .filter((line) => line.includes('skipped the PR comment'));
    expect(notes).toHaveLength(1);
    expect(compare.outputs['comment-url']).toBe('');
    expect(gh.state.commentsOn({ owner: OWNER, repo: NAME }, 11)).toHaveLength(0);
    expect(remoteRuns(origin).size).toBe(0);
  });
});

describe('bad inputs and events', () => {
  async function step(
    inputs: Record<string, string>,
    eventName = 'push',
    payload: object = {},
  ): Promise<ActionStepResult> {
    const job = createRunnerJob();
    const workspace = checkout(origin, head(origin, 'main'), 'refs/heads/main');
    return runActionStep({
      job,
      workspace,
      context: {
        eventName,
        payload,
        repository: REPO,
        apiUrl: gh.url,
        token: TEST_TOKENS.actions,
        sha: 'x',
        ref: 'refs/heads/main',
      },
      inputs,
    });
  }

  it('rejects an unknown command, listing the commands', async () => {
    const result = await step({ command: 'train' });
    expect(result.exitCode).toBe(1);
    expect(errors(result).join('\n')).toContain("Unknown command 'train'");
    expect(errors(result).join('\n')).toContain('run, compare, register, promote, deploy');
  });

  it('names a missing required input', async () => {
    const result = await step({ command: 'run' });
    expect(result.exitCode).toBe(1);
    expect(errors(result).join('\n')).toContain("Input 'train' is required for command 'run'");
    expect(remoteRuns(origin).size).toBe(0);
  });

  it('rejects an event of the wrong type, listing the supported ones', async () => {
    const result = await step(
      { command: 'compare' },
      'release',
      releasePublishedPayload({ repository: REPO, tag: 'iris@v1.0.0' }),
    );
    expect(result.exitCode).toBe(1);
    const message = errors(result).join('\n');
    expect(message).toContain("Command 'compare' does not run on 'release' events");
    expect(message).toContain('pull_request, push, workflow_dispatch');
  });

  it('refuses to train on pull_request_target, saying why', async () => {
    const result = await step(
      { command: 'run', train: 'echo pwned > pwned.txt' },
      'pull_request_target',
    );
    expect(result.exitCode).toBe(1);
    expect(errors(result).join('\n')).toContain('pull_request_target');
    expect(result.stdout).not.toContain('ghml: run ');
  });

  it('fails a deploy of a model with no version, saying how to register one', async () => {
    const result = await step(
      { command: 'deploy', model: 'iris', stage: 'prod', 'dry-run': 'true' },
      'workflow_dispatch',
    );
    expect(result.exitCode).toBe(1);
    expect(errors(result).join('\n')).toMatch(/not in the registry[\s\S]*ghml model register iris/);
  });
});
