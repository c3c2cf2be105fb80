import { afterAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import { buildTree, setTreeEntry } from '../../../src/git/tree-edit.js';
import { cleanupTempDirs, commitFile, git, makeRepo } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

describe('tree editing', () => {
  it('builds nested trees and sets an entry deep in an existing tree', async () => {
    const repo = makeRepo();
    commitFile(repo, 'keep/me.txt', 'keep\n');
    const g = await createGit(repo);
    const [a, b] = await g.writeBlobs(['a\n', 'b\n']);
    const reader = g.openObjectReader();
    const writer = g.openTreeWriter();
    try {
      const sub = await buildTree(writer, [
        { path: 'a.txt', oid: a! },
        { path: 'deep/er/b.txt', oid: b! },
        { path: 'deep/x.sh', oid: b!, mode: '100755' },
      ]);
      const root = git(repo, 'rev-parse', 'HEAD^{tree}');
      const result = await setTreeEntry(reader, writer, root, 'keep/new/dir', {
        mode: '040000',
        type: 'tree',
        oid: sub,
      });
      if (!('tree' in result)) throw new Error('expected a new tree');
      const listing = git(repo, 'ls-tree', '-r', '--name-only', result.tree).split('\n');
      expect(listing).toEqual([
        'README.md',
        'keep/me.txt',
        'keep/new/dir/a.txt',
        'keep/new/dir/deep/er/b.txt',
        'keep/new/dir/deep/x.sh',
      ]);
      expect(git(repo, 'ls-tree', result.tree, 'keep/new/dir/deep/x.sh').split(' ')[0]).toBe(
        '100755',
      );
      const again = await setTreeEntry(reader, writer, result.tree, 'keep/new/dir', {
        mode: '040000',
        type: 'tree',
        oid: sub,
      });
      expect(again).toEqual({ existing: { mode: '040000', type: 'tree', oid: sub, name: 'dir' } });
      const fresh = await setTreeEntry(reader, writer, undefined, 'x/y.txt', {
        mode: '100644',
        type: 'blob',
        oid: a!,
      });
      if (!('tree' in fresh)) throw new Error('expected a new tree');
      expect(git(repo, 'ls-tree', '-r', '--name-only', fresh.tree)).toBe('x/y.txt');
      await expect(
        setTreeEntry(reader, writer, root, 'README.md/inside', {
          mode: '100644',
          type: 'blob',
          oid: a!,
        }),
      ).rejects.toThrow('a file is in the way');
    } finally {
      await Promise.all([reader.close(), writer.close()]);
    }
    expect(git(repo, 'fsck', '--strict', '--no-dangling')).toBe('');
  });

  it.each(['../x', 'a//b', '', 'a/./b', '.git/config', 'a\nb'])(
    'refuses the path %j',
    async (path) => {
      const repo = makeRepo();
      const g = await createGit(repo);
      const [a] = await g.writeBlobs(['a']);
      const writer = g.openTreeWriter();
      await expect(buildTree(writer, [{ path, oid: a! }])).rejects.toThrow('invalid path');
      await writer.close();
    },
  );
});
