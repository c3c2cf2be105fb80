import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidCommitStatusError,
  setCommitStatus,
  statusContext,
  truncateDescription,
} from '../../../src/github/commit-status.js';
import { createGitHubClient, type GitHubClient } from '../../../src/github/github-client.js';
import { NoWritePermissionError } from '../../../src/github/github-errors.js';
import { getPullRequest } from '../../../src/github/pull-request.js';
import {
  fakeSha,
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';

const owner = 'acme';
const repo = 'ml';
let gh: GitHubEmulator;

beforeEach(async () => {
  gh = await startGitHubEmulator();
});

afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});

function client(token: string = TEST_TOKENS.actions): GitHubClient {
  return createGitHubClient({
    token,
    baseUrl: gh.url,
    env: {},
    timeUnitMs: 1,
    minWriteIntervalMs: 0,
  });
}

describe('setCommitStatus', () => {
  it('creates the status with the ghml context, state, description and link', async () => {
    const sha = fakeSha();
    const result = await setCommitStatus({
      client: client(),
      owner,
      repo,
      sha,
      state: 'failure',
      context: statusContext('iris'),
      description: 'accuracy regressed by 3.1% (threshold 1%)',
      targetUrl: 'https://github.com/acme/ml/pull/3#issuecomment-1',
    });
    expect(result).toMatchObject({ state: 'failure', context: 'ghml/iris' });
    expect(gh.state.statusesFor({ owner, repo }, sha)).toEqual([
      expect.objectContaining({
        id: result.id,
        state: 'failure',
        context: 'ghml/iris',
        description: 'accuracy regressed by 3.1% (threshold 1%)',
        targetUrl: 'https://github.com/acme/ml/pull/3#issuecomment-1',
      }),
    ]);
    const { data } = await client().rest.repos.getCombinedStatusForRef({ owner, repo, ref: sha });
    expect(data.state).toBe('failure');
  });

  it('cuts descriptions to 140 characters', async () => {
    const sha = fakeSha();
    await setCommitStatus({
      client: client(),
      owner,
      repo,
      sha,
      state: 'success',
      context: 'ghml/iris',
      description: 'é'.repeat(300),
    });
    const description = gh.state.statusesFor({ owner, repo }, sha)[0]?.description ?? '';
    expect([...description]).toHaveLength(140);
    expect(description.endsWith('…')).toBe(true);
    expect(truncateDescription('  short\n text ')).toBe('short text');
  });

  it('rejects bad experiment names, contexts and shas before calling GitHub', async () => {
    expect(() => statusContext('../etc')).toThrow(InvalidCommitStatusError);
    expect(() => statusContext('')).toThrow("Invalid experiment name ''");
    const base = { client: client(), owner, repo, state: 'success' as const, description: 'd' };
    await expect(setCommitStatus({ ...base, sha: 'abc', context: 'ghml/iris' })).rejects.toThrow(
      "Invalid commit sha 'abc'",
    );
    await expect(setCommitStatus({ ...base, sha: fakeSha(), context: 'ci' })).rejects.toThrow(
      InvalidCommitStatusError,
    );
    expect(gh.requests.count()).toBe(0);
  });

  it('reports a read-only token as NoWritePermissionError with the statuses permission', async () => {
    const error = await setCommitStatus({
      client: client(TEST_TOKENS.readOnly),
      owner,
      repo,
      sha: fakeSha(),
      state: 'success',
      context: 'ghml/iris',
      description: 'ok',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoWritePermissionError);
    expect((error as NoWritePermissionError).hint).toContain('statuses: write');
    expect(gh.state.commitStatuses).toHaveLength(0);
  });
});

describe('getPullRequest', () => {
  it('returns head and base sha and refs, and tells fork PRs apart', async () => {
    const head = fakeSha();
    const base = fakeSha();
    gh.state.addPullRequest({
      owner,
      repo,
      number: 4,
      head: { sha: head, ref: 'feat' },
      base: { sha: base, ref: 'main' },
    });
    gh.state.addPullRequest({
      owner,
      repo,
      number: 5,
      head: { sha: head, ref: 'main', repo: 'forker/ml' },
      base: { sha: base, ref: 'main' },
    });
    const same = await getPullRequest({ client: client(), owner, repo, number: 4 });
    expect(same).toMatchObject({
      number: 4,
      head: { sha: head, ref: 'feat', repository: 'acme/ml' },
      base: { sha: base, ref: 'main', repository: 'acme/ml' },
      fromFork: false,
      draft: false,
    });
    const fork = await getPullRequest({ client: client(), owner, repo, number: 5 });
    expect(fork.fromFork).toBe(true);
    expect(fork.head.repository).toBe('forker/ml');
  });
});
