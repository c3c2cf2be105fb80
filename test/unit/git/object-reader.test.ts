import { afterAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import { cleanupTempDirs, commitFile, git, makeRepo } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

describe('openObjectReader', () => {
  it('reads many objects through one process, in order, including missing ones', async () => {
    const repo = makeRepo();
    commitFile(repo, 'dir/a b.txt', 'first\n');
    commitFile(repo, 'empty.txt', '');
    const g = await createGit(repo);
    const reader = g.openObjectReader();
    try {
      const [a, missing, empty, tree, binary] = await Promise.all([
        reader.read('HEAD:dir/a b.txt'),
        reader.read('HEAD:nope.txt'),
        reader.read('HEAD:empty.txt'),
        reader.readTree('HEAD:dir'),
        reader.readObject('HEAD'),
      ]);
      expect(a?.toString()).toBe('first\n');
      expect(missing).toBeUndefined();
      expect(empty?.length).toBe(0);
      expect(tree).toEqual([
        {
          mode: '100644',
          type: 'blob',
          oid: git(repo, 'rev-parse', 'HEAD:dir/a b.txt'),
          name: 'a b.txt',
        },
      ]);
      expect(binary?.type).toBe('commit');
      expect(await reader.readTree('HEAD:empty.txt')).toBeUndefined();
    } finally {
      await reader.close();
    }
  });

  it('reads large blobs split across many chunks', async () => {
    const repo = makeRepo();
    const big = 'x'.repeat(3_000_000) + 'end\n';
    commitFile(repo, 'big.txt', big);
    const g = await createGit(repo);
    const reader = g.openObjectReader();
    const [one, two] = await Promise.all([
      reader.read('HEAD:big.txt'),
      reader.read('HEAD:README.md'),
    ]);
    await reader.close();
    expect(one?.toString()).toBe(big);
    expect(two?.toString()).toBe('# test\n');
  });

  it('reads 5,000 objects through the same process', async () => {
    const repo = makeRepo();
    const g = await createGit(repo);
    const oids = await g.writeBlobs(Array.from({ length: 20 }, (_, i) => `blob ${i}\n`));
    const reader = g.openObjectReader();
    const specs = Array.from({ length: 5000 }, (_, i) => oids[i % oids.length]!);
    const out = await Promise.all(specs.map((s) => reader.read(s)));
    await reader.close();
    out.forEach((data, i) => expect(data?.toString()).toBe(`blob ${i % 20}\n`));
  });

  it('refuses names with a newline and fails after close', async () => {
    const g = await createGit(makeRepo());
    const reader = g.openObjectReader();
    await expect(reader.read('HEAD\nHEAD')).rejects.toThrow('invalid object name');
    await reader.close();
    await expect(reader.read('HEAD')).rejects.toThrow();
  });
});
