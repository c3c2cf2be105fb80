import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/tracking/run-record.js';
import {
  formatMetricLine,
  formatMetricLines,
  formatRunEvent,
  formatRunRecord,
  parseMetricLines,
  parseRunEvent,
  parseRunRecord,
} from '../../../src/tracking/run-record-json.js';
import { InvalidRunDataError, NewerFormatError } from '../../../src/tracking/tracking-errors.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

function record(): RunRecord {
  return {
    format: 1,
    id: '01HV5Z3K8Q9W7X6Y5T4S3R2P1N',
    experiment: 'iris',
    name: 'first try',
    status: 'FINISHED',
    startTime: 1_700_000_000_000,
    endTime: 1_700_000_060_000,
    exitCode: 0,
    source: { commit: SHA, branch: null, dirty: true },
    github: {
      repository: 'o/r',
      serverUrl: 'https://github.com',
      workflow: 'train',
      runId: '42',
      runAttempt: '1',
      job: 'train',
      prNumber: 7,
      prBaseSha: SHA,
      matrix: { seed: '1', model: 'rf' },
    },
    params: { z: '1', a: 'x' },
    tags: { note: 'hi' },
    metrics: {
      loss: {
        value: Number.NaN,
        step: 3,
        timestamp: 5,
        min: Number.NEGATIVE_INFINITY,
        max: Number.POSITIVE_INFINITY,
        count: 4,
      },
      acc: { value: 0.5, step: 3, timestamp: 5, min: 0.1, max: 0.5, count: 4 },
    },
    artifacts: [
      { path: 'model.pkl', size: 10, sha256: 'a'.repeat(64), stored: true },
      {
        path: 'big.bin',
        size: 1e9,
        sha256: 'b'.repeat(64),
        stored: false,
        uri: 'https://example.com/x',
      },
    ],
  };
}

describe('formatRunRecord / parseRunRecord', () => {
  it('round-trips, keeping NaN and ±Infinity', () => {
    const text = formatRunRecord(record());
    const parsed = parseRunRecord(text, 'run.json');
    expect(parsed).toEqual(record());
    expect(Number.isNaN(parsed.metrics['loss']?.value)).toBe(true);
    expect(parsed.metrics['loss']?.min).toBe(Number.NEGATIVE_INFINITY);
    expect(formatRunRecord(parsed)).toBe(text);
  });

  it('writes a stable key order with 2-space JSON and non-finite numbers as strings', () => {
    const text = formatRunRecord(record());
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'format',
      'id',
      'experiment',
      'name',
      'status',
      'startTime',
      'endTime',
      'exitCode',
      'source',
      'github',
      'params',
      'tags',
      'metrics',
      'artifacts',
    ]);
    expect(text).toContain('\n  "params": {\n    "a": "x",\n    "z": "1"\n  }');
    expect(text).toContain('"value": "NaN"');
    expect(text).toContain('"min": "-Infinity"');
    expect(text).toContain('"max": "Infinity"');
    const shuffled = { ...record(), params: { a: 'x', z: '1' } };
    expect(formatRunRecord(shuffled)).toBe(text);
  });

  it('keeps keys named like Object.prototype members as data when reading a record from the branch', () => {
    const text = formatRunRecord(record()).replace(
      '"params": {',
      '"params": {\n    "__proto__": "polluted",\n    "constructor": "c",\n    "toString": "t",',
    );
    const parsed = parseRunRecord(text, 'runs/x/run.json');
    expect(Object.getPrototypeOf(parsed.params)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(parsed.params, '__proto__')?.value).toBe('polluted');
    expect(parsed.params['toString']).toBe('t');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(formatRunRecord(parsed)).toContain('"__proto__": "polluted"');
  });

  it('refuses a newer format with an upgrade message', () => {
    const text = formatRunRecord(record()).replace('"format": 1', '"format": 3');
    expect(() => parseRunRecord(text, 'runs/x/run.json')).toThrow(NewerFormatError);
    expect(() => parseRunRecord(text, 'runs/x/run.json')).toThrow(
      'runs/x/run.json was written by a newer ghml (format 3): upgrade ghml',
    );
  });

  it.each([
    ['not JSON', 'nope', 'not valid JSON'],
    ['an array', '[]', 'must be a JSON object'],
    [
      'format 0',
      formatRunRecord(record()).replace('"format": 1', '"format": 0'),
      "'format' must be 1",
    ],
    ['a bad status', formatRunRecord(record()).replace('"FINISHED"', '"DONE"'), "'status' must be"],
    [
      'a bad id',
      formatRunRecord(record()).replace('01HV5Z3K8Q9W7X6Y5T4S3R2P1N', 'x'),
      "'id' must be a ULID",
    ],
    [
      'a bad metric',
      formatRunRecord(record()).replace('"value": "NaN"', '"value": "nan"'),
      "'metrics.loss.value'",
    ],
    [
      'a numeric param',
      formatRunRecord(record()).replace('"a": "x"', '"a": 1'),
      "'params' must be",
    ],
    [
      'a short commit',
      formatRunRecord(record()).replace(`"commit": "${SHA}"`, '"commit": "abc"'),
      "'source.commit'",
    ],
  ])('refuses %s with a clear error naming the file', (_what, text, message) => {
    expect(() => parseRunRecord(text, 'where/run.json')).toThrow(InvalidRunDataError);
    expect(() => parseRunRecord(text, 'where/run.json')).toThrow(message);
    expect(() => parseRunRecord(text, 'where/run.json')).toThrow('where/run.json');
  });
});

