/**
 * The workflow `ghml pipeline compile --target actions` writes for examples/iris-pipeline,
 * executed the way the Actions runner would: jobs in topological order of `needs:`, each in
 * its own fresh depth-1 clone, the ghml steps through `node dist/action.js`, workflow
 * artifacts uploaded and downloaded between jobs (emulated by copying folders, as
 * upload-artifact roots them at the paths' common ancestor). First on a push to main, then on
 * a pull request that changes a train param: there prepare is restored from the run cache,
 * train and evaluate run, and the compare job comments on the PR with the train stage's run.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';
import { runGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';
import {
  assertBundleBuilt,
  createRunnerJob,
  describeStep,
  ROOT,
  runActionStep,
  type WorkflowContext,
} from '../support/action-runner.js';
import {
  checkout,
  head,
  makeOrigin,
  pushPullRequest,
  remoteRuns,
  type Origin,
} from '../support/git-scenario.js';
import { pullRequestPayload } from '../support/webhook-payloads.js';

const REPO = 'octo-org/iris-pipeline';
const [OWNER, NAME] = REPO.split('/') as [string, string];

interface Step {
  name?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string[];
  if?: string;
  strategy?: { matrix: { include: Array<Record<string, string>> } };
  steps: Step[];
}
interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

let gh: GitHubEmulator;
let origin: Origin;

beforeAll(() => assertBundleBuilt());
beforeEach(async () => {
  gh = await startGitHubEmulator();
  origin = makeOrigin({}, join(ROOT, 'examples', 'iris-pipeline'));
});
afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});
afterAll(() => cleanupTempDirs());

/** `${{ matrix.x }}`, `${{ github.run_id }}` and `${{ github.run_attempt }}`, as the runner would. */
function evaluate(text: string, matrix: Record<string, string> | null): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_m, expression: string) => {
    if (expression === 'github.run_id') return '1000';
    if (expression === 'github.run_attempt') return '1';
    const name = /^matrix\.(\w+)$/.exec(expression)?.[1];
    if (name !== undefined && matrix !== null && matrix[name] !== undefined) return matrix[name];
    throw new Error(`the test runner cannot evaluate \${{ ${expression} }}`);
  });
}

function topological(jobs: Record<string, Job>): string[] {
  const order: string[] = [];
  const visit = (id: string): void => {
    if (order.includes(id)) return;
    for (const need of jobs[id]?.needs ?? []) visit(need);
    order.push(id);
  };
  for (const id of Object.keys(jobs)) visit(id);
  return order;
}

/** Copies `rel` (a file or folder) from `from` to `to`, keeping its path. */
function copyPath(from: string, to: string, rel: string): void {
  const source = join(from, rel);
  if (!existsSync(source)) throw new Error(`upload-artifact: no file at ${rel}`);
  mkdirSync(join(to, rel, '..'), { recursive: true });
  cpSync(source, join(to, rel), { recursive: statSync(source).isDirectory() });
}

interface WorkflowRun {
  /** Job instances in the order they ran, with their workspace. */
  jobs: Array<{ id: string; stage: string | null; workspace: string }>;
  log: string;
}

async function runWorkflow(workflow: Workflow, context: WorkflowContext): Promise<WorkflowRun> {
  const artifacts = tempDir('ghml-artifacts-');
  const ran: WorkflowRun = { jobs: [], log: '' };
  for (const id of topological(workflow.jobs)) {
    const job = workflow.jobs[id] as Job;
    if (job.if !== undefined) {
      expect(job.if).toBe("${{ !cancelled() && github.event_name == 'pull_request' }}");
      if (context.eventName !== 'pull_request') continue;
    }
    const instances = job.strategy?.matrix.include ?? [null];
    for (const matrix of instances) {
      const runner = createRunnerJob();
      const workspace = checkout(origin, context.sha, context.ref);
      ran.jobs.push({ id, stage: matrix?.['stage'] ?? null, workspace });
      const env = Object.fromEntries(
        Object.entries(workflow.env).map(([k, v]) => [k, evaluate(v, matrix)]),
      );
      for (const step of job.steps) {
        const uses = step.uses ?? '';
        const inputs = Object.fromEntries(
          Object.entries(step.with ?? {}).map(([k, v]) => [k, evaluate(String(v), matrix)]),
        );
        if (uses.startsWith('actions/checkout@')) continue;
        if (uses.startsWith('actions/upload-artifact@')) {
          const target = join(artifacts, inputs['name'] as string);
          for (const rel of (inputs['path'] as string).split('\n').filter(Boolean)) {
            copyPath(workspace, target, rel);
          }
          continue;
        }
        if (uses.startsWith('actions/download-artifact@')) {
          const names =
            inputs['name'] !== undefined
              ? [inputs['name']]
              : readdirSync(artifacts).filter((n) =>
                  new RegExp(
                    `^${(inputs['pattern'] as string).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`,
                  ).test(n),
                );
          expect(names.length, `artifacts for ${JSON.stringify(inputs)}`).toBeGreaterThan(0);
          for (const name of names)
            cpSync(join(artifacts, name as string), workspace, { recursive: true });
          continue;
        }
        expect(uses).toBe('ghml/ghml@v1');
        const result = await runActionStep({ job: runner, workspace, context, inputs, env });
        ran.log += `\n--- ${id} ${JSON.stringify(inputs)}\n${result.stdout}${result.stderr}`;
        expect(result.exitCode, describeStep(result)).toBe(0);
      }
    }
  }
  return ran;
}

