/**
 * The hash state reuses a file's sha256 while its inode, mtime and size are unchanged (DVC's
 * state database), rehashes when any changes, and survives a damaged state file; the lock file
 * refuses what it cannot read with a fix; the cache key follows command, deps and params.
 */
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HashState } from '../../../src/pipeline/state/hash-state.js';
import { LockFile, LockFileError } from '../../../src/pipeline/state/lock-file.js';
import { PathHasher, sha256File } from '../../../src/pipeline/state/path-hasher.js';
import { cacheKey } from '../../../src/pipeline/state/stage-status.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

afterAll(() => cleanupTempDirs());

function tree(): string {
  const dir = tempDir('ghml-state-');
  mkdirSync(join(dir, 'data/sub'), { recursive: true });
  writeFileSync(join(dir, 'data/a.txt'), 'a\n');
  writeFileSync(join(dir, 'data/sub/b.txt'), 'b\n');
  return dir;
}

describe('hashing with the state database', () => {
  it('reads each file once, then finds it by inode, mtime and size', () => {
    const dir = tree();
    const stateFile = join(dir, 'state.json');
    const state = HashState.open(stateFile);
    const first = new PathHasher(dir, state);
    const hashed = first.hash('data');
    expect(first.filesRead).toBe(2);
    expect(hashed?.nfiles).toBe(2);
    expect(hashed?.hash).toMatch(/^[0-9a-f]{64}\.dir$/);
    expect(hashed?.manifest).toEqual([
      ['a.txt', sha256File(join(dir, 'data/a.txt')), 2],
      ['sub/b.txt', sha256File(join(dir, 'data/sub/b.txt')), 2],
    ]);
    // In another process (a new state object reading the saved file): nothing is read.
    state.save();
    const second = new PathHasher(dir, HashState.open(stateFile));
    expect(second.hash('data')?.hash).toBe(hashed?.hash);
    expect(second.filesRead).toBe(0);
  });

  it('rehashes a file whose mtime or size changed, and only that one', () => {
    const dir = tree();
    const state = HashState.open(null);
    const hasher = new PathHasher(dir, state);
    const before = hasher.hash('data')?.hash;
    writeFileSync(join(dir, 'data/a.txt'), 'A\n'); // same size, new mtime
    utimesSync(join(dir, 'data/a.txt'), new Date(2000, 1, 1), new Date(2000, 1, 1));
    const after = hasher.hash('data');
    expect(hasher.filesRead).toBe(3);
    expect(after?.hash).not.toBe(before);
  });

  it('starts over from a damaged state file', () => {
    const dir = tree();
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, '{"format": "ghml.state/1", "entries": ');
    const hasher = new PathHasher(dir, HashState.open(stateFile));
    expect(hasher.hash('data/a.txt')?.hash).toBe(sha256File(join(dir, 'data/a.txt')));
    expect(hasher.hash('missing.txt')).toBeUndefined();
  });
});

describe('ghml.lock', () => {
  it('round-trips, sorted by stage, and is refused with a fix when damaged', () => {
    const dir = tempDir('ghml-lock-');
    const lock = LockFile.read(dir);
    const entry = { cmd: ['echo'], key: 'k', deps: [], params: {}, outs: [] };
    lock.set('z', entry);
    lock.set('a', entry);
    lock.write();
    const text = readFileSync(join(dir, 'ghml.lock'), 'utf8');
    expect(Object.keys((JSON.parse(text) as { stages: object }).stages)).toEqual(['a', 'z']);
    expect(LockFile.read(dir).get('z')).toEqual(entry);
    writeFileSync(join(dir, 'ghml.lock'), '{ broken');
    expect(() => LockFile.read(dir)).toThrow(LockFileError);
    try {
      LockFile.read(dir);
    } catch (error) {
      expect((error as LockFileError).hint).toContain('git checkout -- ghml.lock');
    }
  });
});

describe('the cache key', () => {
  it('changes with the command, a dep hash or a param value, and not with dep order', () => {
    const deps = [
      { path: 'a', hash: '1' },
      { path: 'b', hash: '2' },
    ];
    const params = { 'params.yaml': { lr: 0.1 } };
    const key = cacheKey(['python train.py'], deps, params);
    expect(cacheKey(['python train.py'], [...deps].reverse(), params)).toBe(key);
    expect(cacheKey(['python train.py --x'], deps, params)).not.toBe(key);
    expect(
      cacheKey(
        ['python train.py'],
        [deps[0] as { path: string; hash: string }, { path: 'b', hash: '3' }],
        params,
      ),
    ).not.toBe(key);
    expect(cacheKey(['python train.py'], deps, { 'params.yaml': { lr: 0.2 } })).not.toBe(key);
  });
});
