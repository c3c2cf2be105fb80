import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import {
  GitCommandError,
  NoCommitsError,
  NotARepositoryError,
} from '../../../src/git/git-errors.js';
import {
  cleanupTempDirs,
  cloneRepo,
  commitFile,
  git,
  makeBareRemote,
  makeRepo,
  tempDir,
} from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

describe('createGit', () => {
  it('refuses a folder outside any repository', async () => {
    const dir = tempDir();
    await expect(createGit(dir)).rejects.toThrow(NotARepositoryError);
    await expect(createGit(dir)).rejects.toThrow(`not a git repository: '${dir}'`);
    const error = await createGit(dir).catch((e: unknown) => e);
    expect((error as NotARepositoryError).hint).toBe('run ghml inside a repository or pass --repo');
  });

  it('refuses a folder that does not exist', async () => {
    await expect(createGit('/nonexistent/ghml/dir')).rejects.toThrow(NotARepositoryError);
  });

  it('finds the top level from a subfolder', async () => {
    const repo = makeRepo();
    mkdirSync(join(repo, 'a', 'b'), { recursive: true });
    const g = await createGit(join(repo, 'a', 'b'));
    expect(g.cwd).toBe(realpathSync(repo));
    expect(await g.topLevel()).toBe(realpathSync(repo));
    expect(await g.gitDir()).toBe(join(realpathSync(repo), '.git'));
  });

  it('opens a bare repository at its git dir', async () => {
    const bare = makeBareRemote();
    const g = await createGit(bare);
    expect(g.cwd).toBe(realpathSync(bare));
  });
});

