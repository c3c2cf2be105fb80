import { describe, expect, it } from 'vitest';
import { parseOrderBy, sortRuns } from '../../../src/tracking/query/run-order.js';
import type { RunRecord } from '../../../src/tracking/run-record.js';
import { sortRunsFast } from '../../../web/src/run-sort.js';

/** A small deterministic generator, so a failure can be reproduced. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

function runs(n: number, seed: number): RunRecord[] {
  const r = random(seed);
  return Array.from({ length: n }, (_, i) => {
    const pick = r();
    const value =
      pick < 0.1
        ? undefined
        : pick < 0.15
          ? Number.NaN
          : pick < 0.18
            ? Number.POSITIVE_INFINITY
            : pick < 0.2
              ? -0
              : pick < 0.22
                ? Number.NEGATIVE_INFINITY
                : Math.round(r() * 40 - 20) / 10;
    const metrics: RunRecord['metrics'] = {};
    if (value !== undefined)
      metrics['acc'] = { value, step: 0, timestamp: 0, min: value, max: value, count: 1 };
    return {
      format: 1,
      id: `01J${String(Math.floor(r() * 1e6)).padStart(8, '0')}${String(i).padStart(15, '0')}`,
      experiment: 'e',
      name: r() < 0.3 ? null : `n${Math.floor(r() * 4)}`,
      status: r() < 0.5 ? 'FINISHED' : 'FAILED',
      startTime: Math.floor(r() * 5),
      endTime: r() < 0.3 ? null : Math.floor(r() * 5),
      exitCode: 0,
      source: { commit: 'a'.repeat(40), branch: null, dirty: false },
      github: null,
      params: { p: String(Math.floor(r() * 3)) },
      tags: r() < 0.5 ? {} : { t: r() < 0.5 ? 'b' : 'a' },
      metrics,
      artifacts: [],
    };
  });
}

describe('sortRunsFast', () => {
  it.each([
    'metrics.acc DESC',
    'metrics.acc',
    'start_time',
    'end_time DESC',
    'params.p DESC',
    'params.p',
    'tags.t',
    'run_name DESC',
    'status',
    'metrics.acc DESC, params.p',
  ])('orders runs exactly as runs list --order-by "%s" does', (order) => {
    for (const seed of [1, 2, 3]) {
      const random = runs(3000, seed);
      // As the page holds them (newest id first), and in any order.
      const list = seed === 1 ? [...random].sort((a, b) => (a.id < b.id ? 1 : -1)) : random;
      const clauses = parseOrderBy([order]);
      const expected = sortRuns(list, clauses).map((r) => r.id);
      expect(sortRunsFast(list, clauses).map((r) => r.id)).toEqual(expected);
      // With the page's load positions (newest id first) instead of comparing ids.
      const position = new Map(
        [...list].sort((a, b) => (a.id < b.id ? 1 : -1)).map((r, i) => [r, i] as const),
      );
      const byPosition = sortRunsFast(list, clauses, (r) => position.get(r) ?? 0);
      expect(byPosition.map((r) => r.id)).toEqual(expected);
    }
  });

  it.each(['params.p', 'params.p DESC'])(
    'orders strings the page cannot rank by their first characters exactly as sortRuns (%s)',
    (order) => {
      const r = random(7);
      const samples = [
        () => String(Math.floor(r() * 1e6) / 1e3), // numeric strings: '12.5' < '2'
        () => `shared-prefix-that-is-long-${Math.floor(r() * 50)}`,
        () => ['', '\u0000', 'é', 'e\u0301', '😀', 'Z', 'a', '\uffff'][Math.floor(r() * 8)] ?? '',
        () => r().toString(36), // nearly every run distinct
      ];
      for (const make of samples) {
        const list = runs(4000, 11).map((run) => ({ ...run, params: { p: make() } }));
        const clauses = parseOrderBy([order]);
        const expected = sortRuns(list, clauses).map((run) => run.id);
        expect(sortRunsFast(list, clauses).map((run) => run.id)).toEqual(expected);
      }
    },
  );
});
