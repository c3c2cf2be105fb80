import { describe, expect, it } from 'vitest';
import { buildLeaderboard } from '../../../src/compare/leaderboard.js';
import { MATRIX_KEY_TAG, matrixKeyOf } from '../../../src/compare/matrix-key.js';
import { matchRuns, selectByKey } from '../../../src/compare/run-matcher.js';
import { makeRun } from './fixtures.js';

const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);

describe('matrixKeyOf', () => {
  it('sorts matrix values by name', () => {
    const run = makeRun({ commit: HEAD, matrix: { seed: '1', model: 'rf' } });
    expect(matrixKeyOf(run)).toBe('model=rf,seed=1');
  });

  it("is '' without a matrix", () => {
    expect(matrixKeyOf(makeRun({ commit: HEAD }))).toBe('');
    expect(matrixKeyOf(makeRun({ commit: HEAD, matrix: {} }))).toBe('');
  });

  it('is replaced by the ghml.matrix_key tag', () => {
    const run = makeRun({
      commit: HEAD,
      matrix: { seed: '1' },
      tags: { [MATRIX_KEY_TAG]: 'lr=0.1' },
    });
    expect(matrixKeyOf(run)).toBe('lr=0.1');
  });
});

describe('selectByKey', () => {
  it('keeps the latest run per key, by startTime then id', () => {
    const old = makeRun({ commit: HEAD, startTime: 1 });
    const latest = makeRun({ commit: HEAD, startTime: 3 });
    const tieLow = makeRun({
      id: '01J00000000000000000000AAA',
      commit: HEAD,
      startTime: 2,
      matrix: { s: '1' },
    });
    const tieHigh = makeRun({
      id: '01J00000000000000000000ZZZ',
      commit: HEAD,
      startTime: 2,
      matrix: { s: '1' },
    });
    const selected = selectByKey([latest, tieHigh, old, tieLow]);
    expect([...selected.keys()]).toEqual(['', 's=1']);
    expect(selected.get('')?.id).toBe(latest.id);
    expect(selected.get('s=1')?.id).toBe(tieHigh.id);
  });

  it('prefers the latest FINISHED run over a newer failed one', () => {
    const finished = makeRun({ commit: HEAD, startTime: 1 });
    const failed = makeRun({ commit: HEAD, startTime: 2, status: 'FAILED' });
    expect(selectByKey([failed, finished]).get('')?.id).toBe(finished.id);
  });

  it('keeps the latest unfinished run when a key has no FINISHED run', () => {
    const failed = makeRun({ commit: HEAD, startTime: 1, status: 'FAILED' });
    const killed = makeRun({ commit: HEAD, startTime: 2, status: 'KILLED' });
    expect(selectByKey([failed, killed]).get('')?.status).toBe('KILLED');
  });
});

describe('matchRuns', () => {
  it('pairs by matrix key and reports base keys without a head run as missing', () => {
    const head1 = makeRun({ commit: HEAD, matrix: { seed: '1' } });
    const head3 = makeRun({ commit: HEAD, matrix: { seed: '3' } });
    const base1 = makeRun({ commit: BASE, matrix: { seed: '1' } });
    const base2 = makeRun({ commit: BASE, matrix: { seed: '2' } });
    const result = matchRuns([head3, head1], [base2, base1]);
    expect(result.pairs.map((p) => [p.matrixKey, p.head.id, p.base?.id ?? null])).toEqual([
      ['seed=1', head1.id, base1.id],
      ['seed=3', head3.id, null],
    ]);
    expect(result.missing.map((m) => [m.matrixKey, m.base.id])).toEqual([['seed=2', base2.id]]);
  });

  it('pairs a lone head key with a lone base key even when the keys differ', () => {
    const head = makeRun({ commit: HEAD, matrix: { python: '3.12' } });
    const base = makeRun({ commit: BASE });
    const result = matchRuns([head], [base]);
    expect(result.pairs).toEqual([{ matrixKey: 'python=3.12', head, base }]);
    expect(result.missing).toEqual([]);
  });

  it('compares every head key with a pinned base run', () => {
    const heads = [1, 2].map((seed) => makeRun({ commit: HEAD, matrix: { seed: String(seed) } }));
    const pinned = makeRun({ commit: BASE, matrix: { seed: '9' } });
    const result = matchRuns(heads, [pinned], { pinned: true });
    expect(result.pairs.map((p) => p.base?.id)).toEqual([pinned.id, pinned.id]);
    expect(result.missing).toEqual([]);
  });

  it('uses the latest run of each side for a key', () => {
    const headOld = makeRun({ commit: HEAD, startTime: 1 });
    const headNew = makeRun({ commit: HEAD, startTime: 2 });
    const baseOld = makeRun({ commit: BASE, startTime: 1 });
    const baseNew = makeRun({ commit: BASE, startTime: 2 });
    const [pair] = matchRuns([headNew, headOld], [baseOld, baseNew]).pairs;
    expect([pair?.head.id, pair?.base?.id]).toEqual([headNew.id, baseNew.id]);
  });

  it('returns nothing for no head runs', () => {
    const base = makeRun({ commit: BASE });
    expect(matchRuns([], [base])).toEqual({
      pairs: [],
      missing: [{ matrixKey: '', base }],
    });
  });
});

