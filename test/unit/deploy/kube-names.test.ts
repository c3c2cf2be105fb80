import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/deploy/duration.js';
import {
  DNS_LABEL_RE,
  fileNameFromUri,
  LABEL_VALUE_RE,
  toLabelValue,
  toResourceName,
} from '../../../src/deploy/kube-names.js';

describe('Kubernetes names', () => {
  it('keeps valid label values and repairs invalid ones', () => {
    expect(toLabelValue('v1.2.3')).toBe('v1.2.3');
    expect(toLabelValue('v1.2.3+build.5')).toBe('v1.2.3_build.5');
    expect(toLabelValue('team/churn')).toBe('team_churn');
    expect(toLabelValue('models:churn')).toBe('models_churn');
    const long = toLabelValue('a'.repeat(100));
    expect(long.length).toBeLessThanOrEqual(63);
    for (const v of ['-x-', '"; rm -rf /', '\n---\n', '', '___'])
      expect(toLabelValue(v)).toMatch(LABEL_VALUE_RE);
  });

  it('makes DNS-1035 object names, with a hash when information was lost', () => {
    expect(toResourceName('iris', 'prod')).toBe('iris-prod');
    const a = toResourceName('Iris', 'prod');
    const b = toResourceName('team/iris', 'prod');
    expect(a).toMatch(/^iris-prod-[0-9a-f]{6}$/);
    expect(b).toMatch(/^team-iris-prod-[0-9a-f]{6}$/);
    expect(toResourceName('iris', 'prod')).not.toBe(a);
    for (const n of [
      a,
      b,
      toResourceName('9lives', 'x'),
      toResourceName('x'.repeat(200), 'prod'),
    ]) {
      expect(n).toMatch(DNS_LABEL_RE);
      expect(n.length).toBeLessThanOrEqual(63);
    }
  });

  it('derives a safe file name from an artifact URI', () => {
    expect(fileNameFromUri('https://h/r/releases/download/iris%40v1/model.pkl')).toBe('model.pkl');
    expect(fileNameFromUri('https://h/x/..')).toBe('model.bin');
    expect(fileNameFromUri('https://h/x/a%20b;%24(id).pkl')).toBe('a_b___id_.pkl');
    expect(fileNameFromUri('not a url/.hidden')).toBe('hidden');
  });
});

describe('durations', () => {
  it('parses kubectl-style durations', () => {
    expect(parseDuration('300s')).toBe(300_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('45')).toBe(45_000);
  });

  it('refuses anything else with the value quoted', () => {
    for (const bad of ['', '0s', '5 minutes', '-1s', '1d', '1.5m', '99999h']) {
      expect(() => parseDuration(bad)).toThrow(`Invalid timeout '${bad}'`);
    }
  });
});
