/**
 * The two-workflow pattern through `node dist/action.js`: a fork PR trains with a read-only
 * token and writes its run record for upload (train-fork-safe.yml); the workflow_run side
 * (report.yml) validates the downloaded record, pushes it and comments. Tampered artifacts
 * are rejected with nothing written: no run on the branch, no comment, no status.
 */
import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../support/github-emulator/index.js';
import { cleanupTempDirs, git, tempDir } from '../support/temp-repo.js';
import {
  assertBundleBuilt,
  createRunnerJob,
  describeStep,
  ROOT,
  runActionStep,
  setupPython,
  type ActionStepResult,
} from './support/action-runner.js';
import {
  checkout,
  head,
  makeOrigin,
  pushPullRequest,
  pushToMain,
  remoteRuns,
  type Origin,
  type PullRequestCommits,
} from './support/git-scenario.js';
import { pullRequestPayload, workflowRunPayload } from './support/webhook-payloads.js';

const REPO = 'octo-org/iris';
const FORK = 'fork-user/iris';
const [OWNER, NAME] = REPO.split('/') as [string, string];

let gh: GitHubEmulator;
let origin: Origin;
let pr: PullRequestCommits;
/** The run record the fork's pull_request workflow uploaded (a pristine copy). */
let uploaded: string;
let runId: string;

beforeAll(async () => {
  assertBundleBuilt();
  gh = await startGitHubEmulator();
  origin = makeOrigin({}, join(ROOT, 'examples', 'iris'));
  pr = pushPullRequest(origin, 21, 'fork-branch', { 'notes.txt': 'from a fork\n' });
  const job = createRunnerJob();
  const ref = `refs/pull/${pr.number}/merge`;
  const train = await runActionStep({
    job,
    workspace: checkout(origin, pr.mergeSha, ref),
    context: {
      eventName: 'pull_request',
      payload: pullRequestPayload({
        action: 'opened',
        number: 21,
        repository: REPO,
        headSha: pr.headSha,
        headRef: pr.branch,
        baseSha: pr.baseSha,
        headRepository: FORK,
      }),
      repository: REPO,
      apiUrl: gh.url,
      token: TEST_TOKENS.readOnly,
      sha: pr.mergeSha,
      ref,
      matrix: { config: 'default' },
    },
    env: setupPython(job),
    inputs: {
      command: 'run',
      train: 'python train.py',
      push: 'false',
      'record-dir': `${job.temp}/ghml-run`,
    },
  });
  expect(train.exitCode, describeStep(train)).toBe(0);
  runId = train.outputs['run-id'] ?? '';
  uploaded = join(job.temp, 'ghml-run');
  expect(readdirSync(uploaded)).toEqual([runId]);
  expect(remoteRuns(origin).size).toBe(0);
});
beforeEach(() => {
  gh.state.addPullRequest({
    owner: OWNER,
    repo: NAME,
    number: 21,
    head: { sha: pr.headSha, ref: pr.branch, repo: FORK },
    base: { sha: pr.baseSha, ref: 'main' },
  });
});
afterEach(() => gh.assertNoViolations());
afterAll(async () => {
  await gh.close();
  cleanupTempDirs();
});

/** "Downloads" the artifact: a copy the test may tamper with. */
function download(): { dir: string; run: string } {
  const dir = tempDir('ghml-download-');
  cpSync(uploaded, dir, { recursive: true });
  return { dir, run: join(dir, runId) };
}

function editRunJson(run: string, edit: (record: Record<string, unknown>) => void): void {
  const record = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as Record<string, unknown>;
  edit(record);
  writeFileSync(join(run, 'run.json'), JSON.stringify(record, null, 2));
}

async function report(dir: string, options: { listed?: number[] } = {}): Promise<ActionStepResult> {
  const job = createRunnerJob();
  const main = head(origin, 'main');
  const payload = workflowRunPayload({
    repository: REPO,
    headSha: pr.headSha,
    headBranch: pr.branch,
    headRepository: FORK,
    pullRequests: (options.listed ?? []).map((number) => ({
      number,
      headSha: pr.headSha,
      baseSha: pr.baseSha,
    })),
  });
  return runActionStep({
    job,
    workspace: checkout(origin, main, 'refs/heads/main'),
    context: {
      eventName: 'workflow_run',
      payload,
      repository: REPO,
      apiUrl: gh.url,
      token: TEST_TOKENS.actions,
      sha: main,
      ref: 'refs/heads/main',
      workflow: 'report',
      job: 'report',
    },
    inputs: { command: 'compare', 'run-artifact': dir },
  });
}

function tip(): string {
  try {
    return git(origin.bare, 'rev-parse', 'refs/heads/ghml/runs');
  } catch {
    return 'none';
  }
}

