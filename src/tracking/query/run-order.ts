/**
 * Ordering runs, MLflow's `order_by`: clauses such as `metrics.accuracy DESC`, `start_time`,
 * `params.lr ASC` (ASC by default). Runs that lack the field sort last whichever the direction,
 * and a NaN metric sorts after every number but before a missing one. Ties are broken by
 * start_time DESC (newest first), then by run id ascending. With no clauses the order is
 * start_time DESC.
 */
import { OrderBySyntaxError } from './run-query-errors.js';
import { fieldReader, type FieldRef } from './run-query-fields.js';
import { Scanner } from './run-query-scanner.js';
import type { RunRecord } from '../run-record.js';

/** One sort key. */
export interface OrderClause {
  field: FieldRef;
  descending: boolean;
}

/** The order used when no clause is given. */
export const DEFAULT_ORDER: readonly OrderClause[] = [
  { field: { kind: 'attribute', key: 'start_time' }, descending: true },
];

/**
 * Parses order-by clauses: each text is `<field> [ASC|DESC]`, or several such separated by
 * commas. Throws OrderBySyntaxError pointing at the column of the problem.
 */
export function parseOrderBy(texts: readonly string[]): OrderClause[] {
  const clauses: OrderClause[] = [];
  for (const text of texts) {
    const s = new Scanner(text, (offset, reason, hint) => {
      throw new OrderBySyntaxError(text, offset + 1, reason, hint);
    });
    for (;;) {
      const field = s.field();
      s.skipSpace();
      const descending = s.keyword('DESC');
      if (!descending) s.keyword('ASC');
      if (s.atEnd()) {
        clauses.push({ field, descending });
        break;
      }
      if (s.eat(',')) {
        clauses.push({ field, descending });
        continue;
      }
      const next = /^\S{1,20}/.exec(s.text.slice(s.pos))?.[0] ?? '';
      s.fail(s.pos, `expected ASC, DESC, ',' or the end, got '${next}'`);
    }
  }
  return clauses;
}

// Rank of a value: present, NaN, missing. Compared before the value, in both directions.
const PRESENT = 0;
const NAN = 1;
const MISSING = 2;

type Key = number | string | undefined;

function rank(value: Key): number {
  if (value === undefined) return MISSING;
  return typeof value === 'number' && Number.isNaN(value) ? NAN : PRESENT;
}

// Numbers by value, strings by code unit (not locale: the same on every machine).
function compareValues(a: Key, b: Key): number {
  if (a === b) return 0;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

/** The runs sorted by the clauses (or by start_time DESC when there are none); a new array. */
export function sortRuns<T extends RunRecord>(
  runs: readonly T[],
  clauses: readonly OrderClause[] = [],
): T[] {
  const order = clauses.length > 0 ? clauses : DEFAULT_ORDER;
  // Read every key once into columns, then sort indices.
  const columns = order.map((clause) => {
    const read = fieldReader(clause.field);
    const values = runs.map(read);
    const ranks = Uint8Array.from(values, rank);
    return { values, ranks, sign: clause.descending ? -1 : 1 };
  });
  const startTimes = Float64Array.from(runs, (run) => run.startTime);
  const indices = Array.from(runs, (_, i) => i);
  indices.sort((i, j) => {
    for (const { values, ranks, sign } of columns) {
      const ri = ranks[i] ?? MISSING;
      const byRank = ri - (ranks[j] ?? MISSING);
      if (byRank !== 0) return byRank;
      if (ri === PRESENT) {
        const byValue = compareValues(values[i], values[j]);
        if (byValue !== 0) return byValue * sign;
      }
    }
    return (
      (startTimes[j] ?? 0) - (startTimes[i] ?? 0) ||
      compareValues((runs[i] as T).id, (runs[j] as T).id)
    );
  });
  return indices.map((i) => runs[i] as T);
}
