import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors/ghml-error.js';
import { OrderBySyntaxError } from '../../../src/tracking/query/run-query-errors.js';
import { DEFAULT_ORDER, parseOrderBy, sortRuns } from '../../../src/tracking/query/run-order.js';
import type { RunRecord } from '../../../src/tracking/run-record.js';
import { makeRun, RUNS } from './fixture-runs.js';

function order(clauses: string[], runs: readonly RunRecord[] = RUNS): string[] {
  return sortRuns(runs, parseOrderBy(clauses)).map((run) => run.id);
}

describe('parseOrderBy', () => {
  it('reads fields and directions, ASC by default', () => {
    expect(
      parseOrderBy([
        'metrics.accuracy DESC',
        'start_time',
        'params.lr asc',
        'metrics.`f1 score` desc',
      ]),
    ).toEqual([
      { field: { kind: 'metric', key: 'accuracy' }, descending: true },
      { field: { kind: 'attribute', key: 'start_time' }, descending: false },
      { field: { kind: 'param', key: 'lr' }, descending: false },
      { field: { kind: 'metric', key: 'f1 score' }, descending: true },
    ]);
  });

  it('accepts several clauses in one text, separated by commas', () => {
    expect(parseOrderBy(['metrics.a DESC, attributes.run_name'])).toEqual([
      { field: { kind: 'metric', key: 'a' }, descending: true },
      { field: { kind: 'attribute', key: 'run_name' }, descending: false },
    ]);
  });

  it('returns no clauses for no texts', () => {
    expect(parseOrderBy([])).toEqual([]);
  });

  // [clause, column, reason]
  const errors: Array<[string, number, RegExp]> = [
    ['', 1, /^expected a field such as metrics\.accuracy, got the end$/],
    ['metrics.accuracy DOWN', 18, /^expected ASC, DESC, ',' or the end, got 'DOWN'$/],
    ['metrics.accuracy DESC ASC', 23, /^expected ASC, DESC, ',' or the end, got 'ASC'$/],
    ['metrcs.accuracy', 1, /^unknown field prefix 'metrcs' \(did you mean 'metrics'\?\)$/],
    ['starttime DESC', 1, /^unknown attribute 'starttime' \(did you mean 'start_time'\?\)$/],
    ['metrics.`f1 score DESC', 9, /^unterminated key/],
    ['metrics.a,', 11, /^expected a field such as metrics\.accuracy, got the end$/],
  ];

  it.each(errors)('refuses %j', (clause, column, reason) => {
    let error: unknown;
    try {
      parseOrderBy(['start_time', clause]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OrderBySyntaxError);
    expect(error).toBeInstanceOf(UsageError);
    const e = error as OrderBySyntaxError;
    expect(e.reason).toMatch(reason);
    expect(e.column).toBe(column);
    expect(e.clause).toBe(clause);
    expect(e.message.split('\n')).toEqual([
      `Invalid order-by at column ${column}: ${e.reason}`,
      `  ${clause}`,
      `  ${' '.repeat(column - 1)}^`,
    ]);
  });
});

describe('sortRuns', () => {
  // Fixture start times: 01A 1000, 01B 3000, 01C 2000, 01D 3000.
  it('defaults to start_time DESC, ties by id', () => {
    expect(order([])).toEqual(['01B', '01D', '01C', '01A']);
    expect(sortRuns(RUNS, DEFAULT_ORDER).map((r) => r.id)).toEqual(['01B', '01D', '01C', '01A']);
    expect(sortRuns(RUNS).map((r) => r.id)).toEqual(['01B', '01D', '01C', '01A']);
  });

  it('sorts by a metric, missing values last in both directions', () => {
    // accuracy: 01A 0.95, 01B 0.85, 01C none, 01D 0.95 (tie broken by start_time DESC).
    expect(order(['metrics.accuracy DESC'])).toEqual(['01D', '01A', '01B', '01C']);
    expect(order(['metrics.accuracy'])).toEqual(['01B', '01D', '01A', '01C']);
  });

  it('puts NaN after every number and before missing values', () => {
    // loss: 01A 0.2, 01B NaN, 01C Infinity, 01D none.
    expect(order(['metrics.loss ASC'])).toEqual(['01A', '01C', '01B', '01D']);
    expect(order(['metrics.loss DESC'])).toEqual(['01C', '01A', '01B', '01D']);
  });

  it('sorts params as strings, by code unit', () => {
    // n_estimators: 01A '10', 01B '100', 01D '1000', 01C none.
    expect(order(['params.n_estimators DESC'])).toEqual(['01D', '01B', '01A', '01C']);
    // model: 'RANDOMFOREST' < 'RandomForest' < 'rf'.
    expect(order(['params.model'])).toEqual(['01D', '01A', '01B', '01C']);
  });

  it('uses later clauses for ties', () => {
    expect(order(['metrics.accuracy DESC', 'run_name DESC'])).toEqual(['01A', '01D', '01B', '01C']);
    expect(order(['experiment DESC', 'start_time ASC'])).toEqual(['01C', '01A', '01B', '01D']);
  });

  it('sorts attributes: null names and end times last', () => {
    expect(order(['run_name'])).toEqual(['01C', '01D', '01A', '01B']);
    expect(order(['end_time DESC'])).toEqual(['01D', '01A', '01B', '01C']);
    expect(order(['status'])).toEqual(['01B', '01A', '01D', '01C']);
    expect(order(['tags.team DESC'])).toEqual(['01C', '01A', '01B', '01D']);
  });

  it('returns a new array and leaves the input alone', () => {
    const input = [...RUNS];
    const sorted = sortRuns(input, parseOrderBy(['run_id DESC']));
    expect(sorted.map((r) => r.id)).toEqual(['01D', '01C', '01B', '01A']);
    expect(input).toEqual(RUNS);
  });

  it('sorts 100,000 runs', () => {
    const runs = Array.from({ length: 100_000 }, (_, i) =>
      makeRun(String(i).padStart(6, '0'), {
        startTime: i % 97,
        metrics: i % 10 === 0 ? {} : { accuracy: (i * 7919) % 1000 },
      }),
    );
    const sorted = sortRuns(runs, parseOrderBy(['metrics.accuracy DESC']));
    expect(sorted).toHaveLength(100_000);
    expect(sorted[0]?.metrics['accuracy']?.value).toBe(999);
    expect(sorted.at(-1)?.metrics['accuracy']).toBeUndefined();
    for (let i = 1; i < 90_000; i++) {
      const a = sorted[i - 1]?.metrics['accuracy']?.value ?? Number.NaN;
      const b = sorted[i]?.metrics['accuracy']?.value ?? Number.NaN;
      if (!(a >= b)) throw new Error(`out of order at ${i}: ${a} then ${b}`);
    }
  });
});
