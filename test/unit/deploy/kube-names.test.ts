import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/deploy/duration.js';
import {
  DNS_LABEL_RE,
  fileNameFromUri,
  LABEL_VALUE_RE,
  leaseName,
  legacyObjectName,
  objectName,
  toLabelValue,
} from '../../../src/deploy/kube/kube-names.js';

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

  it('names a model at a stage plainly when the spelling splits back', () => {
    expect(objectName('iris', 'prod')).toBe('iris-prod');
    expect(objectName('churn-model', 'prod')).toBe('churn-model-prod');
    expect(leaseName('iris', 'prod')).toBe('ghml-deploy-iris-prod');
  });

  it('never gives two (model, stage) pairs the same object or Lease name', () => {
    // a-b at prod and a at b-prod were both a-b-prod, and shared the Lease.
    expect(objectName('a-b', 'prod')).toBe('a-b-prod');
    expect(objectName('a', 'b-prod')).toMatch(/^a-b-prod--[0-9a-f]{10}$/);
    const parts = [
      'a',
      'b',
      'a-b',
      'b-a',
      'A',
      'a_b',
      'a/b',
      'a--b',
      'prod',
      'b-prod',
      'x'.repeat(60),
      '9',
      '1a',
    ];
    const seen = new Map<string, string>();
    for (const model of parts) {
      for (const stage of parts) {
        const pair = `${model} @ ${stage}`;
        for (const name of [objectName(model, stage), leaseName(model, stage)]) {
          expect(seen.get(name), `${pair} and ${seen.get(name)} share '${name}'`).toBeUndefined();
          seen.set(name, pair);
        }
        const name = objectName(model, stage);
        expect(name).toMatch(DNS_LABEL_RE);
        expect(name.length).toBeLessThanOrEqual(63);
        expect(leaseName(model, stage)).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      }
    }
  });

  it('keeps the name ghml 0.1 gave, to find objects left under it', () => {
    expect(legacyObjectName('a', 'b-prod')).toBe('a-b-prod');
    expect(legacyObjectName('Iris', 'prod')).toMatch(/^iris-prod-[0-9a-f]{6}$/);
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