describe('buildLeaderboard', () => {
  const sweep = (values: Array<[string, number | undefined, ('FINISHED' | 'FAILED')?]>) =>
    matchRuns(
      values.map(([lr, value, status]) =>
        makeRun({
          commit: HEAD,
          status: status ?? 'FINISHED',
          matrix: { lr },
          params: { lr, epochs: '10' },
          metrics: value === undefined ? { other: 1 } : { accuracy: value, loss: 1 - value },
        }),
      ),
      [],
    ).pairs;

  it('ranks on the configured objective in its direction', () => {
    const pairs = sweep([
      ['0.1', 0.8],
      ['0.01', 0.95],
      ['0.001', 0.9],
    ]);
    const board = buildLeaderboard(pairs, 'accuracy', () => 'max');
    expect(board?.objective).toBe('accuracy');
    expect(board?.direction).toBe('max');
    expect(board?.rows.map((r) => [r.rank, r.run.matrixKey, r.objective])).toEqual([
      [1, 'lr=0.01', 0.95],
      [2, 'lr=0.001', 0.9],
      [3, 'lr=0.1', 0.8],
    ]);
    // only the params the sweep varied
    expect(board?.rows[0]?.params).toEqual({ lr: '0.01' });

    const byLoss = buildLeaderboard(pairs, 'loss', () => 'min');
    expect(byLoss?.rows.map((r) => r.run.matrixKey)).toEqual(['lr=0.01', 'lr=0.001', 'lr=0.1']);
  });

  it('falls back to the first metric alphabetically', () => {
    const board = buildLeaderboard(
      sweep([
        ['1', 0.5],
        ['2', 0.6],
      ]),
      null,
      (metric) => (metric === 'loss' ? 'min' : 'max'),
    );
    expect(board?.objective).toBe('accuracy');
    expect(board?.rows.map((r) => r.run.matrixKey)).toEqual(['lr=2', 'lr=1']);
  });

  it('ranks broken values, missing values and unfinished runs last, in that order', () => {
    const board = buildLeaderboard(
      sweep([
        ['a', undefined],
        ['b', Number.NaN],
        ['c', 0.99, 'FAILED'],
        ['d', 0.5],
        ['e', Number.POSITIVE_INFINITY],
        ['f', 0.7],
      ]),
      'accuracy',
      () => 'max',
    );
    expect(board?.rows.map((r) => r.run.matrixKey)).toEqual([
      'lr=f',
      'lr=d',
      'lr=b',
      'lr=e',
      'lr=a',
      'lr=c',
    ]);
    expect(board?.rows.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(board?.rows[4]?.objective).toBeNull();
  });

  it('is null for a single key or when no run has a metric', () => {
    expect(buildLeaderboard(sweep([['1', 0.5]]), 'accuracy', () => 'max')).toBeNull();
    const bare = matchRuns(
      [
        makeRun({ commit: HEAD, matrix: { s: '1' } }),
        makeRun({ commit: HEAD, matrix: { s: '2' } }),
      ],
      [],
    ).pairs;
    expect(buildLeaderboard(bare, null, () => 'max')).toBeNull();
  });

  it('keeps a param named __proto__ as an own property', () => {
    const pairs = matchRuns(
      ['1', '2'].map((v) =>
        makeRun({
          commit: HEAD,
          matrix: { s: v },
          params: JSON.parse(`{"__proto__": "${v}"}`),
          metrics: { acc: Number(v) },
        }),
      ),
      [],
    ).pairs;
    const board = buildLeaderboard(pairs, 'acc', () => 'max');
    expect(Object.hasOwn(board?.rows[0]?.params ?? {}, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(board?.rows[0]?.params)).toBe(Object.prototype);
  });
});
