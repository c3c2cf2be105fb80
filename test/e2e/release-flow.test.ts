/**
 * The release chain through `node dist/action.js`, as templates/workflows/release.yml runs it:
 * train on main, register the model (tag + GitHub release with the model file), promote it,
 * and render its deploy (dry run: no cluster here). Each step is a fresh depth-1 checkout.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../support/github-emulator/index.js';
import { cleanupTempDirs, git } from '../support/temp-repo.js';
import {
  assertBundleBuilt,
  createRunnerJob,
  describeStep,
  ROOT,
  runActionStep,
  setupPython,
  type WorkflowContext,
} from './support/action-runner.js';
import { checkout, head, makeOrigin, type Origin } from './support/git-scenario.js';
import { pushPayload } from './support/webhook-payloads.js';

const REPO = 'octo-org/iris';
const [OWNER, NAME] = REPO.split('/') as [string, string];

let gh: GitHubEmulator;
let origin: Origin;

beforeAll(() => assertBundleBuilt());
beforeEach(async () => {
  gh = await startGitHubEmulator();
  origin = makeOrigin({}, join(ROOT, 'examples', 'iris'));
});
afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});
afterAll(() => cleanupTempDirs());

function context(eventName: string, payload: object, sha: string): WorkflowContext {
  return {
    eventName,
    payload,
    repository: REPO,
    apiUrl: gh.url,
    token: TEST_TOKENS.actions,
    sha,
    ref: 'refs/heads/main',
    matrix: null,
  };
}

async function step(
  inputs: Record<string, string>,
  eventName = 'workflow_dispatch',
  withPython = false,
) {
  const sha = head(origin, 'main');
  const job = createRunnerJob();
  const payload =
    eventName === 'push'
      ? pushPayload({
          repository: REPO,
          ref: 'refs/heads/main',
          before: '0'.repeat(40),
          after: sha,
        })
      : { inputs: {}, ref: 'refs/heads/main', repository: { full_name: REPO } };
  const result = await runActionStep({
    job,
    workspace: checkout(origin, sha, 'refs/heads/main'),
    context: context(eventName, payload, sha),
    inputs,
    ...(withPython ? { env: setupPython(job) } : {}),
  });
  expect(result.exitCode, describeStep(result)).toBe(0);
  return result;
}

describe('register, promote and deploy through the action', () => {
  it('tags and releases the model, promotes it, and renders its manifests', async () => {
    const trained = await step({ command: 'run', train: 'python train.py' }, 'push', true);
    const runId = trained.outputs['run-id'];
    expect(runId).toMatch(/^[0-9A-Z]{26}$/);

    const registered = await step({ command: 'register', model: 'iris' });
    expect(registered.outputs.tag).toBe('iris@v0.0.1');
    expect(git(origin.bare, 'cat-file', '-t', 'refs/tags/iris@v0.0.1')).toBe('tag');
    const release = gh.state.releasesOf({ owner: OWNER, repo: NAME })[0];
    expect(release?.tagName).toBe('iris@v0.0.1');
    expect(release?.draft).toBe(false);
    expect(gh.state.assetsOf(release?.id ?? -1).map((asset) => asset.name)).toEqual(['model.pkl']);
    expect(registered.outputs['release-url']).toBeTruthy();

    const promoted = await step({
      command: 'promote',
      model: 'iris',
      version: 'latest',
      stage: 'prod',
    });
    expect(promoted.outputs.tag).toBe('iris#prod#1');
    expect(git(origin.bare, 'rev-parse', 'refs/tags/iris#prod#1^{commit}')).toBe(
      git(origin.bare, 'rev-parse', 'refs/tags/iris@v0.0.1^{commit}'),
    );

    const deployed = await step({
      command: 'deploy',
      model: 'iris',
      stage: 'prod',
      'dry-run': 'true',
    });
    expect(deployed.outputs.version).toBe('v0.0.1');
    expect(deployed.stdout).toContain('kind: Deployment');
    expect(deployed.stdout).toContain('v0.0.1');
  });
});