describe('metric lines', () => {
  it('round-trips a series with non-finite values', () => {
    const points = [
      { key: 'loss', value: Number.NaN, step: 0, timestamp: 1 },
      { key: 'loss', value: Number.POSITIVE_INFINITY, step: 1, timestamp: 2 },
      { key: 'loss', value: Number.NEGATIVE_INFINITY, step: 2, timestamp: 3 },
      { key: 'acc', value: 0.25, step: 3, timestamp: 4 },
    ];
    expect(formatMetricLine(points[0]!)).toBe(
      '{"key":"loss","value":"NaN","step":0,"timestamp":1}',
    );
    const text = formatMetricLines(points);
    expect(parseMetricLines(text)).toEqual(points);
  });

  it('skips blank lines and names the bad line', () => {
    expect(parseMetricLines('\n{"key":"a","value":1,"step":0,"timestamp":0}\n\n')).toHaveLength(1);
    const bad =
      '{"key":"a","value":1,"step":0,"timestamp":0}\n{"key":"a","value":"x","step":0,"timestamp":0}\n';
    expect(() => parseMetricLines(bad, 'm.jsonl')).toThrow('m.jsonl:2');
    expect(() => parseMetricLines('{oops', 'm.jsonl')).toThrow(InvalidRunDataError);
  });
});

describe('run events', () => {
  it('round-trips, kind and at first', () => {
    const text = formatRunEvent({ kind: 'deploy', at: 5, stage: 'prod', score: Number.NaN });
    expect(text.indexOf('"kind"')).toBeLessThan(text.indexOf('"at"'));
    expect(parseRunEvent(text, 'e.json')).toEqual({
      kind: 'deploy',
      at: 5,
      score: 'NaN',
      stage: 'prod',
    });
    expect(() => parseRunEvent('{"at":1}', 'e.json')).toThrow("'kind'");
  });
});

describe('times a JavaScript Date cannot hold', () => {
  const where = 'runs/iris/01/23/01HV5Z3K8Q9W7X6Y5T4S3R2P1N/run.json';

  it.each([
    ['startTime', 1e300],
    ['startTime', -8.64e15 - 1],
    ['endTime', 8.64e15 + 1],
    ['startTime', 0.5],
  ] as const)('refuses to write or read a %s of %d, naming the field', (field, value) => {
    const bad = { ...record(), [field]: value };
    expect(() => formatRunRecord(bad)).toThrow(
      `invalid run data in run.json of run ${bad.id}: '${field}' must be whole milliseconds since the epoch, from -8640000000000000 to 8640000000000000`,
    );
    const text = formatRunRecord(record()).replace(
      new RegExp(`"${field}": [0-9]+`),
      `"${field}": ${JSON.stringify(value)}`,
    );
    expect(() => parseRunRecord(text, where)).toThrow(`invalid run data in ${where}: '${field}'`);
  });

  it('keeps the edges of the range', () => {
    const edge = { ...record(), startTime: -8.64e15, endTime: 8.64e15 };
    expect(parseRunRecord(formatRunRecord(edge), where)).toMatchObject({
      startTime: -8.64e15,
      endTime: 8.64e15,
    });
  });

  it('refuses a metric timestamp out of range in run.json and metrics.jsonl', () => {
    const text = formatRunRecord(record());
    const summary = JSON.parse(text) as { metrics: Record<string, { timestamp: number }> };
    const key = Object.keys(summary.metrics)[0] ?? '';
    const badSummary = text.replace(
      `"timestamp": ${summary.metrics[key]?.timestamp}`,
      '"timestamp": 8640000000000001',
    );
    expect(() => parseRunRecord(badSummary, where)).toThrow(`'metrics.${key}.timestamp'`);
    expect(() =>
      parseMetricLines('{"key":"a","value":1,"step":0,"timestamp":-1}\n', 'm.jsonl'),
    ).toThrow("m.jsonl:1: 'timestamp' must be whole milliseconds since the epoch, from 0");
  });

  it("refuses an event 'at' out of range when writing and reading", () => {
    expect(() => formatRunEvent({ kind: 'deploy', at: 1e300 })).toThrow("'at' must be");
    expect(() => parseRunEvent('{"kind":"deploy","at":-8640000000000001}', 'e.json')).toThrow(
      "invalid run data in e.json: 'at' must be",
    );
  });
});
