import { describe, expect, it } from 'vitest';
import { commitDir, parseRunPath, runPath } from '../../../src/tracking/store/run-path.js';
import { InvalidNameError } from '../../../src/tracking/tracking-errors.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const SHA256 = 'ab'.repeat(32);
const ID = '01HV5Z3K8Q9W7X6Y5T4S3R2P1N';

describe('runPath', () => {
  it('fans out on the commit sha', () => {
    expect(runPath('iris', SHA, ID)).toBe(
      `runs/iris/01/23456789abcdef0123456789abcdef01234567/${ID}`,
    );
    expect(commitDir('iris', SHA)).toBe('runs/iris/01/23456789abcdef0123456789abcdef01234567');
  });

  it('accepts sha-256 commits', () => {
    expect(runPath('a.b_c-d', SHA256, ID)).toBe(`runs/a.b_c-d/ab/${SHA256.slice(2)}/${ID}`);
  });

  it('round-trips through parseRunPath', () => {
    const path = runPath('iris', SHA, ID);
    expect(parseRunPath(path)).toEqual({ experiment: 'iris', commit: SHA, runId: ID });
  });

  it.each([
    ['experiment', () => runPath('../etc', SHA, ID), "'../etc'"],
    ['experiment', () => runPath('', SHA, ID), "''"],
    ['experiment', () => runPath('-x', SHA, ID), "'-x'"],
    ['experiment', () => runPath('a/b', SHA, ID), "'a/b'"],
    ['experiment', () => runPath('x'.repeat(101), SHA, ID), 'x'.repeat(101)],
    ['experiment', () => runPath('ref.lock', SHA, ID), "'ref.lock'"],
    ['commit', () => runPath('iris', 'abc123', ID), "'abc123'"],
    ['commit', () => runPath('iris', SHA.toUpperCase(), ID), SHA.toUpperCase()],
    ['run id', () => runPath('iris', SHA, 'not-a-ulid'), "'not-a-ulid'"],
    ['run id', () => runPath('iris', SHA, ID.toLowerCase()), ID.toLowerCase()],
  ])('refuses a bad %s with a clear error', (what, call, quoted) => {
    expect(call).toThrow(InvalidNameError);
    expect(call).toThrow(what);
    expect(call).toThrow(quoted);
  });

  it.each([
    'runs/iris/01/23456789abcdef0123456789abcdef01234567',
    `other/iris/01/23456789abcdef0123456789abcdef01234567/${ID}`,
    `runs/iris/012/3456789abcdef0123456789abcdef01234567/${ID}`,
    `runs/../01/23456789abcdef0123456789abcdef01234567/${ID}`,
    `runs/iris/01/23456789abcdef0123456789abcdef01234567/${ID}/run.json`,
  ])('parseRunPath returns undefined for %s', (path) => {
    expect(parseRunPath(path)).toBeUndefined();
  });
});
