import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors/ghml-error.js';
import {
  formatRepository,
  InvalidRepositoryError,
  parseRepository,
  tryParseRepository,
} from '../../../src/github/repo-ref.js';

describe('parseRepository', () => {
  it('parses owner/name and formats it back', () => {
    for (const value of ['octo-org/ml-models', 'a/b', 'User1/repo.name_x', 'o/.github']) {
      expect(formatRepository(parseRepository(value))).toBe(value);
    }
    expect(parseRepository(' acme/ml ')).toEqual({ owner: 'acme', repo: 'ml' });
  });

  it('rejects anything that is not a GitHub repository', () => {
    const bad = [
      '',
      'acme',
      'acme/ml/extra',
      '/ml',
      'acme/',
      '-acme/ml',
      'acme-/ml',
      'ac--me/ml',
      `${'a'.repeat(40)}/ml`,
      'acme/..',
      'acme/.',
      'acme/m l',
      'acme/ml;rm -rf',
      `acme/${'r'.repeat(101)}`,
    ];
    for (const value of bad) {
      expect(tryParseRepository(value), value).toBeUndefined();
      expect(() => parseRepository(value), value).toThrow(InvalidRepositoryError);
    }
  });

  it('quotes the bad value and says what to do', () => {
    const error = (() => {
      try {
        parseRepository('acme');
      } catch (e) {
        return e;
      }
    })() as InvalidRepositoryError;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe("Invalid repository 'acme': expected 'owner/name'.");
    expect(error.hint).toContain('octo-org/ml-models');
  });
});
