import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isValidRefName, refNameProblem } from '../../../src/registry/tags/ref-format.js';

const CASES = [
  'refs/tags/churn@v1.0.0',
  'refs/tags/churn#prod#3',
  'refs/tags/churn#prod!#4',
  'refs/tags/models=churn@v1.0.0',
  'refs/tags/a..b',
  'refs/tags/a.lock',
  'refs/tags/a.lock/b',
  'refs/tags/a/',
  'refs/tags//a',
  'refs/tags/a//b',
  'refs/tags/.a',
  'refs/tags/a/.b',
  'refs/tags/a.',
  'refs/tags/a@{b',
  'refs/tags/a b',
  'refs/tags/a~b',
  'refs/tags/a^b',
  'refs/tags/a:b',
  'refs/tags/a?b',
  'refs/tags/a*b',
  'refs/tags/a[b',
  'refs/tags/a\\b',
  'refs/tags/a\tb',
  'refs/tags/a\u007fb',
  'refs/tags/a@b',
  'refs/tags/v1.0.0+build',
  '@',
];

describe('refNameProblem', () => {
  it.each(CASES)('agrees with git check-ref-format on %j', (refname) => {
    let gitSays: boolean;
    try {
      execFileSync('git', ['check-ref-format', refname], { stdio: 'ignore' });
      gitSays = true;
    } catch {
      gitSays = false;
    }
    expect(isValidRefName(refname)).toBe(gitSays);
    expect(refNameProblem(refname) === undefined).toBe(gitSays);
  });

  it('explains the problem', () => {
    expect(refNameProblem('refs/tags/a..b')).toBe("it contains '..'");
    expect(refNameProblem('refs/tags/a.lock')).toBe("its part 'a.lock' ends with '.lock'");
    expect(refNameProblem('refs/tags/a/')).toBe("it begins or ends with '/'");
  });
});