describe('report.yml: the workflow_run side', () => {
  it.each<
    [string, (download: { dir: string; run: string }) => void, string, { listed?: number[] }?]
  >([
    [
      'an oversized artifact file',
      ({ run }) => {
        const data = Buffer.alloc(1536 * 1024, 1);
        mkdirSync(join(run, 'artifacts'), { recursive: true });
        writeFileSync(join(run, 'artifacts', 'big.bin'), data);
        editRunJson(run, (r) => {
          r['artifacts'] = [
            {
              path: 'big.bin',
              size: data.length,
              sha256: createHash('sha256').update(data).digest('hex'),
              stored: true,
            },
          ];
        });
      },
      'over the limit',
    ],
    [
      'a bad schema',
      ({ run }) => editRunJson(run, (r) => (r['status'] = 'DONE')),
      "'status' must be",
    ],
    [
      'a non-JSON run.json',
      ({ run }) => writeFileSync(join(run, 'run.json'), '{"format": 1,'),
      'not valid JSON',
    ],
    [
      'an artifact path with traversal',
      ({ run }) =>
        editRunJson(
          run,
          (r) =>
            (r['artifacts'] = [
              {
                path: '../../.github/workflows/pwn.yml',
                size: 1,
                sha256: 'a'.repeat(64),
                stored: false,
              },
            ]),
        ),
      "must not contain '..' segments",
    ],
    [
      'a traversal experiment name',
      ({ run }) => editRunJson(run, (r) => (r['experiment'] = '../main')),
      'experiment',
    ],
    [
      'a symbolic link out of the artifact',
      ({ run }) => {
        mkdirSync(join(run, 'artifacts'), { recursive: true });
        symlinkSync('/etc/passwd', join(run, 'artifacts', 'passwd'));
      },
      'is a symbolic link',
    ],
    [
      'a stray file',
      ({ dir }) => writeFileSync(join(dir, 'evil.sh'), 'rm -rf /'),
      "unexpected entry 'evil.sh'",
    ],
    [
      'a run that trained on another commit',
      ({ run }) =>
        editRunJson(
          run,
          (r) => ((r['source'] as Record<string, unknown>)['commit'] = 'b'.repeat(40)),
        ),
      'trained on commit',
    ],
    [
      'a PR number that does not match the workflow run',
      ({ run }) =>
        editRunJson(run, (r) => ((r['github'] as Record<string, unknown>)['prNumber'] = 7)),
      'pull request #7',
    ],
    [
      'a PR number GitHub lists differently',
      ({ run }) =>
        editRunJson(run, (r) => ((r['github'] as Record<string, unknown>)['prNumber'] = 22)),
      'belongs to #21',
      { listed: [21] },
    ],
  ])('rejects %s and writes nothing', async (_name, tamper, message, options) => {
    const before = tip();
    const artifact = download();
    tamper(artifact);
    const result = await report(artifact.dir, options);
    expect(result.exitCode, describeStep(result)).toBe(1);
    const error = result.annotations
      .filter((a) => a.level === 'error')
      .map((a) => a.message)
      .join('\n');
    expect(error).toContain('Rejected the run artifact');
    expect(error).toContain(message);
    expect(error).toContain('Nothing was written');
    expect(tip()).toBe(before);
    expect(remoteRuns(origin).has(runId)).toBe(false);
    expect(gh.state.commentsOn({ owner: OWNER, repo: NAME }, 21)).toHaveLength(0);
    expect(gh.state.statusesFor({ owner: OWNER, repo: NAME }, pr.headSha)).toHaveLength(0);
    rmSync(artifact.dir, { recursive: true, force: true });
  });

  it('accepts the untouched artifact: pushes the run and comments on the PR it names', async () => {
    const artifact = download();
    const result = await report(artifact.dir);
    expect(result.exitCode, describeStep(result)).toBe(0);
    const runs = remoteRuns(origin);
    expect(runs.get(runId)?.['status']).toBe('FINISHED');
    // What landed is the artifact's record, plus the bytes it took of the PR's budget.
    const landed = JSON.parse(
      git(origin.bare, 'show', `refs/heads/ghml/runs:${runPathOf(runs.get(runId))}/run.json`),
    ) as { tags: Record<string, string> };
    expect(Number(landed.tags['ghml.import_bytes'])).toBeGreaterThan(0);
    delete landed.tags['ghml.import_bytes'];
    expect(landed).toEqual(JSON.parse(readFileSync(join(artifact.run, 'run.json'), 'utf8')));
    const comments = gh.state.commentsOn({ owner: OWNER, repo: NAME }, 21);
    expect(comments).toHaveLength(1);
    expect(result.outputs['pr-number']).toBe('21');
    expect(result.outputs['head-commit']).toBe(pr.headSha);

    // A re-run of report.yml finds the run already recorded and updates nothing.
    const again = await report(download().dir);
    expect(again.exitCode, describeStep(again)).toBe(0);
    expect(again.stdout).toContain('already recorded');
    expect(gh.state.commentsOn({ owner: OWNER, repo: NAME }, 21)).toHaveLength(1);
  });

  it('refuses runs that would take the pull request past its storage budget, writing nothing', async () => {
    pushToMain(origin, { 'ghml.yml': 'tracking:\n  pr_budget: 2KB\n' });
    // A second run of the same PR (its first one landed above).
    const artifact = download();
    const second = `${runId.slice(0, -1)}${runId.endsWith('Z') ? 'Y' : 'Z'}`;
    editRunJson(artifact.run, (r) => (r['id'] = second));
    renameSync(artifact.run, join(artifact.dir, second));
    const result = await report(artifact.dir);
    expect(result.exitCode, describeStep(result)).toBe(1);
    const said = describeStep(result);
    expect(said).toContain('Refused the runs of pull request #21');
    expect(said).toContain('per pull request. Nothing was written.');
    expect(said).toContain('raise tracking.pr_budget in ghml.yml');
    expect(remoteRuns(origin).has(second)).toBe(false);
  });
});

function runPathOf(record: Record<string, unknown> | undefined): string {
  const commit = (record?.['source'] as { commit: string }).commit;
  return `runs/${String(record?.['experiment'])}/${commit.slice(0, 2)}/${commit.slice(2)}/${String(record?.['id'])}`;
}
