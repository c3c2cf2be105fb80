import { describe, expect, it } from 'vitest';
import {
  MissingTokenError,
  redact,
  registerSecret,
  resolveToken,
  tryResolveToken,
} from '../../../src/github/token.js';

describe('resolveToken', () => {
  it('prefers an explicit token, then GITHUB_TOKEN, then GH_TOKEN', () => {
    const env = { GITHUB_TOKEN: 'from-github-token', GH_TOKEN: 'from-gh-token' };
    expect(resolveToken({ token: 'explicit-token', env })).toBe('explicit-token');
    expect(resolveToken({ env })).toBe('from-github-token');
    expect(resolveToken({ env: { GH_TOKEN: 'from-gh-token' } })).toBe('from-gh-token');
    expect(
      resolveToken({ token: '  ', env: { GITHUB_TOKEN: '', GH_TOKEN: 'from-gh-token' } }),
    ).toBe('from-gh-token');
  });

  it('throws MissingTokenError with a hint when there is none', () => {
    expect(tryResolveToken({ env: {} })).toBeUndefined();
    const error = (() => {
      try {
        resolveToken({ env: {} });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MissingTokenError);
    expect((error as MissingTokenError).hint).toContain('GITHUB_TOKEN');
  });
});

describe('redact', () => {
  it('masks registered secrets and resolved tokens anywhere in text', () => {
    registerSecret('plain-secret-value');
    resolveToken({ env: { GITHUB_TOKEN: 'resolved-secret-value' } });
    expect(redact('a plain-secret-value b resolved-secret-value')).toBe('a *** b ***');
  });

  it('masks anything shaped like a GitHub token or a credential', () => {
    const pat = 'ghp_' + 'A'.repeat(36);
    const fine = 'github_pat_' + 'B'.repeat(60);
    expect(redact(`token ${pat} and ${fine}`)).toBe('token *** and ***');
    expect(redact('Authorization: Bearer abc.def.ghi')).toBe('Authorization: Bearer ***');
    expect(redact('{"authorization":"token xyz123"}')).toBe('{"authorization":"token ***"}');
    expect(redact('https://x-access-token:s3cret@github.com/o/r')).toBe(
      'https://x-access-token:***@github.com/o/r',
    );
  });

  it('leaves ordinary text and short values alone', () => {
    registerSecret('abc');
    expect(redact('abc ghp_short ghml/iris')).toBe('abc ghp_short ghml/iris');
  });
});