describe('Git', () => {
  it('headCommit throws NoCommitsError in an empty repository', async () => {
    const g = await createGit(makeRepo({ commit: false }));
    await expect(g.headCommit()).rejects.toThrow(NoCommitsError);
    await expect(g.headCommit()).rejects.toThrow('this repository has no commits yet');
    expect(await g.currentBranch()).toBe('main');
  });

  it('reads commits, branches and dirtiness', async () => {
    const repo = makeRepo();
    const g = await createGit(repo);
    const head = git(repo, 'rev-parse', 'HEAD');
    expect(await g.headCommit()).toBe(head);
    expect(await g.revParse('main')).toBe(head);
    expect(await g.tryRevParse('no-such-branch')).toBeUndefined();
    await expect(g.revParse('no-such-branch')).rejects.toThrow(GitCommandError);
    await expect(g.tryRevParse('--help')).rejects.toThrow("invalid revision: '--help'");
    expect(await g.currentBranch()).toBe('main');
    expect(await g.isDirty()).toBe(false);
    writeFileSync(join(repo, 'untracked.txt'), 'x');
    expect(await g.isDirty()).toBe(false);
    writeFileSync(join(repo, 'README.md'), 'changed');
    expect(await g.isDirty()).toBe(true);
    git(repo, 'checkout', '-q', '--detach');
    expect(await g.currentBranch()).toBeNull();
  });

  it('lists remotes and knows shallow clones', async () => {
    const origin = makeBareRemote();
    const repo = makeRepo();
    commitFile(repo, 'a.txt', 'a');
    git(repo, 'remote', 'add', 'origin', `file://${origin}`);
    git(repo, 'push', '-q', 'origin', 'main');
    const g = await createGit(repo);
    expect(await g.remotes()).toEqual([
      { name: 'origin', fetchUrl: `file://${origin}`, pushUrl: `file://${origin}` },
    ]);
    expect(await g.hasRemote('origin')).toBe(true);
    expect(await g.hasRemote('upstream')).toBe(false);
    expect(await g.isShallow()).toBe(false);
    const shallow = await createGit(cloneRepo(origin, ['--depth', '1']));
    expect(await shallow.isShallow()).toBe(true);
  });

  it('forEachRef returns one record per ref with the asked fields', async () => {
    const repo = makeRepo();
    git(repo, 'tag', '-a', 'v1', '-m', 'line one\nline two');
    git(repo, 'tag', 'light');
    const g = await createGit(repo);
    const rows = await g.forEachRef('refs/tags', ['refname', 'objecttype', 'contents']);
    expect(rows).toEqual([
      { refname: 'refs/tags/light', objecttype: 'commit', contents: 'initial\n' },
      { refname: 'refs/tags/v1', objecttype: 'tag', contents: 'line one\nline two\n' },
    ]);
    expect(await g.forEachRef('refs/nothing', ['refname'])).toEqual([]);
  });

  it('lsTree lists a folder and tryLsTree tolerates a missing one', async () => {
    const repo = makeRepo();
    commitFile(repo, 'dir/with space.txt', 'x');
    const g = await createGit(repo);
    const entries = await g.lsTree('HEAD', 'dir');
    expect(entries).toEqual([
      {
        mode: '100644',
        type: 'blob',
        oid: git(repo, 'rev-parse', 'HEAD:dir/with space.txt'),
        name: 'with space.txt',
      },
    ]);
    expect((await g.lsTree('HEAD')).map((e) => e.name)).toEqual(['README.md', 'dir']);
    expect(await g.tryLsTree('HEAD', 'missing')).toBeUndefined();
    await expect(g.lsTree('HEAD', 'missing')).rejects.toThrow(GitCommandError);
  });

  it('writes blobs and commits without touching the index, and updates refs by compare-and-swap', async () => {
    const repo = makeRepo();
    const g = await createGit(repo);
    const [a, b] = await g.writeBlobs(['hello\n', Buffer.from([0, 1, 2])]);
    expect(git(repo, 'cat-file', '-p', a!)).toBe('hello');
    expect(git(repo, 'cat-file', '-s', b!)).toBe('3');
    const writer = g.openTreeWriter();
    const tree = await writer.write([{ mode: '100644', type: 'blob', oid: a!, name: 'a.txt' }]);
    await writer.close();
    const commit = await g.commitTree({ tree, parents: [], message: 'first\n' });
    expect(await g.tryUpdateRef('refs/heads/x', commit, null)).toBe(true);
    expect(await g.tryUpdateRef('refs/heads/x', commit, null)).toBe(false);
    const second = await g.commitTree({ tree, parents: [commit], message: 'second\n' });
    expect(await g.tryUpdateRef('refs/heads/x', second, second)).toBe(false);
    expect(await g.tryUpdateRef('refs/heads/x', second, commit)).toBe(true);
    expect(git(repo, 'rev-parse', 'refs/heads/x')).toBe(second);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('commitTree falls back to an identity when none is configured', async () => {
    const repo = makeRepo();
    git(repo, 'config', '--unset', 'user.name');
    git(repo, 'config', '--unset', 'user.email');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: tempDir(),
      GIT_CONFIG_NOSYSTEM: '1',
    };
    const g = await createGit(repo, { env });
    const tree = git(repo, 'rev-parse', 'HEAD^{tree}');
    await expect(g.commitTree({ tree, parents: [], message: 'x\n' })).rejects.toThrow(
      GitCommandError,
    );
    const oid = await g.commitTree({
      tree,
      parents: [],
      message: 'x\n',
      fallbackIdentity: { name: 'ghml', email: 'ghml@example.com' },
    });
    expect(git(repo, 'log', '-1', '--format=%an <%ae>', oid)).toBe('ghml <ghml@example.com>');
  });
});

describe('promisorRemote', () => {
  it('is undefined in a full clone', async () => {
    const g = await createGit(cloneRepo(makeBareRemote()));
    expect(await g.promisorRemote()).toBeUndefined();
    expect(await g.isPartialClone()).toBe(false);
  });

  it('reads remote.<name>.promisor, as `git clone --filter` writes it', async () => {
    const repo = makeRepo();
    git(repo, 'config', 'remote.up.stream.url', 'file:///nowhere');
    git(repo, 'config', 'remote.up.stream.promisor', 'yes');
    const g = await createGit(repo);
    expect(await g.promisorRemote()).toBe('up.stream');
    expect(await g.isPartialClone()).toBe(true);
  });

  it('prefers extensions.partialClone, as a filtered fetch writes it', async () => {
    const repo = makeRepo();
    git(repo, 'config', 'core.repositoryformatversion', '1');
    git(repo, 'config', 'extensions.partialClone', 'origin');
    git(repo, 'config', 'remote.other.promisor', 'true');
    expect(await (await createGit(repo)).promisorRemote()).toBe('origin');
  });
});
