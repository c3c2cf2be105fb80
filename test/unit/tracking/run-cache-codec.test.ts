import { describe, expect, it } from 'vitest';
import {
  decodeCacheSegment,
  encodeCacheSegment,
  type CachedRun,
} from '../../../src/tracking/store/run-cache-codec.js';
import type { RunRecord } from '../../../src/tracking/run-record.js';
import { formatRunRecord, parseRunRecord } from '../../../src/tracking/run-record-json.js';
import {
  formatRunFolderList,
  parseRunCacheFile,
  parseRunFolderList,
} from '../../../src/tracking/store/run-summary-cache.js';

const COMMIT = 'a'.repeat(40);
const TREE = 'b'.repeat(40);

function plainRecord(id: string): RunRecord {
  return {
    format: 1,
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
    format: 1,
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

describe('run cache segments', () => {
  it('round-trips records exactly: values, NaN, ±Infinity, -0, null and absent fields, key order', () => {
    const runs: CachedRun[] = [
      { tree: TREE, record: richRecord(ID_A) },
      { tree: '1'.repeat(40), record: plainRecord(ID_B) },
      {
        tree: '2'.repeat(64),
        record: { ...richRecord(ID_B), github: { ...richRecord(ID_B).github!, matrix: {} } },
      },
    ];
    const line = encodeCacheSegment(runs);
    expect(line).not.toContain('\n');
    const decoded = decodeCacheSegment(line);
    expect(decoded.bad).toBe(0);
    expect(decoded.runs).toEqual(runs);
    const loss = decoded.runs[0]!.record.metrics['loss']!;
    expect(Number.isNaN(loss.value)).toBe(true);
    expect(loss.min).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(decoded.runs[0]!.record.metrics['zero']!.value, -0)).toBe(true);
    expect(Object.is(decoded.runs[0]!.record.metrics['zero']!.max, 0)).toBe(true);
    expect(decoded.runs[1]!.record.github).toBeNull();
    for (let i = 0; i < runs.length; i++) {
      expect(JSON.stringify(decoded.runs[i])).toBe(JSON.stringify(runs[i]));
      expect(formatRunRecord(decoded.runs[i]!.record)).toBe(formatRunRecord(runs[i]!.record));
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
      const [run] = decodeCacheSegment(encodeCacheSegment([{ tree: TREE, record }])).runs;
      expect(run?.record).toEqual(record);
      expect(Object.keys(run!.record.github!)).toEqual(Object.keys(record.github!));
    }
  });

  it('counts a line that is not a whole segment as bad, and never throws', () => {
    const line = encodeCacheSegment([{ tree: TREE, record: richRecord(ID_A) }]);
    for (const bad of [
      line.slice(0, line.length - 5),
      line.slice(7),
      '',
      'null',
      '{}',
      '["ghml-run-cache",2,[],[]]',
      '["other",1,[],[]]',
      '["ghml-run-cache",1,{},[]]',
      'x'.repeat(100),
    ]) {
      expect(decodeCacheSegment(bad)).toEqual({ runs: [], bad: 1 });
    }
  });

  it('skips single entries of the wrong shape and keeps the good ones', () => {
    const good = JSON.parse(encodeCacheSegment([{ tree: TREE, record: plainRecord(ID_A) }])) as [
      string,
      number,
      string[],
      unknown[][],
    ];
    const entry = good[3][0]!;
    const broken = [
      entry.slice(0, 15),
      ['not-an-oid', ...entry.slice(1)],
      entry.map((v, i) => (i === 3 ? 999 : v)), // experiment index out of the table
      entry.map((v, i) => (i === 5 ? good[2].indexOf('iris') : v)), // status 'iris'
      entry.map((v, i) => (i === 6 ? 'soon' : v)), // startTime
      entry.map((v, i) => (i === 10 ? true : v)), // dirty
      entry.map((v, i) => (i === 12 ? [0] : v)), // params of odd length
      entry.map((v, i) => (i === 14 ? [0, 1, 2] : v)), // metrics of the wrong length
      entry.map((v, i) => (i === 15 ? [['p', 1, 'x', 2, null]] : v)), // artifact flag
      42,
    ];
    const line = JSON.stringify([good[0], good[1], good[2], [...broken, entry]]);
    const decoded = decodeCacheSegment(line);
    expect(decoded.bad).toBe(broken.length);
    expect(decoded.runs).toEqual([{ tree: TREE, record: plainRecord(ID_A) }]);
  });

  it('reads a file of segments, skipping blank lines and counting a torn last line', () => {
    const a = encodeCacheSegment([{ tree: TREE, record: plainRecord(ID_A) }]);
    const b = encodeCacheSegment([{ tree: '3'.repeat(40), record: plainRecord(ID_B) }]);
    const whole = parseRunCacheFile(Buffer.from(`\n${a}\n\n${b}\n`));
    expect(whole.bad).toBe(0);
    expect(whole.entries).toBe(2);
    expect([...whole.runs.keys()]).toEqual([TREE, '3'.repeat(40)]);
    const torn = parseRunCacheFile(Buffer.from(`${a}\n${b.slice(0, 40)}`));
    expect(torn.bad).toBe(1);
    expect([...torn.runs.keys()]).toEqual([TREE]);
  });
});

describe('run folder lists', () => {
  it('round-trips and refuses anything but a whole list', () => {
    const list = {
      tree: TREE,
      folders: [
        { tree: '1'.repeat(40), id: ID_A, commit: COMMIT },
        { tree: '2'.repeat(40), id: ID_B, commit: COMMIT },
      ],
    };
    const text = formatRunFolderList(list);
    expect(parseRunFolderList(text)).toEqual(list);
    expect(parseRunFolderList(formatRunFolderList({ tree: TREE, folders: [] }))).toEqual({
      tree: TREE,
      folders: [],
    });
    for (const bad of [
      text.slice(0, -3),
      '',
      '[]',
      '["ghml-run-folders",1,"not-an-oid",[]]',
      `["ghml-run-folders",2,"${TREE}",[]]`,
      `["ghml-run-folders",1,"${TREE}",["a","b"]]`,
      `["ghml-run-folders",1,"${TREE}",[1,2,3]]`,
    ]) {
      expect(parseRunFolderList(bad)).toBeUndefined();
    }
  });
});
