import { describe, expect, it } from 'vitest';
import {
  parseMetricsJsonl,
  RunBuilder,
  type RunIdentity,
} from '../../../src/tracking/ingest/run-builder.js';
import {
  InvalidNameError,
  InvalidValueError,
  ParamChangedError,
} from '../../../src/tracking/ingest/ingest-errors.js';

const identity: RunIdentity = {
  id: '01JDXYZ0000000000000000000',
  experiment: 'iris',
  status: 'FINISHED',
  startTime: 1000,
  endTime: 2000,
  exitCode: 0,
  source: { commit: 'a'.repeat(40), branch: 'main', dirty: false },
  github: null,
};

function builder(): RunBuilder {
  let clock = 5000;
  return new RunBuilder({ now: () => clock++ });
}

describe('params', () => {
  it('allows re-logging the same value and rejects a different one, keeping the first', () => {
    const b = builder();
    b.addParam('lr', '0.01');
    b.addParam('lr', '0.01');
    let error: unknown;
    try {
      b.addParam('lr', '0.02');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParamChangedError);
    expect((error as ParamChangedError).message).toBe(
      "param 'lr' was already logged as '0.01'; params are immutable within a run, cannot change it to '0.02'.",
    );
    expect((error as ParamChangedError).hint).toBe('log a new key or start a new run');
    expect(b.build(identity).record.params).toEqual({ lr: '0.01' });
  });

  it('rejects bad keys and over-long values without recording them', () => {
    const b = builder();
    expect(() => b.addParam('a/../b', '1')).toThrow(InvalidNameError);
    expect(() => b.addParam('p', 'x'.repeat(6001))).toThrow(InvalidValueError);
    expect(() => b.setTag('t', 'x'.repeat(5001))).toThrow("tag 't' value is 5001 characters");
    expect(() => b.setTag('/t', 'x')).toThrow("Invalid tag key '/t': must not start with '/'.");
    const { record } = b.build(identity);
    expect(record.params).toEqual({});
    expect(record.tags).toEqual({});
  });

  it('lets tags change (last value wins) and sorts keys', () => {
    const b = builder();
    b.setTag('z', '1');
    b.setTag('a', '1');
    b.setTag('z', '2');
    const { record } = b.build(identity);
    expect(Object.keys(record.tags)).toEqual(['a', 'z']);
    expect(record.tags.z).toBe('2');
  });

  it('refuses "__proto__" as a param, tag or metric key and keeps every other Object.prototype name', () => {
    const b = builder();
    expect(() => b.addParam('__proto__', 'x')).toThrow(InvalidNameError);
    expect(() => b.setTag('__proto__', 'x')).toThrow("Invalid tag key '__proto__': is reserved");
    expect(() => b.addMetric('__proto__', 1)).toThrow(InvalidNameError);
    const names = Object.getOwnPropertyNames(Object.prototype).filter((n) => n !== '__proto__');
    for (const name of names) {
      b.addParam(name, `p-${name}`);
      b.setTag(name, `t-${name}`);
      b.addMetric(name, 1, 0, 1);
    }
    const { record, metricsJsonl } = b.build(identity);
    for (const name of names) {
      expect(Object.getOwnPropertyDescriptor(record.params, name)?.value).toBe(`p-${name}`);
      expect(Object.getOwnPropertyDescriptor(record.tags, name)?.value).toBe(`t-${name}`);
      expect(Object.getOwnPropertyDescriptor(record.metrics, name)?.value).toMatchObject({
        value: 1,
      });
    }
    expect(parseMetricsJsonl(metricsJsonl).map((p) => p.key)).toEqual([...names].sort());
  });
});