async function compiledWorkflow(): Promise<Workflow> {
  const result = await runGhml(['pipeline', 'compile', '--target', 'actions'], { cwd: origin.dev });
  expect(result.code, result.stderr).toBe(0);
  return parseYaml(result.stdout) as Workflow;
}

function stageRuns(): Array<{
  stage: string;
  pipelineRun: string;
  experiment: string;
  params: Record<string, string>;
}> {
  return [...remoteRuns(origin).values()].map((run) => {
    const tags = run['tags'] as Record<string, string>;
    return {
      stage: tags['ghml.pipeline.stage'] as string,
      pipelineRun: tags['ghml.pipeline.run_id'] as string,
      experiment: run['experiment'] as string,
      params: run['params'] as Record<string, string>,
    };
  });
}

describe('the compiled Actions workflow of examples/iris-pipeline', () => {
  it('runs job by job in fresh clones, passes outputs on, and comments the train run on the PR', async () => {
    const workflow = await compiledWorkflow();
    expect(Object.keys(workflow.jobs)).toEqual(['prepare', 'train', 'evaluate', 'compare']);

    // 1. A push to main: every stage runs once, in DAG order, each job in its own clone.
    const mainSha = head(origin, 'main');
    const push = await runWorkflow(workflow, {
      eventName: 'push',
      payload: {},
      repository: REPO,
      apiUrl: gh.url,
      token: TEST_TOKENS.actions,
      sha: mainSha,
      ref: 'refs/heads/main',
    });
    expect(push.jobs.map((j) => j.id)).toEqual(['prepare', 'train', 'evaluate']);
    expect(new Set(push.jobs.map((j) => j.workspace)).size).toBe(3);
    expect(
      stageRuns()
        .map((r) => r.stage)
        .sort(),
    ).toEqual(['evaluate', 'prepare', 'train']);
    expect(new Set(stageRuns().map((r) => r.pipelineRun))).toEqual(new Set(['1000-1']));
    // evaluate read train's model from the artifact train uploaded.
    const evaluateDir = push.jobs[2]?.workspace as string;
    expect(JSON.parse(readFileSync(join(evaluateDir, 'eval/metrics.json'), 'utf8'))).toHaveProperty(
      'holdout_accuracy',
    );

    // 2. A PR with more trees: prepare did not change (restored from the run cache, not run);
    // train and evaluate run; the compare job comments with the train stage's run.
    const pr = pushPullRequest(origin, 7, 'more-trees', {
      'params.yaml': readFileSync(join(origin.dev, 'params.yaml'), 'utf8').replace(
        'n_estimators: 10',
        'n_estimators: 50',
      ),
    });
    gh.state.addPullRequest({
      owner: OWNER,
      repo: NAME,
      number: 7,
      head: { sha: pr.headSha, ref: pr.branch, repo: REPO },
      base: { sha: pr.baseSha, ref: 'main' },
    });
    const prRun = await runWorkflow(workflow, {
      eventName: 'pull_request',
      payload: pullRequestPayload({
        action: 'synchronize',
        number: 7,
        repository: REPO,
        headSha: pr.headSha,
        headRef: pr.branch,
        baseSha: pr.baseSha,
      }),
      repository: REPO,
      apiUrl: gh.url,
      token: TEST_TOKENS.actions,
      sha: pr.mergeSha,
      ref: 'refs/pull/7/merge',
    });
    expect(prRun.jobs.map((j) => j.id)).toEqual(['prepare', 'train', 'evaluate', 'compare']);
    expect(prRun.log).toContain("Stage 'prepare': restored (the same stage ran before");
    const runs = stageRuns();
    expect(runs.filter((r) => r.stage === 'prepare')).toHaveLength(1);
    const trains = runs.filter((r) => r.stage === 'train');
    expect(trains.map((r) => r.params['n_estimators']).sort()).toEqual(['10', '50']);
    expect(trains.every((r) => r.experiment === 'iris')).toBe(true);

    const comments = gh.state.commentsOn({ owner: OWNER, repo: NAME }, 7);
    const iris = comments.find((c) => c.body.includes('<!-- ghml:compare:iris -->'));
    expect(iris, comments.map((c) => c.body.slice(0, 80)).join('\n')).toBeDefined();
    expect(iris?.body).toMatch(/\| n\\_estimators \| 10 \| 50 \|/);
    expect(iris?.body).toContain('accuracy');
  }, 240_000); // a dozen fresh clones and ghml processes: about 50 s alone, much more on a loaded CI machine
});
