import { describe, expect, it } from 'vitest';
import type { GitHubClient } from '../../../src/github/github-client.js';
import {
  releaseDownloadUrl,
  repoFromRemoteUrl,
  resolveReleaseTarget,
} from '../../../src/registry/releases/release-target.js';
import { uploadBaseUrl } from '../../../src/registry/releases/release-client.js';

const fakeClient = {} as GitHubClient;
const createClient = (): GitHubClient => fakeClient;

describe('repoFromRemoteUrl', () => {
  it.each([
    ['https://github.com/acme/ml.git', 'acme', 'ml'],
    ['https://github.com/acme/ml', 'acme', 'ml'],
    ['git@github.com:acme/ml.git', 'acme', 'ml'],
    ['ssh://git@github.com/acme/ml.git', 'acme', 'ml'],
    ['https://GitHub.com/acme/ml.js.git', 'acme', 'ml.js'],
  ])('reads %s', (url, owner, repo) => {
    expect(repoFromRemoteUrl(url)).toEqual({
      repo: { owner, repo },
      serverUrl: 'https://github.com',
    });
  });

  it('accepts the GHES host the environment names, and nothing else', () => {
    const env = { GITHUB_SERVER_URL: 'https://ghe.example.com' };
    expect(repoFromRemoteUrl('git@ghe.example.com:team/models.git', env)).toEqual({
      repo: { owner: 'team', repo: 'models' },
      serverUrl: 'https://ghe.example.com',
    });
    expect(repoFromRemoteUrl('https://gitlab.com/acme/ml.git')).toBeUndefined();
    expect(repoFromRemoteUrl('/srv/git/ml.git')).toBeUndefined();
    expect(repoFromRemoteUrl('file:///tmp/origin')).toBeUndefined();
    expect(repoFromRemoteUrl('https://github.com/acme/ml/extra')).toBeUndefined();
    expect(repoFromRemoteUrl('https://github.com/-bad/ml')).toBeUndefined();
  });
});

describe('resolveReleaseTarget', () => {
  it('needs a repository and a token, and says which is missing', () => {
    expect(resolveReleaseTarget({ env: {}, remoteUrl: undefined, createClient })).toEqual({
      target: undefined,
      reason: 'no GitHub repository (set GITHUB_REPOSITORY, or use a github.com origin)',
    });
    expect(
      resolveReleaseTarget({
        env: {},
        remoteUrl: 'https://github.com/acme/ml.git',
        createClient,
      }),
    ).toEqual({ target: undefined, reason: 'no GitHub token (set GITHUB_TOKEN or GH_TOKEN)' });
  });

  it('prefers GITHUB_REPOSITORY, else the origin URL', () => {
    const env = { GH_TOKEN: 'ghp_0123456789abcdefghij', GITHUB_REPOSITORY: 'octo/models' };
    expect(
      resolveReleaseTarget({ env, remoteUrl: 'git@github.com:acme/ml.git', createClient }),
    ).toEqual({
      target: {
        client: fakeClient,
        repo: { owner: 'octo', repo: 'models' },
        serverUrl: 'https://github.com',
      },
    });
    const noRepo = { GH_TOKEN: env.GH_TOKEN };
    expect(
      resolveReleaseTarget({ env: noRepo, remoteUrl: 'git@github.com:acme/ml.git', createClient })
        .target?.repo,
    ).toEqual({ owner: 'acme', repo: 'ml' });
  });
});

describe('URLs', () => {
  it('builds browser download URLs and upload bases', () => {
    expect(
      releaseDownloadUrl(
        'https://github.com',
        { owner: 'acme', repo: 'ml' },
        'team/churn@v1.0.0',
        'model.pkl',
      ),
    ).toBe('https://github.com/acme/ml/releases/download/team%2Fchurn%40v1.0.0/model.pkl');
    expect(
      uploadBaseUrl('https://uploads.github.com/repos/acme/ml/releases/1/assets{?name,label}'),
    ).toBe('https://uploads.github.com');
    expect(
      uploadBaseUrl(
        'https://ghe.example.com/api/uploads/repos/acme/ml/releases/1/assets{?name,label}',
      ),
    ).toBe('https://ghe.example.com/api/uploads');
  });
});