describe('metrics', () => {
  it('rejects a non-numeric metric naming the key and keeps the series intact', () => {
    const b = builder();
    b.addMetric('acc', 0.5, 0, 1);
    expect(() => b.addMetric('acc', 'high')).toThrow(
      "metric 'acc' value must be a number, got 'high' (a string).",
    );
    expect(() => b.addMetric('acc', 1, 0.5)).toThrow('step must be an integer');
    expect(() => b.addMetric('a b//c', 1)).toThrow(InvalidNameError);
    expect(b.build(identity).record.metrics.acc?.count).toBe(1);
  });

  it('gives points without a step the next step of their key', () => {
    const b = builder();
    b.addMetric('loss', 3);
    b.addMetric('loss', 2);
    b.addMetric('loss', 1, 10);
    b.addMetric('loss', 0.5);
    b.addMetric('acc', 0.1);
    const points = parseMetricsJsonl(b.build(identity).metricsJsonl);
    expect(points.map((p) => [p.key, p.step])).toEqual([
      ['acc', 0],
      ['loss', 0],
      ['loss', 1],
      ['loss', 10],
      ['loss', 11],
    ]);
  });

  it('summarises: last by step then timestamp then log order; min/max ignore NaN', () => {
    const b = builder();
    b.addMetric('m', 5, 2, 100);
    b.addMetric('m', Number.NaN, 3, 50);
    b.addMetric('m', 1, 3, 40);
    b.addMetric('m', 9, 1, 999);
    b.addMetric('tie', 1, 0, 7);
    b.addMetric('tie', 2, 0, 7);
    b.addMetric('nan', Number.NaN, 0, 1);
    b.addMetric('nan', 'NaN', 1, 1);
    b.addMetric('inf', Number.NEGATIVE_INFINITY, 0, 1);
    b.addMetric('inf', 'Infinity', 1, 1);
    const { metrics } = b.build(identity).record;
    expect(metrics.m).toEqual({
      value: Number.NaN,
      step: 3,
      timestamp: 50,
      min: 1,
      max: 9,
      count: 4,
    });
    expect(metrics.tie?.value).toBe(2);
    expect(metrics.nan?.min).toBeNaN();
    expect(metrics.nan?.max).toBeNaN();
    expect(metrics.inf).toMatchObject({
      value: Number.POSITIVE_INFINITY,
      min: Number.NEGATIVE_INFINITY,
      max: Number.POSITIVE_INFINITY,
    });
  });

  it('writes metrics.jsonl sorted by key, step, timestamp with non-finite values as strings', () => {
    const b = builder();
    b.addMetric('b', 1, 1, 10);
    b.addMetric('a', Number.NaN, 2, 5);
    b.addMetric('b', 2, 0, 20);
    b.addMetric('a', Number.NEGATIVE_INFINITY, 2, 4);
    b.addMetric('b', 3, 1, 9);
    const text = b.build(identity).metricsJsonl.toString('utf8');
    expect(text).toBe(
      [
        '{"key":"a","value":"-Infinity","step":2,"timestamp":4}',
        '{"key":"a","value":"NaN","step":2,"timestamp":5}',
        '{"key":"b","value":2,"step":0,"timestamp":20}',
        '{"key":"b","value":3,"step":1,"timestamp":9}',
        '{"key":"b","value":1,"step":1,"timestamp":10}',
        '',
      ].join('\n'),
    );
    const back = parseMetricsJsonl(text);
    expect(back[1]?.value).toBeNaN();
    expect(back[0]?.value).toBe(Number.NEGATIVE_INFINITY);
  });

  it('adds a metrics-file value only to keys the run did not log; logged points win', () => {
    const b = builder();
    b.addMetric('acc', 0.8, 4, 1);
    b.addMetric('acc', 0.9, 5, 2);
    expect(b.addFinalMetric('acc', 0.9)).toBeUndefined();
    expect(b.addFinalMetric('loss', 0.2)).toBeUndefined();
    b.addMetric('f1', 0.5, 3, 1);
    expect(b.addFinalMetric('f1', 0.7)).toBe(0.5);
    b.addMetric('nan', Number.NaN, 0, 1);
    expect(b.addFinalMetric('nan', 'NaN')).toBeUndefined();
    const { record, metricsJsonl } = b.build(identity);
    expect(record.metrics.acc?.count).toBe(2);
    expect(record.metrics.loss).toMatchObject({ value: 0.2, step: 0, count: 1 });
    expect(record.metrics.f1).toMatchObject({ value: 0.5, step: 3, count: 1 });
    expect(parseMetricsJsonl(metricsJsonl)).toHaveLength(5);
  });
});

describe('build', () => {
  it.each([
    ['startTime', 1e300],
    ['startTime', -8.64e15 - 1],
    ['startTime', 1.5],
    ['endTime', 8.64e15 + 1],
  ] as const)('refuses a %s of %d, which no date can hold', (field, value) => {
    expect(() => builder().build({ ...identity, [field]: value })).toThrow(
      `'${field}' must be whole milliseconds since the epoch`,
    );
  });

  it('refuses a metric timestamp past the range of a date and keeps the series', () => {
    const b = builder();
    b.addMetric('acc', 0.5, 0, 8.64e15);
    expect(() => b.addMetric('acc', 0.6, 1, 8.64e15 + 1)).toThrow(
      "metric 'acc' timestamp must be whole milliseconds since the epoch, from 0 to 8640000000000000",
    );
    expect(b.build(identity).record.metrics.acc).toMatchObject({ count: 1, timestamp: 8.64e15 });
  });

  it('builds the whole record', () => {
    const b = builder();
    b.addParam('lr', '0.01');
    b.addMetric('acc', 0.93, 3, 1732600000000);
    b.noteArtifact('model.pkl');
    b.noteArtifact('missing.bin');
    const { record, warnings } = b.build({
      ...identity,
      name: 'first',
      artifacts: [
        { path: 'model.pkl', size: 3, sha256: 'f'.repeat(64), stored: true },
        { path: 'data.csv', size: 3, sha256: 'e'.repeat(64), stored: true },
      ],
    });
    expect(record).toEqual({
      format: 2,
      id: identity.id,
      experiment: 'iris',
      name: 'first',
      status: 'FINISHED',
      startTime: 1000,
      endTime: 2000,
      exitCode: 0,
      source: identity.source,
      github: null,
      params: { lr: '0.01' },
      tags: {},
      metrics: {
        acc: { value: 0.93, step: 3, timestamp: 1732600000000, min: 0.93, max: 0.93, count: 1 },
      },
      artifacts: [
        { path: 'data.csv', size: 3, sha256: 'e'.repeat(64), stored: true },
        { path: 'model.pkl', size: 3, sha256: 'f'.repeat(64), stored: true },
      ],
    });
    expect(warnings).toEqual([
      {
        source: 'artifacts',
        message:
          "artifact 'missing.bin' was logged but is not in GHML_ARTIFACTS_DIR at the end of the run",
      },
    ]);
  });

  it('refuses a bad experiment name or an empty id', () => {
    expect(() => builder().build({ ...identity, experiment: '../x' })).toThrow(
      "Invalid experiment name '../x'",
    );
    expect(() => builder().build({ ...identity, id: '' })).toThrow('run id must not be empty');
  });
});
