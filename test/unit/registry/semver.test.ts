import { describe, expect, it } from 'vitest';
import {
  bumpSemVer,
  compareSemVer,
  formatSemVer,
  parseSemVer,
} from '../../../src/registry/tags/semver.js';
import type { SemVer } from '../../../src/registry/tags/semver.js';

function v(text: string): SemVer {
  const parsed = parseSemVer(text);
  if (!parsed) throw new Error(`bad test version ${text}`);
  return parsed;
}

describe('semver', () => {
  it.each([
    'v0.0.1',
    'v1.2.3',
    'v10.20.30',
    'v1.0.0-alpha',
    'v1.0.0-alpha.1',
    'v1.0.0-0.3.7',
    'v1.0.0-x.7.z.92',
    'v1.0.0+20130313144700',
    'v1.0.0-beta+exp.sha.5114f85',
  ])('parses and formats %s', (text) => {
    expect(formatSemVer(v(text))).toBe(text);
  });

  it.each([
    '1.2.3',
    'v1.2',
    'v01.2.3',
    'v1.02.3',
    'v1.2.03',
    'v1.2.3-01',
    'v1.2.3-',
    'v1.2.3+',
    'v1.2.3-a..b',
    'V1.2.3',
    ' v1.2.3',
    'v99999999999999999999.0.0',
  ])('refuses %j', (text) => {
    expect(parseSemVer(text)).toBeUndefined();
  });

  it('orders versions as semver.org says', () => {
    const ordered = [
      'v1.0.0-alpha',
      'v1.0.0-alpha.1',
      'v1.0.0-alpha.beta',
      'v1.0.0-beta',
      'v1.0.0-beta.2',
      'v1.0.0-beta.11',
      'v1.0.0-rc.1',
      'v1.0.0',
      'v1.0.1',
      'v1.2.0',
      'v1.10.0',
      'v2.0.0',
    ];
    for (let i = 0; i + 1 < ordered.length; i++) {
      expect(compareSemVer(v(ordered[i] as string), v(ordered[i + 1] as string))).toBe(-1);
      expect(compareSemVer(v(ordered[i + 1] as string), v(ordered[i] as string))).toBe(1);
    }
    expect(compareSemVer(v('v1.0.0+a'), v('v1.0.0+b'))).toBe(0);
  });

  it('bumps and drops pre-release and build', () => {
    expect(formatSemVer(bumpSemVer(v('v1.2.3'), 'patch'))).toBe('v1.2.4');
    expect(formatSemVer(bumpSemVer(v('v1.2.3'), 'minor'))).toBe('v1.3.0');
    expect(formatSemVer(bumpSemVer(v('v1.2.3'), 'major'))).toBe('v2.0.0');
    expect(formatSemVer(bumpSemVer(v('v1.2.3-rc.1+b'), 'minor'))).toBe('v1.3.0');
  });
});
