import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient, type GitHubClient } from '../../../src/github/github-client.js';
import {
  MarkerMissingError,
  NoWritePermissionError,
  upsertStickyComment,
} from '../../../src/github/sticky-comment.js';
import {
  DEFAULT_TOKENS,
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';

const owner = 'acme';
const repo = 'ml';
const issueNumber = 12;
const marker = '<!-- ghml:compare:iris -->';
const CREATE = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';
const UPDATE = 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}';
const DELETE = 'DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}';

let gh: GitHubEmulator;

/** A GitHub App's installation token: writes as `ml-app[bot]`; `GET /user` answers 403. */
const APP_TOKEN = 'ghs_EmulatorAppInstallationToken000000009';

beforeEach(async () => {
  gh = await startGitHubEmulator({
    tokens: { ...DEFAULT_TOKENS, [APP_TOKEN]: { login: 'ml-app[bot]', type: 'Bot' } },
  });
});

afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});

function client(token: string = TEST_TOKENS.actions): GitHubClient {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  return createGitHubClient({
    token,
    baseUrl: gh.url,
    env: {},
    timeUnitMs: 1,
    minWriteIntervalMs: 0,
    log: quiet,
  });
}

const bodyWith = (text: string): string => `${marker}\n## Comparison\n${text}\n`;

function upsert(text: string, c: GitHubClient = client(), extra: { authorLogin?: string } = {}) {
  return upsertStickyComment({
    client: c,
    owner,
    repo,
    issueNumber,
    marker,
    body: bodyWith(text),
    ...extra,
  });
}

function ours() {
  return gh.state.commentsOn({ owner, repo }, issueNumber).filter((c) => c.body.includes(marker));
}

