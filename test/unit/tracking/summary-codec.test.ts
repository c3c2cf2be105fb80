import { describe, expect, it } from 'vitest';
import {
  decodeEventsFile,
  decodeSummaryChunk,
  encodeEventsFile,
  encodeSummaryChunk,
  encodeSummaryChunks,
  type SummarizedRun,
} from '../../../src/tracking/store/summary-codec.js';
import type { RunRecord } from '../../../src/tracking/run-record.js';
import { formatRunRecord, parseRunRecord } from '../../../src/tracking/run-record-json.js';

const COMMIT = 'a'.repeat(40);
const TREE = 'b'.repeat(40);

function plainRecord(id: string): RunRecord {
  return {
    format: 2,
    id,
    experiment: 'iris',
    name: null,
    status: 'RUNNING',
    startTime: 1_700_000_000_000,
    endTime: null,
    exitCode: null,
    source: { commit: COMMIT, branch: null, dirty: true },
    github: null,
    params: {},
    tags: {},
    metrics: {},
    artifacts: [],
  };
}

function richRecord(id: string): RunRecord {
  return {
    format: 2,
    id,
    experiment: 'iris-v2.x',
    name: 'nightly «ünïcode» \u2028 run',
    status: 'FAILED',
    startTime: 1_700_000_000_123,
    endTime: 1_700_000_060_456,
    exitCode: -1,
    source: { commit: 'c'.repeat(64), branch: 'feature/x', dirty: false },
    github: {
      repository: 'acme/iris',
      serverUrl: 'https://github.example.com',
      workflow: 'train',
      runId: '123456',
      runAttempt: '2',
      job: 'train',
      prNumber: 42,
      prBaseSha: 'd'.repeat(40),
      matrix: { seed: '1', os: 'ubuntu' },
    },
    params: { lr: '0.1', 'model name': 'rf', '10': 'ten', empty: '' },
    tags: { owner: '@alice', note: 'a|b<c>' },
    metrics: {
      accuracy: { value: 0.9, step: 2, timestamp: 1_700_000_050_000, min: 0.5, max: 0.9, count: 3 },
      loss: {
        value: Number.NaN,
        step: 0,
        timestamp: 1,
        min: Number.NEGATIVE_INFINITY,
        max: Number.POSITIVE_INFINITY,
        count: 1,
      },
      zero: { value: -0, step: -0, timestamp: 0, min: -0, max: 0, count: 1 },
    },
    artifacts: [
      { path: 'model/model.bin', size: 5, sha256: 'e'.repeat(64), stored: true },
      {
        path: 'big.bin',
        size: 10_000_000,
        sha256: 'f'.repeat(64),
        stored: false,
        uri: 'https://example.com/big.bin',
      },
    ],
  };
}

const ID_A = '01HZZZZZZZZZZZZZZZZZZZZZZA';
const ID_B = '01HZZZZZZZZZZZZZZZZZZZZZZB';

