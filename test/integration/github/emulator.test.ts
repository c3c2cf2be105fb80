import { Octokit } from '@octokit/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';

const owner = 'acme';
const repo = 'ml';
const COMMENTS = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';

let gh: GitHubEmulator;
let octokit: Octokit;

beforeEach(async () => {
  gh = await startGitHubEmulator();
  octokit = new Octokit({ auth: TEST_TOKENS.actions, baseUrl: gh.url, log: silentLog });
});

afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});

const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

/** Raw HTTP, to send what Octokit never would. */
async function raw(
  method: string,
  path: string,
  body?: unknown,
  token: string = TEST_TOKENS.actions,
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(`${gh.url}${path}`, {
    method,
    headers: {
      authorization: `token ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text ? JSON.parse(text) : undefined,
  };
}

function seedComments(count: number, issueNumber = 5): void {
  for (let i = 1; i <= count; i++) {
    gh.state.addIssueComment({ owner, repo, issueNumber, body: `comment ${i}`, author: 'someone' });
  }
}

describe('pagination', () => {
  it('pages issue comments with per_page, page and GitHub Link headers', async () => {
    seedComments(250);
    const first = await raw('GET', `/repos/${owner}/${repo}/issues/5/comments?per_page=100`);
    expect(first.status).toBe(200);
    expect((first.json as unknown[]).length).toBe(100);
    const base = `${gh.url}/repos/${owner}/${repo}/issues/5/comments?per_page=100`;
    expect(first.headers.get('link')).toBe(
      `<${base}&page=2>; rel="next", <${base}&page=3>; rel="last"`,
    );

    const middle = await raw(
      'GET',
      `/repos/${owner}/${repo}/issues/5/comments?per_page=100&page=2`,
    );
    expect(middle.headers.get('link')).toBe(
      `<${base}&page=1>; rel="prev", <${base}&page=3>; rel="next", <${base}&page=3>; rel="last", <${base}&page=1>; rel="first"`,
    );

    const last = await raw('GET', `/repos/${owner}/${repo}/issues/5/comments?per_page=100&page=3`);
    const bodies = (last.json as Array<{ body: string }>).map((c) => c.body);
    expect(bodies).toHaveLength(50);
    expect(bodies[0]).toBe('comment 201');
    expect(last.headers.get('link')).toBe(
      `<${base}&page=2>; rel="prev", <${base}&page=1>; rel="first"`,
    );
  });

  it('defaults to 30 per page, caps per_page at 100, and answers past the end with []', async () => {
    seedComments(120);
    const defaults = await raw('GET', `/repos/${owner}/${repo}/issues/5/comments`);
    expect((defaults.json as unknown[]).length).toBe(30);
    const capped = await raw('GET', `/repos/${owner}/${repo}/issues/5/comments?per_page=500`);
    expect((capped.json as unknown[]).length).toBe(100);
    const beyond = await raw('GET', `/repos/${owner}/${repo}/issues/5/comments?page=9`);
    expect(beyond.json).toEqual([]);
  });

  it('lets octokit.paginate collect every page', async () => {
    seedComments(205);
    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: 5,
      per_page: 100,
    });
    expect(all.map((c) => c.body)).toEqual(
      Array.from({ length: 205 }, (_, i) => `comment ${i + 1}`),
    );
    expect(gh.requests.count('GET /repos/{owner}/{repo}/issues/{issue_number}/comments')).toBe(3);
  });
});

describe('OpenAPI validation', () => {
  it('catches a body missing a required field, answers 501 and records a violation', async () => {
    const response = await raw('POST', `/repos/${owner}/${repo}/issues/5/comments`, { text: 'hi' });
    expect(response.status).toBe(501);
    const [violation] = gh.takeViolations();
    expect(violation?.kind).toBe('invalid-request');
    expect(violation?.problems.join()).toContain("must have required property 'body'");
    expect(gh.state.issueComments).toHaveLength(0);
  });

  it('catches a body of the wrong type and a body that is not JSON', async () => {
    await raw('POST', `/repos/${owner}/${repo}/statuses/${'a'.repeat(40)}`, { state: 'green' });
    await raw('POST', `/repos/${owner}/${repo}/issues/5/comments`, '{not json');
    const violations = gh.takeViolations();
    expect(violations.map((v) => v.kind)).toEqual(['invalid-request', 'invalid-request']);
    expect(violations[0]?.problems.join()).toContain('must be equal to one of the allowed values');
    expect(violations[1]?.problems.join()).toContain('not valid JSON');
  });

  it('catches bad path and query parameters', async () => {
    await raw('GET', `/repos/${owner}/${repo}/issues/five/comments`);
    await raw('GET', `/repos/${owner}/${repo}/issues/5/comments?per_page=lots`);
    const violations = gh.takeViolations();
    expect(violations.map((v) => v.problems.join())).toEqual([
      expect.stringContaining('path parameters at /issue_number: must be integer'),
      expect.stringContaining('query parameters at /per_page: must be integer'),
    ]);
  });

  it('catches an unknown route and a method the description does not have', async () => {
    expect((await raw('GET', '/repos/acme/ml/not-a-thing')).status).toBe(501);
    expect((await raw('PUT', `/repos/${owner}/${repo}/issues/5/comments`, {})).status).toBe(501);
    // Uploads belong to the uploads host only.
    expect((await raw('POST', `/repos/${owner}/${repo}/releases/1/assets?name=a`)).status).toBe(
      501,
    );
    const violations = gh.takeViolations();
    expect(violations.map((v) => v.kind)).toEqual([
      'unknown-route',
      'method-not-allowed',
      'method-not-allowed',
    ]);
  });

  it('makes assertNoViolations throw with the details', async () => {
    await raw('GET', '/nope');
    expect(() => gh.assertNoViolations()).toThrow(
      /1 OpenAPI violation.*\n- unknown-route: GET \/nope/,
    );
    gh.takeViolations();
  });
});

describe('auth', () => {
  it('answers 401 for an unknown token and 403 for writes with a read-only token', async () => {
    const unknown = await raw(
      'GET',
      `/repos/${owner}/${repo}/issues/5/comments`,
      undefined,
      'nope',
    );
    expect(unknown.status).toBe(401);
    expect(unknown.json).toMatchObject({ message: 'Bad credentials' });
    const readOnly = await raw(
      'POST',
      `/repos/${owner}/${repo}/issues/5/comments`,
      { body: 'x' },
      TEST_TOKENS.readOnly,
    );
    expect(readOnly.status).toBe(403);
    expect(readOnly.json).toMatchObject({ message: 'Resource not accessible by integration' });
    const read = await raw(
      'GET',
      `/repos/${owner}/${repo}/issues/5/comments`,
      undefined,
      TEST_TOKENS.readOnly,
    );
    expect(read.status).toBe(200);
    expect(gh.state.issueComments).toHaveLength(0);
  });

  it('serves GET /user to user tokens and 403 to installation tokens', async () => {
    const user = new Octokit({ auth: TEST_TOKENS.user, baseUrl: gh.url, log: silentLog });
    expect((await user.rest.users.getAuthenticated()).data.login).toBe('octocat');
    await expect(octokit.rest.users.getAuthenticated()).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('Resource not accessible by integration'),
    });
  });

  it('records comment authors from the token', async () => {
    const { data } = await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: 5,
      body: 'hi',
    });
    expect(data.user).toMatchObject({ login: 'github-actions[bot]', type: 'Bot' });
    expect(gh.requests.filter(COMMENTS)[0]?.login).toBe('github-actions[bot]');
  });
});

describe('faults', () => {
  it('serves queued statuses for the given number of times, then the real answer', async () => {
    gh.faults.next({ route: COMMENTS, status: 500, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await raw('POST', `/repos/${owner}/${repo}/issues/5/comments`, { body: 'x' })).status,
      );
    }
    expect(statuses).toEqual([500, 500, 201]);
    expect(gh.state.issueComments).toHaveLength(1);
    expect(gh.requests.filter(COMMENTS).map((r) => r.faulted)).toEqual([true, true, false]);
    expect(gh.faults.pending()).toBe(0);
  });

  it('emulates primary and secondary rate limits', async () => {
    gh.faults.rateLimit({ route: 'GET /user', resetInSeconds: 30 });
    gh.faults.secondaryRateLimit({ route: 'GET /user', retryAfterSeconds: 7 });
    const primary = await raw('GET', '/user', undefined, TEST_TOKENS.user);
    expect(primary.status).toBe(403);
    expect(primary.headers.get('x-ratelimit-remaining')).toBe('0');
    const reset = Number(primary.headers.get('x-ratelimit-reset'));
    expect(reset - Date.now() / 1000).toBeGreaterThan(25);
    const secondary = await raw('GET', '/user', undefined, TEST_TOKENS.user);
    expect(secondary.status).toBe(429);
    expect(secondary.headers.get('retry-after')).toBe('7');
    expect(secondary.json).toMatchObject({
      message: expect.stringContaining('secondary rate limit'),
    });
  });

  it('emulates 403, 404 and 422 answers and slow responses', async () => {
    gh.faults
      .noPermission({ route: COMMENTS })
      .next({ route: COMMENTS, status: 404 })
      .next({ route: COMMENTS, status: 422, message: 'Body is too long' })
      .next({ route: 'GET *', delayMs: 150 });
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(await raw('POST', `/repos/${owner}/${repo}/issues/5/comments`, { body: 'x' }));
    }
    expect(results.map((r) => r.status)).toEqual([403, 404, 422]);
    expect(results[2]?.json).toMatchObject({ message: 'Body is too long' });
    const slow = await raw('GET', `/repos/${owner}/${repo}/issues/5/comments`);
    expect(slow.status).toBe(200);
    expect(gh.faults.pending()).toBe(0);
  });

  it('rejects malformed fault routes', () => {
    expect(() => gh.faults.next({ route: 'post comments', status: 500 })).toThrow(
      /route must look like/,
    );
  });
});

describe('routes', () => {
  it('serves pull requests, commits, compare and PR commits from seeded state', async () => {
    // root ── b1 (main)
    //     └── h1 ── h2 (feature)
    const [root, b1] = gh.state.addCommitChain({ owner, repo }, 2);
    const chain = gh.state.addCommitChain({ owner, repo }, 2, root!.sha);
    gh.state.setRef({ owner, repo }, 'main', b1!.sha);
    gh.state.addPullRequest({
      owner,
      repo,
      number: 7,
      head: { sha: chain[1]!.sha, ref: 'feature' },
      base: { sha: b1!.sha, ref: 'main' },
    });
    const { data: pull } = await octokit.rest.pulls.get({ owner, repo, pull_number: 7 });
    expect(pull.head).toMatchObject({ sha: chain[1]!.sha, ref: 'feature' });
    expect(pull.base).toMatchObject({ sha: b1!.sha, ref: 'main' });
    expect(pull.base.repo.full_name).toBe('acme/ml');

    const { data: commits } = await octokit.rest.pulls.listCommits({ owner, repo, pull_number: 7 });
    expect(commits.map((c) => c.sha)).toEqual(chain.map((c) => c.sha));

    const { data: compare } = await octokit.rest.repos.compareCommitsWithBasehead({
      owner,
      repo,
      basehead: `main...${chain[1]!.sha}`,
    });
    expect(compare).toMatchObject({ status: 'diverged', ahead_by: 2, behind_by: 1 });
    expect(compare.merge_base_commit.sha).toBe(root!.sha);

    const { data: commit } = await octokit.rest.repos.getCommit({ owner, repo, ref: 'main' });
    expect(commit.parents.map((p) => p.sha)).toEqual([root!.sha]);
    await expect(octokit.rest.pulls.get({ owner, repo, pull_number: 8 })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('creates and lists commit statuses with a combined state', async () => {
    const sha = 'b'.repeat(40);
    for (const [context, state] of [
      ['ghml/iris', 'pending'],
      ['ghml/iris', 'success'],
      ['ghml/mnist', 'failure'],
    ] as const) {
      await octokit.rest.repos.createCommitStatus({
        owner,
        repo,
        sha,
        state,
        context,
        description: 'd',
      });
    }
    const { data: list } = await octokit.rest.repos.listCommitStatusesForRef({
      owner,
      repo,
      ref: sha,
    });
    expect(list.map((s) => `${s.context}=${s.state}`)).toEqual([
      'ghml/mnist=failure',
      'ghml/iris=success',
      'ghml/iris=pending',
    ]);
    const { data: combined } = await octokit.rest.repos.getCombinedStatusForRef({
      owner,
      repo,
      ref: sha,
    });
    expect(combined).toMatchObject({ state: 'failure', total_count: 2 });
  });

  it('serves releases and assets, with uploads on the upload host and byte downloads', async () => {
    const { data: release } = await octokit.rest.repos.createRelease({
      owner,
      repo,
      tag_name: 'iris@v1.0.0',
      name: 'iris@v1.0.0',
      body: 'card',
    });
    expect(
      release.upload_url.startsWith(`${gh.uploadUrl}/repos/acme/ml/releases/${release.id}/assets`),
    ).toBe(true);
    const bytes = Buffer.from('model bytes \u0000\u0001');
    const { data: asset } = await octokit.rest.repos.uploadReleaseAsset({
      owner,
      repo,
      release_id: release.id,
      name: 'model.pkl',
      data: bytes as unknown as string,
      baseUrl: gh.uploadUrl,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(asset).toMatchObject({ name: 'model.pkl', size: bytes.length, state: 'uploaded' });

    const { data: byTag } = await octokit.rest.repos.getReleaseByTag({
      owner,
      repo,
      tag: 'iris@v1.0.0',
    });
    expect(byTag.assets.map((a) => a.name)).toEqual(['model.pkl']);

    const download = await octokit.rest.repos.getReleaseAsset({
      owner,
      repo,
      asset_id: asset.id,
      headers: { accept: 'application/octet-stream' },
    });
    expect(Buffer.from(download.data as unknown as ArrayBuffer)).toEqual(bytes);
    const browser = await fetch(asset.browser_download_url);
    expect(Buffer.from(await browser.arrayBuffer())).toEqual(bytes);

    await expect(
      octokit.rest.repos.createRelease({ owner, repo, tag_name: 'iris@v1.0.0' }),
    ).rejects.toMatchObject({ status: 422 });
    await octokit.rest.repos.updateRelease({
      owner,
      repo,
      release_id: release.id,
      body: 'new card',
    });
    const { data: listed } = await octokit.rest.repos.listReleases({ owner, repo });
    expect(listed.map((r) => r.body)).toEqual(['new card']);
    await octokit.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: asset.id });
    expect(
      (await octokit.rest.repos.listReleaseAssets({ owner, repo, release_id: release.id })).data,
    ).toEqual([]);
    await octokit.rest.repos.deleteRelease({ owner, repo, release_id: release.id });
    expect(gh.state.releases).toHaveLength(0);
  });

  it('serves deployments and statuses, with auto_inactive and required contexts', async () => {
    const [commit] = gh.state.addCommitChain({ owner, repo }, 1);
    gh.state.setRef({ owner, repo }, 'iris@v1.0.0', commit!.sha);
    await octokit.rest.repos.createCommitStatus({
      owner,
      repo,
      sha: commit!.sha,
      state: 'failure',
      context: 'ci',
    });
    await expect(
      octokit.rest.repos.createDeployment({
        owner,
        repo,
        ref: 'iris@v1.0.0',
        environment: 'staging',
      }),
    ).rejects.toMatchObject({ status: 409 });

    const create = () =>
      octokit.rest.repos.createDeployment({
        owner,
        repo,
        ref: 'iris@v1.0.0',
        environment: 'staging',
        required_contexts: [],
        payload: { model: 'iris' },
      });
    const first = (await create()).data as { id: number; sha: string };
    expect(first.sha).toBe(commit!.sha);
    await octokit.rest.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: first.id,
      state: 'success',
    });
    const second = (await create()).data as { id: number };
    await octokit.rest.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: second.id,
      state: 'success',
    });

    const { data: statuses } = await octokit.rest.repos.listDeploymentStatuses({
      owner,
      repo,
      deployment_id: first.id,
    });
    expect(statuses.map((s) => s.state)).toEqual(['inactive', 'success']);
    const { data: list } = await octokit.rest.repos.listDeployments({
      owner,
      repo,
      environment: 'staging',
    });
    expect(list.map((d) => d.id)).toEqual([second.id, first.id]);
    await expect(
      octokit.rest.repos.deleteDeployment({ owner, repo, deployment_id: second.id }),
    ).rejects.toMatchObject({ status: 422 });
    await octokit.rest.repos.deleteDeployment({ owner, repo, deployment_id: first.id });
    const { data: one } = await octokit.rest.repos.getDeployment({
      owner,
      repo,
      deployment_id: second.id,
    });
    expect(one.payload).toEqual({ model: 'iris' });
  });

  it('updates and deletes comments, and rejects bodies over 65536 characters', async () => {
    const { data } = await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: 5,
      body: 'a',
    });
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: data.id, body: 'b' });
    expect(
      (await octokit.rest.issues.getComment({ owner, repo, comment_id: data.id })).data.body,
    ).toBe('b');
    await expect(
      octokit.rest.issues.createComment({ owner, repo, issue_number: 5, body: 'x'.repeat(65_537) }),
    ).rejects.toMatchObject({ status: 422 });
    await octokit.rest.issues.deleteComment({ owner, repo, comment_id: data.id });
    expect(gh.state.issueComments).toHaveLength(0);
    const { data: rate } = await octokit.rest.rateLimit.get();
    expect(rate.rate.limit).toBe(5000);
  });
});