describe('upsertStickyComment', () => {
  it('creates the comment as the token identity', async () => {
    const result = await upsert('v1');
    expect(result.action).toBe('created');
    const [comment] = ours();
    expect(comment).toMatchObject({ id: result.id, body: bodyWith('v1') });
    expect(comment?.user.login).toBe('github-actions[bot]');
    expect(result.url).toBe(`${gh.webUrl}/acme/ml/pull/12#issuecomment-${result.id}`);
  });

  it('updates the same comment on the second call', async () => {
    const first = await upsert('v1');
    const second = await upsert('v2');
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    expect(ours().map((c) => c.body)).toEqual([bodyWith('v2')]);
    expect(gh.requests.count(CREATE)).toBe(1);
    expect(gh.requests.count(UPDATE)).toBe(1);
  });

  it('makes no write request when the body is unchanged', async () => {
    const first = await upsert('same');
    gh.requests.clear();
    const again = await upsert('same');
    expect(again).toMatchObject({ action: 'unchanged', id: first.id, url: first.url });
    expect(gh.requests.writes()).toEqual([]);
  });

  it('finds our comment on page 3 of 250 and updates it instead of adding one', async () => {
    for (let i = 1; i <= 250; i++) {
      const mine = i === 230;
      gh.state.addIssueComment({
        owner,
        repo,
        issueNumber,
        author: mine ? 'github-actions[bot]' : `user${i % 7}`,
        body: mine ? bodyWith('old') : `chatter ${i}`,
      });
    }
    const target = gh.state.commentsOn({ owner, repo }, issueNumber)[229];
    const result = await upsert('new');
    expect(result).toMatchObject({ action: 'updated', id: target?.id });
    expect(gh.requests.count(CREATE)).toBe(0);
    const pages = gh.requests.filter('GET /repos/{owner}/{repo}/issues/{issue_number}/comments');
    expect(pages.map((r) => r.query['page'] ?? '1')).toEqual(['1', '2', '3']);
    expect(pages.every((r) => r.query['per_page'] === '100')).toBe(true);
    expect(gh.state.commentsOn({ owner, repo }, issueNumber)).toHaveLength(250);
    expect(ours().map((c) => c.body)).toEqual([bodyWith('new')]);
  });

  it("ignores other users' comments that carry the same marker", async () => {
    const quoted = gh.state.addIssueComment({
      owner,
      repo,
      issueNumber,
      author: 'mallory',
      body: bodyWith('fake'),
    });
    const result = await upsert('real');
    expect(result.action).toBe('created');
    expect(result.id).not.toBe(quoted.id);
    expect(gh.state.comment({ owner, repo }, quoted.id)?.body).toBe(bodyWith('fake'));
    expect(gh.requests.count(UPDATE)).toBe(0);
  });

  it('tells our own comments apart by login for user tokens (GET /user)', async () => {
    gh.state.addIssueComment({
      owner,
      repo,
      issueNumber,
      author: 'github-actions[bot]',
      body: bodyWith('bot'),
    });
    const result = await upsert('mine', client(TEST_TOKENS.user));
    expect(result.action).toBe('created');
    expect(ours().map((c) => c.user.login)).toEqual(['github-actions[bot]', 'octocat']);
  });

  it('honours an explicit author login (GitHub App tokens)', async () => {
    gh.state.addIssueComment({
      owner,
      repo,
      issueNumber,
      author: 'octocat',
      body: bodyWith('old'),
    });
    // The user token writes as octocat; with the override no GET /user is needed.
    const result = await upsert('new', client(TEST_TOKENS.user), { authorLogin: 'octocat' });
    expect(result.action).toBe('updated');
    expect(gh.requests.count('GET /user')).toBe(0);
  });

  it('keeps one comment across runs with a GitHub App token (GET /user answers 403)', async () => {
    const first = await upsert('run 1', client(APP_TOKEN));
    expect(first.action).toBe('created');
    // Each workflow run is a new process with a new client.
    const second = await upsert('run 2', client(APP_TOKEN));
    const third = await upsert('run 2', client(APP_TOKEN));
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    expect(third).toMatchObject({ action: 'unchanged', id: first.id });
    expect(ours().map((c) => [c.user.login, c.body])).toEqual([['ml-app[bot]', bodyWith('run 2')]]);
    expect(gh.requests.count(CREATE)).toBe(1);
  });

  it('learns the login from the comment it creates and stops asking GET /user', async () => {
    const c = client(APP_TOKEN);
    await upsert('e1', c);
    const other = '<!-- ghml:compare:e2 -->';
    await upsertStickyComment({
      client: c,
      owner,
      repo,
      issueNumber,
      marker: other,
      body: `${other}\nx\n`,
    });
    expect(gh.requests.count('GET /user')).toBe(1);
    // With the login learned, another bot's comment carrying the marker is not ours.
    gh.state.addIssueComment({
      owner,
      repo,
      issueNumber,
      author: 'other-app[bot]',
      authorType: 'Bot',
      body: bodyWith('impostor'),
    });
    expect(await upsert('e1 again', c)).toMatchObject({ action: 'updated' });
    expect(gh.state.commentsOn({ owner, repo }, issueNumber).map((x) => x.body)).toContain(
      bodyWith('impostor'),
    );
  });

  it('honours the author override for an App token without asking GET /user', async () => {
    await upsert('v1', client(APP_TOKEN), { authorLogin: 'ml-app[bot]' });
    const again = await upsert('v2', client(APP_TOKEN), { authorLogin: 'ml-app[bot]' });
    expect(again.action).toBe('updated');
    expect(gh.requests.count('GET /user')).toBe(0);
    expect(ours()).toHaveLength(1);
  });

  it.each([
    ['a user', 'mallory', 'User'],
    ['another bot', 'other-app[bot]', 'Bot'],
    ['the same bot', 'github-actions[bot]', 'Bot'],
  ] as const)(
    'never overwrites a comment by %s that quotes the marker after its start',
    async (_who, author, authorType) => {
      const quoting = `> see ${marker}\n${bodyWith('quoted')}`;
      const quote = gh.state.addIssueComment({
        owner,
        repo,
        issueNumber,
        author,
        authorType,
        body: quoting,
      });
      const indented = gh.state.addIssueComment({
        owner,
        repo,
        issueNumber,
        author,
        authorType,
        body: ` ${bodyWith('indented')}`,
      });
      const result = await upsert('real');
      expect(result.action).toBe('created');
      expect(gh.state.comment({ owner, repo }, quote.id)?.body).toBe(quoting);
      expect(gh.state.comment({ owner, repo }, indented.id)?.body).toBe(` ${bodyWith('indented')}`);
      expect(gh.requests.count(UPDATE)).toBe(0);
      expect(gh.requests.count(DELETE)).toBe(0);
    },
  );

  it('ends a concurrent create–create race with exactly one comment', async () => {
    const [a, b] = await Promise.all([
      upsert('from job A', client()),
      upsert('from job B', client()),
    ]);
    const left = ours();
    expect(left).toHaveLength(1);
    expect(gh.requests.count(CREATE)).toBe(2);
    expect(gh.requests.count(DELETE)).toBeGreaterThanOrEqual(1);
    // Both jobs report the surviving comment; it holds the body of the last one created.
    expect(a.id).toBe(left[0]?.id);
    expect(b.id).toBe(left[0]?.id);
    expect([a.action, b.action].sort()).toEqual(['created', 'updated']);
    const lastCreate = gh.requests.filter(CREATE)[1]?.body as { body: string };
    expect(left[0]?.body).toBe(lastCreate.body);
  });

  it('cleans up duplicates left by an earlier race', async () => {
    const first = gh.state.addIssueComment({
      owner,
      repo,
      issueNumber,
      author: 'github-actions[bot]',
      body: bodyWith('a'),
    });
    gh.state.addIssueComment({
      owner,
      repo,
      issueNumber,
      author: 'github-actions[bot]',
      body: bodyWith('b'),
    });
    const result = await upsert('c');
    expect(result).toMatchObject({ action: 'updated', id: first.id });
    expect(ours().map((c) => c.body)).toEqual([bodyWith('c')]);
  });

  it('throws NoWritePermissionError for a read-only (fork PR) token and writes nothing', async () => {
    const error = await upsert('x', client(TEST_TOKENS.readOnly)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoWritePermissionError);
    expect((error as NoWritePermissionError).status).toBe(403);
    expect((error as NoWritePermissionError).hint).toContain('pull-requests: write');
    expect((error as Error).message).toContain('Resource not accessible by integration');
    expect(gh.state.issueComments).toHaveLength(0);
  });

  it('refuses a body that does not start with its marker', async () => {
    await expect(
      upsertStickyComment({
        client: client(),
        owner,
        repo,
        issueNumber,
        marker,
        body: `intro\n${marker}\n`,
      }),
    ).rejects.toBeInstanceOf(MarkerMissingError);
    expect(gh.requests.count()).toBe(0);
  });

  it('refuses a body that does not contain its marker', async () => {
    await expect(
      upsertStickyComment({
        client: client(),
        owner,
        repo,
        issueNumber,
        marker,
        body: 'no marker',
      }),
    ).rejects.toBeInstanceOf(MarkerMissingError);
    expect(gh.requests.count()).toBe(0);
  });
});