describe('segment summary chunks', () => {
  it('round-trips records exactly: values, NaN, ±Infinity, -0, null and absent fields, key order', () => {
    const runs: SummarizedRun[] = [
      { tree: TREE, record: richRecord(ID_A) },
      { tree: '1'.repeat(40), record: plainRecord(ID_B) },
      {
        tree: '2'.repeat(64),
        record: { ...richRecord(ID_B), github: { ...richRecord(ID_B).github!, matrix: {} } },
      },
    ];
    const text = encodeSummaryChunk(runs);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1)).not.toContain('\n');
    const decoded = decodeSummaryChunk(text);
    expect(decoded.bad).toBe(0);
    expect(decoded.items).toEqual(runs);
    const loss = decoded.items[0]!.record.metrics['loss']!;
    expect(Number.isNaN(loss.value)).toBe(true);
    expect(loss.min).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(decoded.items[0]!.record.metrics['zero']!.value, -0)).toBe(true);
    expect(Object.is(decoded.items[0]!.record.metrics['zero']!.max, 0)).toBe(true);
    expect(decoded.items[1]!.record.github).toBeNull();
    for (let i = 0; i < runs.length; i++) {
      expect(JSON.stringify(decoded.items[i])).toBe(JSON.stringify(runs[i]));
      expect(formatRunRecord(decoded.items[i]!.record)).toBe(formatRunRecord(runs[i]!.record));
    }
  });

  it('gives what parseRunRecord gives for the same run.json, optional fields left out', () => {
    const text = formatRunRecord(richRecord(ID_A));
    const parsed = parseRunRecord(text, 'run.json');
    const minimal = { ...parsed, github: { ...parsed.github! } };
    delete minimal.github.prNumber;
    delete minimal.github.prBaseSha;
    delete minimal.github.matrix;
    for (const record of [parsed, minimal]) {
      const [run] = decodeSummaryChunk(encodeSummaryChunk([{ tree: TREE, record }])).items;
      expect(run?.record).toEqual(record);
      expect(Object.keys(run!.record.github!)).toEqual(Object.keys(record.github!));
    }
  });

  it('carries fields it does not know (added by later versions) through unchanged', () => {
    const record = {
      ...plainRecord(ID_A),
      outputs: { model: { id: 'm-1' } },
      artifacts: [
        { path: 'model.pkl', size: 3, sha256: 'e'.repeat(64), stored: false, store: 'oci://x/y' },
      ],
    };
    const [run] = decodeSummaryChunk(encodeSummaryChunk([{ tree: TREE, record }])).items;
    expect(run?.record).toEqual(record);
  });

  it('keeps keys that name Object.prototype members as plain data', () => {
    const names = Object.getOwnPropertyNames(Object.prototype);
    const record = plainRecord(ID_A);
    for (const name of names) {
      Object.defineProperty(record.params, name, { value: 'p', enumerable: true });
      Object.defineProperty(record.tags, name, { value: 't', enumerable: true });
    }
    const [run] = decodeSummaryChunk(encodeSummaryChunk([{ tree: TREE, record }])).items;
    expect(Object.keys(run!.record.params).sort()).toEqual([...names].sort());
    expect(Object.getPrototypeOf(run!.record.params)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(run!.record.tags, '__proto__')?.value).toBe('t');
  });

  it('counts a file that is not a whole chunk as bad, and never throws', () => {
    const text = encodeSummaryChunk([{ tree: TREE, record: richRecord(ID_A) }]);
    for (const bad of [
      text.slice(0, text.length - 5),
      text.slice(7),
      '',
      'null',
      '{}',
      '["ghml-summary",3,[],[]]',
      '["other",2,[],[]]',
      '["ghml-summary",2,{},[]]',
      'x'.repeat(100),
    ]) {
      expect(decodeSummaryChunk(bad)).toEqual({ items: [], bad: 1 });
    }
  });

  it('skips single entries of the wrong shape or with times a Date cannot hold, and keeps the good ones', () => {
    const good = JSON.parse(encodeSummaryChunk([{ tree: TREE, record: plainRecord(ID_A) }])) as [
      string,
      number,
      string[],
      unknown[][],
    ];
    const entry = good[3][0]!;
    const broken = [
      entry.slice(0, 16),
      ['not-an-oid', ...entry.slice(1)],
      entry.map((v, i) => (i === 1 ? '../../etc' : v)), // id
      entry.map((v, i) => (i === 2 ? 'HEAD' : v)), // commit
      entry.map((v, i) => (i === 3 ? 999 : v)), // experiment index out of the table
      entry.map((v, i) => (i === 5 ? good[2].indexOf('iris') : v)), // status 'iris'
      entry.map((v, i) => (i === 6 ? 'soon' : v)), // startTime
      entry.map((v, i) => (i === 6 ? 1e300 : v)), // startTime out of a Date's range
      entry.map((v, i) => (i === 7 ? -8.64e15 - 1 : v)), // endTime out of range
      entry.map((v, i) => (i === 10 ? true : v)), // dirty
      entry.map((v, i) => (i === 12 ? [0] : v)), // params of odd length
      entry.map((v, i) => (i === 14 ? [0, 1, 2] : v)), // metrics of the wrong length
      entry.map((v, i) => (i === 15 ? [['p', 1, 'x', 2, null, null]] : v)), // artifact flag
      entry.map((v, i) => (i === 16 ? 'extra' : v)), // extra fields not an object
      42,
    ];
    const text = JSON.stringify([good[0], good[1], good[2], [...broken, entry]]);
    const decoded = decodeSummaryChunk(text);
    expect(decoded.bad).toBe(broken.length);
    expect(decoded.items).toEqual([{ tree: TREE, record: plainRecord(ID_A) }]);
  });

  it('splits many runs into chunks under a byte budget, each a whole chunk', () => {
    const runs = Array.from({ length: 50 }, (_, i) => ({
      tree: TREE,
      record: { ...richRecord(ID_A), id: `01HZZZZZZZZZZZZZZZZZZZZZ${String(i).padStart(2, '0')}` },
    }));
    const chunks = encodeSummaryChunks(runs, 4000);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) expect(chunk.length).toBeLessThan(8000);
    const back = chunks.flatMap((c) => decodeSummaryChunk(c).items);
    expect(back).toEqual(runs);
    expect(encodeSummaryChunks([], 4000)).toHaveLength(1);
  });
});

describe('segment events files', () => {
  it('round-trips events and skips entries that are not events', () => {
    const events = [
      { runId: ID_A, id: ID_B, event: { kind: 'run.tag', at: 5, key: 'k', value: 'v' } },
      { runId: ID_B, id: ID_A, event: { kind: 'register', at: 6, version: 'v1.0.0' } },
    ];
    const text = encodeEventsFile(events);
    expect(decodeEventsFile(text)).toEqual({ items: events, bad: 0 });
    const json = JSON.parse(text) as [string, number, unknown[]];
    json[2].push(
      [ID_A, 'x', { kind: 'k', at: 1 }],
      ['..', ID_B, { kind: 'k', at: 1 }],
      [ID_A, ID_B, { kind: '', at: 1 }],
      [ID_A, ID_B, { kind: 'k', at: 1e300 }],
      'nope',
    );
    expect(decodeEventsFile(JSON.stringify(json))).toEqual({ items: events, bad: 5 });
    expect(decodeEventsFile('{')).toEqual({ items: [], bad: 1 });
  });
});
