import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createGitHubClient,
  InvalidApiUrlError,
  resolveApiUrl,
  type GitHubClient,
  type GitHubClientOptions,
} from '../../../src/github/github-client.js';
import {
  GitHubApiError,
  NoWritePermissionError,
  RateLimitError,
  withGitHubErrors,
} from '../../../src/github/github-errors.js';
import { getPullRequest } from '../../../src/github/pull-request.js';
import { describeError } from '../../../src/errors/ghml-error.js';
import {
  fakeSha,
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';

const owner = 'acme';
const repo = 'ml';
const PULL = 'GET /repos/{owner}/{repo}/pulls/{pull_number}';
const COMMENTS = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';

let gh: GitHubEmulator;
let logged: string[];

beforeEach(async () => {
  gh = await startGitHubEmulator();
  logged = [];
  gh.state.addPullRequest({
    owner,
    repo,
    number: 3,
    head: { sha: fakeSha(), ref: 'feature' },
    base: { sha: fakeSha(), ref: 'main' },
  });
});

afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});

function client(overrides: Partial<GitHubClientOptions> = {}): GitHubClient {
  const capture = (level: string) => (message: string) => logged.push(`${level}: ${message}`);
  return createGitHubClient({
    token: TEST_TOKENS.actions,
    baseUrl: gh.url,
    env: {},
    timeUnitMs: 1,
    minWriteIntervalMs: 0,
    log: {
      debug: capture('debug'),
      info: capture('info'),
      warn: capture('warn'),
      error: capture('error'),
    },
    ...overrides,
  });
}

const getPull = (c: GitHubClient) => getPullRequest({ client: c, owner, repo, number: 3 });

async function failure(promise: Promise<unknown>): Promise<GitHubApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitHubApiError);
  return error as GitHubApiError;
}

/** Everything an error could show a user or a log. */
function everythingIn(error: GitHubApiError): string {
  return [describeError(error), error.stack ?? '', JSON.stringify(error), String(error.cause)].join(
    '\n',
  );
}

describe('retries', () => {
  it('retries 5xx answers and then succeeds', async () => {
    gh.faults.next({ route: PULL, status: 502, times: 2 });
    const pull = await getPull(client());
    expect(pull.number).toBe(3);
    expect(gh.requests.filter(PULL).map((r) => r.status)).toEqual([502, 502, 200]);
  });

  it('gives up after the configured retries with a clear error', async () => {
    gh.faults.next({ route: PULL, status: 500, times: 10 });
    const error = await failure(getPull(client({ retries: 2 })));
    expect(gh.requests.count(PULL)).toBe(3);
    expect(error.status).toBe(500);
    expect(error.message).toContain('Could not read pull request #3: 500');
    expect(error.hint).toContain('server error');
  });

  it('gives each attempt a time limit and retries one that gets no answer', async () => {
    gh.faults.next({ route: PULL, delayMs: 20_000 });
    const pull = await getPull(client({ requestTimeoutMs: 300 }));
    expect(pull.number).toBe(3);
    expect(gh.requests.count(PULL)).toBeGreaterThanOrEqual(1);
    expect(gh.faults.pending()).toBe(0);
    // Without a time limit the call would wait out the 20 s delay: this test's own timeout.
  }, 10_000);

  it('gives up on a silent API after the retries, naming the time limit', async () => {
    gh.faults.next({ route: PULL, delayMs: 20_000, times: 3 });
    const error = await failure(getPull(client({ requestTimeoutMs: 300, retries: 2 })));
    expect(error.message).toContain('Could not read pull request #3: 500');
    expect(error.message).toContain('GitHub did not answer within 0.3 s');
    expect(error.hint).toContain('did not answer in time');
    expect(gh.faults.pending()).toBe(0);
  });

  it('waits for a slow answer instead of failing', async () => {
    gh.faults.next({ route: PULL, delayMs: 100 });
    expect((await getPull(client())).head.ref).toBe('feature');
  });
});

describe('rate limits', () => {
  it('waits out a primary rate limit within the budget', async () => {
    gh.faults.rateLimit({ route: PULL, resetInSeconds: 2 });
    const pull = await getPull(client());
    expect(pull.base.ref).toBe('main');
    expect(gh.requests.filter(PULL).map((r) => r.status)).toEqual([403, 200]);
    expect(logged.join('\n')).toMatch(
      /warn: GitHub rate limit on GET .*: waiting \d+s \(wait 1 of 3\)/,
    );
  });

  it('waits out a secondary rate limit (429 with retry-after)', async () => {
    gh.faults.secondaryRateLimit({ route: COMMENTS, retryAfterSeconds: 5, times: 2 });
    const c = client();
    await c.rest.issues.createComment({ owner, repo, issue_number: 3, body: 'hi' });
    expect(gh.requests.filter(COMMENTS).map((r) => r.status)).toEqual([429, 429, 201]);
    expect(gh.state.issueComments).toHaveLength(1);
  });

  it('fails clearly when the wait is over the budget', async () => {
    gh.faults.rateLimit({ route: PULL, resetInSeconds: 3600 });
    const error = await failure(getPull(client({ rateLimit: { maxWaitSeconds: 60 } })));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(gh.requests.count(PULL)).toBe(1);
    const resetAt = (error as RateLimitError).resetAt;
    expect(resetAt).toBeInstanceOf(Date);
    const hhmm = resetAt!.toISOString().slice(11, 16);
    expect(error.hint).toBe(`rate limited until ${hhmm} UTC; retry after that`);
    expect(logged.join('\n')).toContain('over the budget');
  });

  it('fails clearly after the maximum number of waits', async () => {
    gh.faults.rateLimit({ route: PULL, resetInSeconds: 1, times: 5 });
    const error = await failure(getPull(client({ rateLimit: { maxRetries: 2 } })));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(gh.requests.count(PULL)).toBe(3);
  });
});

