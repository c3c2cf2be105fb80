/** LIKE / ILIKE: the same answers as a regular expression, without its backtracking. */
import { describe, expect, it } from 'vitest';
import { compileLikePattern } from '../../../src/tracking/query/like-pattern.js';
import { matchesRun, parseRunFilter } from '../../../src/tracking/query/run-filter.js';
import { makeRun } from './fixture-runs.js';

/** The reference: LIKE as an anchored regular expression (exponential on some patterns). */
function reference(pattern: string, value: string, ignoreCase: boolean): boolean {
  let source = '';
  for (const ch of pattern) {
    if (ch === '%') source += '[\\s\\S]*';
    else if (ch === '_') source += '[\\s\\S]';
    else source += ch.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'iu' : 'u').test(value);
}

/** A deterministic pseudo-random generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('compileLikePattern', () => {
  it('agrees with the regular expression on 20,000 random short patterns and values', () => {
    const next = random(7);
    const pick = (alphabet: string, max: number) =>
      Array.from(
        { length: Math.floor(next() * max) },
        () => alphabet[Math.floor(next() * alphabet.length)],
      ).join('');
    for (let i = 0; i < 20_000; i++) {
      const pattern = pick('ab%_A.', 7);
      const value = pick('abAB.é', 9);
      for (const ignoreCase of [false, true]) {
        expect(
          compileLikePattern(pattern, ignoreCase).test(value),
          `${pattern} ${value} ${ignoreCase}`,
        ).toBe(reference(pattern, value, ignoreCase));
      }
    }
  });

  it.each([
    ['', '', true],
    ['', 'a', false],
    ['%', '', true],
    ['_', '😀', true],
    ['a_c', 'abc', true],
    ['a%', 'a', true],
    ['%a%a', 'aa', true],
    ['%a%a', 'a', false],
    ['ab%ba', 'aba', false],
    ['a.b(c)*[d]', 'a.b(c)*[d]', true],
  ])('LIKE %j on %j is %s', (pattern, value, expected) => {
    expect(compileLikePattern(pattern, false).test(value)).toBe(expected);
  });

  it('answers adversarial patterns on a 3,000-character value at once (a regex would hang)', () => {
    const value = 'a'.repeat(3000);
    for (const pattern of [
      '%a%a%a%b',
      '%a%a%a%a%a%a%a%a%a%a%b',
      `${'%_'.repeat(40)}b`,
      '%aa%aa%aa%ab%',
    ]) {
      expect(compileLikePattern(pattern, false).test(value)).toBe(false);
      expect(compileLikePattern(pattern.toUpperCase(), true).test(value)).toBe(false);
    }
    expect(compileLikePattern('%a%a%a%a', false).test(value)).toBe(true);
    const run = makeRun('01A', { params: { p: value } });
    expect(matchesRun(parseRunFilter("params.p LIKE '%a%a%a%b'"), run)).toBe(false);
    expect(matchesRun(parseRunFilter("params.p ILIKE '%A%A%A%B'"), run)).toBe(false);
  }, 10_000);
});
