/**
 * "Done when": a newcomer copies templates/workflows/train.yml into a repository that has
 * only its training code, adds ghml.yml, and gets training, a tracked run and a PR comment.
 * The workflow file is read and its jobs and steps executed as a runner would: matrix cells,
 * job `if:`s, `with:` expressions, actions/checkout's default depth-1 checkout of the merge
 * commit, and `node dist/action.js` for every step that uses the ghml action.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
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
import { pullRequestPayload, pushPayload } from './support/webhook-payloads.js';

const REPO = 'newcomer/flowers';
const [OWNER, NAME] = REPO.split('/') as [string, string];
const IRIS = join(ROOT, 'examples', 'iris');
const GHML_YML =
  'default_experiment: iris\nexperiments:\n  iris:\n    metrics:\n      accuracy: { direction: max, threshold: 1% }\n';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
}

let gh: GitHubEmulator;
let origin: Origin;

beforeAll(() => assertBundleBuilt());
beforeEach(async () => {
  gh = await startGitHubEmulator();
  // The newcomer's repository: training code, data and params, plus the two added files.
  const files: Record<string, string> = { 'ghml.yml': GHML_YML };
  for (const file of ['train.py', 'iris.csv', 'params.yaml'])
    files[file] = readFileSync(join(IRIS, file), 'utf8');
  files['.github/workflows/train.yml'] = readFileSync(
    join(ROOT, 'templates', 'workflows', 'train.yml'),
    'utf8',
  );
  origin = makeOrigin(files);
});
afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});
afterAll(() => cleanupTempDirs());

/** Evaluates the few expression forms the template uses; anything else fails the test. */
function evaluate(expression: string, scope: Record<string, unknown>): unknown {
  return expression
    .split('&&')
    .map((term) => term.trim())
    .reduce<unknown>((result, term) => {
      if (result === false) return false;
      const negated = term.startsWith('!');
      const body = negated ? term.slice(1).trim() : term;
      let value: unknown;
      const equals = /^([\w.]+)\s*==\s*'([^']*)'$/.exec(body);
      if (body === 'cancelled()') value = false;
      else if (equals) value = lookup(equals[1] ?? '', scope) === equals[2];
      else if (/^[\w.-]+$/.test(body)) value = lookup(body, scope);
      else throw new Error(`the test runner cannot evaluate '${term}'`);
      return negated ? !value : value;
    }, true);
}

function lookup(path: string, scope: Record<string, unknown>): unknown {
  let value: unknown = scope;
  for (const key of path.split('.'))
    value =
      value === null || value === undefined ? undefined : (value as Record<string, unknown>)[key];
  return value ?? null;
}

function interpolate(text: string, scope: Record<string, unknown>): string {
  const whole = /^\$\{\{\s*(.*?)\s*\}\}$/.exec(text.trim());
  if (whole) return String(evaluate(whole[1] ?? '', scope));
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_m, expression: string) =>
    String(evaluate(expression, scope)),
  );
}

function cells(job: Job): Array<Record<string, unknown> | null> {
  const matrix = job.strategy?.matrix;
  if (!matrix) return [null];
  let result: Array<Record<string, unknown>> = [{}];
  for (const [key, values] of Object.entries(matrix))
    result = result.flatMap((cell) => values.map((value) => ({ ...cell, [key]: value })));
  return result;
}

/** Runs the workflow for one event; returns the ghml steps' results by job. */
async function runWorkflow(
  context: WorkflowContext,
  checkoutRef: string,
): Promise<Map<string, ActionStepResult[]>> {
  const workflow = parseYaml(
    readFileSync(join(origin.dev, '.github', 'workflows', 'train.yml'), 'utf8'),
  ) as {
    on: Record<string, unknown>;
    jobs: Record<string, Job>;
  };
  expect(Object.keys(workflow.on)).toContain(context.eventName);
  const results = new Map<string, ActionStepResult[]>();
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const scope = {
      github: { event: context.payload, event_name: context.eventName, token: context.token },
    };
    if (job.if !== undefined && !evaluate(job.if.replace(/^\$\{\{\s*|\s*\}\}$/g, ''), scope))
      continue;
    await Promise.all(
      cells(job).map(async (matrix) => {
        const runner = createRunnerJob();
        let workspace = '';
        let env: Record<string, string> = {};
        for (const step of job.steps) {
          if (step.uses?.startsWith('actions/checkout@'))
            workspace = checkout(origin, context.sha, checkoutRef);
          else if (step.uses?.startsWith('actions/setup-python@')) env = setupPython(runner);
          else if (step.uses?.startsWith('ghml/ghml@')) {
            const inputs = Object.fromEntries(
              Object.entries(step.with ?? {}).map(([key, value]) => [
                key,
                interpolate(String(value), { ...scope, matrix }),
              ]),
            );
            const result = await runActionStep({
              job: runner,
              workspace,
              context: { ...context, matrix, job: name },
              env,
              inputs,
            });
            expect(result.exitCode, describeStep(result)).toBe(0);
            results.set(name, [...(results.get(name) ?? []), result]);
          } else if (step.run !== undefined || step.uses !== undefined) {
            throw new Error(`the test runner does not know step ${JSON.stringify(step)}`);
          }
        }
      }),
    );
  }
  return results;
}

describe('templates/workflows/train.yml copied as is, plus ghml.yml', () => {
  it('trains on main, then on a PR: tracked runs and one PR comment', async () => {
    const main = head(origin, 'main');
    const onPush = await runWorkflow(
      {
        eventName: 'push',
        payload: pushPayload({
          repository: REPO,
          ref: 'refs/heads/main',
          before: '0'.repeat(40),
          after: main,
        }),
        repository: REPO,
        apiUrl: gh.url,
        token: TEST_TOKENS.actions,
        sha: main,
        ref: 'refs/heads/main',
      },
      'refs/heads/main',
    );
    expect(onPush.get('train')).toHaveLength(1);
    expect(onPush.get('compare')?.[0]?.outputs['verdict']).toBe('no-baseline');

    const pr = pushPullRequest(origin, 1, 'deeper-trees', {
      'params.yaml': readFileSync(join(IRIS, 'params.yaml'), 'utf8').replace(
        /max_depth: \d+/,
        'max_depth: 3',
      ),
    });
    gh.state.addPullRequest({
      owner: OWNER,
      repo: NAME,
      number: 1,
      head: { sha: pr.headSha, ref: pr.branch },
      base: { sha: pr.baseSha, ref: 'main' },
    });
    const onPr = await runWorkflow(
      {
        eventName: 'pull_request',
        payload: pullRequestPayload({
          action: 'opened',
          number: 1,
          repository: REPO,
          headSha: pr.headSha,
          headRef: pr.branch,
          baseSha: pr.baseSha,
        }),
        repository: REPO,
        apiUrl: gh.url,
        token: TEST_TOKENS.actions,
        sha: pr.mergeSha,
        ref: 'refs/pull/1/merge',
      },
      'refs/pull/1/merge',
    );
    const runs = [...remoteRuns(origin).values()];
    expect(runs.map((run) => (run['source'] as { commit: string }).commit).sort()).toEqual(
      [main, pr.headSha].sort(),
    );
    expect(runs.every((run) => run['status'] === 'FINISHED')).toBe(true);
    const comments = gh.state.commentsOn({ owner: OWNER, repo: NAME }, 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('max\\_depth');
    expect(onPr.get('compare')?.[0]?.outputs['comment-url']).toContain('#issuecomment-');
  });
});
