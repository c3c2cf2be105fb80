/**
 * Sorting runs in the page exactly as `ghml runs list --order-by` sorts them (run-order.ts):
 * runs lacking the field sort last whichever the direction, NaN after every number and before
 * a missing value, ties broken by start_time DESC then by run id. One clause (what clicking a
 * column gives) is sorted over its values read once, by a linear-time radix sort
 * (radix-order.ts): numbers by value, strings by their rank among the distinct values (sorted
 * by a comparator, and a column has few); several clauses go through
 * run-order.ts's `sortRuns` itself. A test compares the two on random runs.
 */
import { sortRuns, type OrderClause } from '../../src/tracking/query/run-order.js';
import { fieldReader, isNumericField } from '../../src/tracking/query/run-query-fields.js';
import type { RunRecord } from '../../src/tracking/run-record.js';
import { radixOrder } from './radix-order.js';

const PRESENT = 0;
const NAN = 1;
const MISSING = 2;

export function sortRunsFast<T extends RunRecord>(
  runs: readonly T[],
  clauses: readonly OrderClause[],
  /** A number per run that grows as run ids fall (the page's load order), when known. */
  idDescending?: (run: T) => number,
): T[] {
  const clause = clauses[0];
  if (clauses.length !== 1 || clause === undefined) return sortRuns(runs, clauses);
  const n = runs.length;
  const read = fieldReader(clause.field);
  const numeric = isNumericField(clause.field);
  const numbers = new Float64Array(n);
  const strings: string[] = numeric ? [] : new Array<string>(n).fill('');
  const ranks = new Uint8Array(n);
  const starts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const run = runs[i] as T;
    const value = read(run);
    starts[i] = run.startTime;
    if (value === undefined) ranks[i] = MISSING;
    else if (typeof value === 'number') {
      if (Number.isNaN(value)) ranks[i] = NAN;
      else if (numeric) numbers[i] = value;
      else return sortRuns(runs, clauses);
    } else if (numeric) return sortRuns(runs, clauses);
    else strings[i] = value;
  }
  const sign = clause.descending ? -1 : 1;
  if (!numeric) {
    // Strings sort by their rank among the distinct values (a param has few: '10', '100'),
    // so the runs themselves go through the same linear-time radix sort as numbers.
    const distinct = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      if (ranks[i] === PRESENT) distinct.set(strings[i] as string, 0);
    }
    const values = [...distinct.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (let r = 0; r < values.length; r++) distinct.set(values[r] as string, r);
    for (let i = 0; i < n; i++) {
      if (ranks[i] === PRESENT) numbers[i] = distinct.get(strings[i] as string) as number;
    }
  }
  return numericOrder(runs, ranks, numbers, starts, sign, idDescending);
}

/**
 * The numeric case in linear time: the runs are put in tie order first (start_time DESC, then
 * run id), then stably radix-sorted by value within the present ones, followed by the NaN ones
 * and the missing ones, each group keeping tie order — the order `sortRuns` defines.
 */
function numericOrder<T extends RunRecord>(
  runs: readonly T[],
  ranks: Uint8Array,
  numbers: Float64Array,
  starts: Float64Array,
  sign: number,
  idDescending: ((run: T) => number) | undefined,
): T[] {
  const n = runs.length;
  // Run ids ascending: the page holds runs newest id first, so that is usually a reversal.
  let byId: Uint32Array;
  let descending = true;
  if (idDescending !== undefined) {
    for (let i = 1; i < n && descending; i++)
      descending = idDescending(runs[i - 1] as T) < idDescending(runs[i] as T);
  } else {
    for (let i = 1; i < n && descending; i++)
      descending = (runs[i - 1] as T).id > (runs[i] as T).id;
  }
  if (descending) byId = Uint32Array.from({ length: n }, (_, i) => n - 1 - i);
  else {
    const ids = Array.from({ length: n }, (_, i) => i);
    ids.sort((i, j) => ((runs[i] as T).id < (runs[j] as T).id ? -1 : 1));
    byId = Uint32Array.from(ids);
  }
  const negStarts = new Float64Array(n);
  for (let i = 0; i < n; i++) negStarts[i] = -(starts[i] as number);
  const tieOrder = radixOrder(byId, negStarts);
  const present: number[] = [];
  const nan: number[] = [];
  const missing: number[] = [];
  for (const i of tieOrder) {
    const r = ranks[i] as number;
    (r === PRESENT ? present : r === NAN ? nan : missing).push(i);
  }
  const keys = new Float64Array(n);
  for (const i of present) keys[i] = (numbers[i] as number) * sign;
  const sorted = radixOrder(Uint32Array.from(present), keys);
  const out: T[] = new Array<T>(n);
  let k = 0;
  for (const i of sorted) out[k++] = runs[i] as T;
  for (const i of nan) out[k++] = runs[i] as T;
  for (const i of missing) out[k++] = runs[i] as T;
  return out;
}