describe('typed errors', () => {
  it('turns a read-only token write into NoWritePermissionError', async () => {
    const c = client({ token: TEST_TOKENS.readOnly });
    const error = await failure(
      withGitHubErrors('post the PR comment', () =>
        c.rest.issues.createComment({ owner, repo, issue_number: 3, body: 'hi' }),
      ),
    );
    expect(error).toBeInstanceOf(NoWritePermissionError);
    expect(error.route).toBe(COMMENTS);
    expect(error.requestId).toMatch(/^EMU/);
    expect(error.message).toBe(
      `Could not post the PR comment: 403 Resource not accessible by integration (${COMMENTS}, request id ${error.requestId})`,
    );
    expect(error.hint).toContain("the token cannot write here (a fork PR's token is read-only)");
    expect(error.hint).toContain('`permissions: pull-requests: write`');
  });

  it('answers 401 with a hint about GITHUB_TOKEN', async () => {
    const error = await failure(
      getPull(client({ token: 'ghp_NotAKnownToken000000000000000000000099' })),
    );
    expect(error.status).toBe(401);
    expect(error.githubMessage).toBe('Bad credentials');
    expect(error.hint).toContain('check GITHUB_TOKEN');
  });

  it('answers 404 and 422 with what GitHub said', async () => {
    const c = client();
    const missing = await failure(getPullRequest({ client: c, owner, repo, number: 99 }));
    expect(missing.status).toBe(404);
    expect(missing.route).toBe(PULL);
    expect(missing.hint).toContain('cannot see a private repository');
    const tooLong = await failure(
      withGitHubErrors('post the PR comment', () =>
        c.rest.issues.createComment({ owner, repo, issue_number: 3, body: 'x'.repeat(70_000) }),
      ),
    );
    expect(tooLong.status).toBe(422);
    expect(tooLong.hint).toContain('Body is too long (maximum is 65536 characters)');
  });

  it('reports an unreachable server', async () => {
    const closed = await startGitHubEmulator();
    await closed.close();
    const error = await failure(getPull(client({ baseUrl: closed.url, retries: 1 })));
    expect(error.hint).toContain('could not reach GitHub');
  });

  it('never shows the token in errors or logs', async () => {
    const token = 'ghp_SecretUnknownToken00000000000000000042';
    const errors = [
      await failure(getPull(client({ token }))),
      await failure(getPull(client({ token: TEST_TOKENS.readOnly, baseUrl: `${gh.url}/nowhere` }))),
    ];
    gh.takeViolations(); // the unknown path above is deliberate
    const readOnly = client({ token: TEST_TOKENS.readOnly });
    errors.push(
      await failure(
        withGitHubErrors('post', () =>
          readOnly.rest.issues.createComment({ owner, repo, issue_number: 3, body: 'x' }),
        ),
      ),
    );
    const text = [...errors.map(everythingIn), ...logged].join('\n');
    expect(logged.some((line) => line.startsWith('debug: GET /repos/acme/ml/pulls/3 - 401'))).toBe(
      true,
    );
    for (const secret of [token, TEST_TOKENS.readOnly]) expect(text).not.toContain(secret);
  });
});

describe('base URL', () => {
  it('comes from GITHUB_API_URL when not given (GitHub Enterprise Server)', async () => {
    const c = createGitHubClient({
      token: TEST_TOKENS.actions,
      env: { GITHUB_API_URL: `${gh.url}/` },
      timeUnitMs: 1,
    });
    expect((await getPull(c)).number).toBe(3);
    expect(resolveApiUrl(undefined, {})).toBe('https://api.github.com');
    expect(resolveApiUrl('https://ghe.example.com/api/v3/', {})).toBe(
      'https://ghe.example.com/api/v3',
    );
  });

  it('rejects a base URL that is not http(s)', () => {
    for (const bad of ['ftp://example.com', 'not a url', 'https://user:ghp_x@example.com']) {
      expect(() => createGitHubClient({ token: 't', baseUrl: bad, env: {} })).toThrow(
        InvalidApiUrlError,
      );
    }
    expect(() => resolveApiUrl(undefined, { GITHUB_API_URL: 'file:///etc/passwd' })).toThrow(
      "Invalid GitHub API URL 'file:///etc/passwd'.",
    );
    // Credentials never reach the message, whichever check refuses the URL.
    for (const bad of ['ftp://me:s3cret-pass@example.com', 'https://me:s3cret-pass@example.com']) {
      let error: unknown;
      try {
        resolveApiUrl(bad, {});
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidApiUrlError);
      expect((error as InvalidApiUrlError).message).toBe(
        "Invalid GitHub API URL '" + bad.replace('s3cret-pass', '***') + "'.",
      );
      expect((error as InvalidApiUrlError).value).not.toContain('s3cret');
    }
  });
});
