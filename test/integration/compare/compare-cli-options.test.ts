/**
 * `ghml compare` options through the built CLI: `--head <run-id>`, `--comment` finding the
 * repository from the origin URL when GITHUB_REPOSITORY is unset, and `--comment-author` for
 * GitHub App tokens, against the GitHub emulator.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_TOKENS,
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, commitFile, git, makeRepo } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

const APP_TOKEN = 'ghs_EmulatorAppInstallationToken000000009';
const REPO = { owner: 'acme', repo: 'models' };
const CREATE = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';

let gh: GitHubEmulator;
beforeEach(async () => {
  gh = await startGitHubEmulator({
    tokens: { ...DEFAULT_TOKENS, [APP_TOKEN]: { login: 'ml-app[bot]', type: 'Bot' } },
  });
});
afterEach(async () => {
  await gh.close();
  gh.assertNoViolations();
});

async function train(repo: string, accuracy: number, name: string): Promise<string> {
  const script = join(repo, 'train.sh');
  writeFileSync(script, `#!/bin/sh\nnode "$GHML_CLI" log metric accuracy ${accuracy}\n`);
  chmodSync(script, 0o755);
  const env = ghmlEnv({ GHML_CLI: join(process.cwd(), 'dist/cli.js') });
  const result = await runGhml(['run', '-e', 'iris', '-n', name, '--no-push', '--', './train.sh'], {
    cwd: repo,
    env,
  });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim().split('\n').pop() ?? '';
}

interface JsonReport {
  headCommit: string;
  experiments: Array<{ runs: Array<{ head: { id: string }; base: { id: string } | null }> }>;
}

async function history() {
  const repo = makeRepo();
  const base = git(repo, 'rev-parse', 'HEAD');
  const baseRun = await train(repo, 0.8, 'base');
  const head = commitFile(repo, 'model.txt', 'v2\n');
  const first = await train(repo, 0.9, 'first');
  const second = await train(repo, 0.7, 'second');
  return { repo, base, head, baseRun, first, second };
}

describe('ghml compare --head <run-id>', () => {
  it('compares that one run, by full id, lower-case id or unique prefix', async () => {
    const h = await history();
    for (const head of [h.first, h.first.toLowerCase(), h.first.slice(0, 20)]) {
      const result = await runGhml(['compare', '--no-fetch', '--format', 'json', '--head', head], {
        cwd: h.repo,
        env: ghmlEnv(),
      });
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as JsonReport;
      expect(report.headCommit).toBe(h.head);
      expect(report.experiments[0]?.runs.map((r) => [r.head.id, r.base?.id])).toEqual([
        [h.first, h.baseRun],
      ]);
    }
    // Without --head the latest run at HEAD is compared.
    const latest = await runGhml(['compare', '--no-fetch', '--format', 'json'], {
      cwd: h.repo,
      env: ghmlEnv(),
    });
    const report = JSON.parse(latest.stdout) as JsonReport;
    expect(report.experiments[0]?.runs[0]?.head.id).toBe(h.second);
  });

  it('still takes a revision, and names both forms when --head is neither', async () => {
    const h = await history();
    const byRev = await runGhml(['compare', '--no-fetch', '--format', 'json', '--head', 'HEAD'], {
      cwd: h.repo,
      env: ghmlEnv(),
    });
    expect(byRev.code, byRev.stderr).toBe(0);
    const bad = await runGhml(['compare', '--no-fetch', '--head', 'nope-nope'], {
      cwd: h.repo,
      env: ghmlEnv(),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--head 'nope-nope' is not a commit or a run id");
    expect(bad.stderr).toContain('ghml runs list');
  });
});

describe('ghml compare --comment without GITHUB_REPOSITORY', () => {
  async function pullRequest() {
    const h = await history();
    gh.state.addPullRequest({
      ...REPO,
      number: 3,
      head: { sha: h.head, ref: 'feature' },
      base: { sha: h.base, ref: 'main' },
    });
    return h;
  }

  const env = (token: string) =>
    ghmlEnv({ GITHUB_API_URL: gh.url, GITHUB_TOKEN: token, GITHUB_REPOSITORY: undefined });

  it('reads the repository from the origin URL on the GitHub host', async () => {
    const h = await pullRequest();
    git(h.repo, 'remote', 'add', 'origin', `${gh.url}/acme/models.git`);
    const result = await runGhml(['compare', '--comment', '--no-fetch', '--pr', '3'], {
      cwd: h.repo,
      env: env(TEST_TOKENS.user),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(gh.state.commentsOn(REPO, 3)).toHaveLength(1);
  });

  it('names the environment variable when there is no repository to read', async () => {
    const h = await pullRequest();
    git(h.repo, 'remote', 'add', 'origin', 'https://gitlab.example.com/acme/models.git');
    const result = await runGhml(['compare', '--comment', '--no-fetch', '--pr', '3'], {
      cwd: h.repo,
      env: env(TEST_TOKENS.user),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('GITHUB_REPOSITORY=owner/name');
    expect(result.stderr).toContain('--github-repository');
    expect(gh.requests.writes()).toEqual([]);
  });

  it('--comment-author keeps one comment for a GitHub App token and skips GET /user', async () => {
    const h = await pullRequest();
    const args = [
      'compare',
      '--comment',
      '--no-fetch',
      '--pr',
      '3',
      '--github-repository',
      'acme/models',
      '--comment-author',
      'ml-app[bot]',
    ];
    for (let i = 0; i < 2; i++) {
      const result = await runGhml(args, { cwd: h.repo, env: env(APP_TOKEN) });
      expect(result.code, result.stderr).toBe(0);
    }
    expect(gh.requests.count(CREATE)).toBe(1);
    expect(gh.requests.count('GET /user')).toBe(0);
    expect(gh.state.commentsOn(REPO, 3).map((c) => c.user.login)).toEqual(['ml-app[bot]']);
  });

  it('refuses a --comment-author that is not a login before touching anything', async () => {
    const h = await pullRequest();
    const result = await runGhml(
      ['compare', '--comment', '--no-fetch', '--comment-author', 'not a login!'],
      { cwd: h.repo, env: env(APP_TOKEN) },
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("Invalid --comment-author 'not a login!'");
    expect(gh.requests.count()).toBe(0);
  });
});
