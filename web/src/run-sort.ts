/**
 * Sorting runs in the page exactly as `ghml runs list --order-by` sorts them (run-order.ts):
 * runs lacking the field sort last whichever the direction, NaN after every number and before
 * a missing value, ties broken by start_time DESC then by run id. A `RunSorter` holds one list
 * of runs (the runs a filter shows) and keeps what does not depend on the clause: the tie order
 * (which is also the order with no clause) and the last few columns' values, so clicking a
 * header again, or another one, costs one pass. One clause is sorted by a linear-time radix
 * sort (radix-order.ts): numbers by value, strings by a number made of their first code units,
 * then only the runs whose prefixes tie and go on are compared as strings (a param with a
 * distinct value per run, such as a random learning rate, sorts in linear time too); several
 * clauses go through run-order.ts's `sortRuns` itself. A test compares the two on random runs.
 */
import { sortRuns, type OrderClause } from '../../src/tracking/query/run-order.js';
import {
  fieldReader,
  formatField,
  isNumericField,
  type FieldRef,
} from '../../src/tracking/query/run-query-fields.js';
import type { RunRecord } from '../../src/tracking/run-record.js';
import { radixOrder } from './radix-order.js';

const PRESENT = 0;
const NAN = 1;
const MISSING = 2;

/** Code units of a string that its sort key can hold (fewer when they are not all ASCII). */
const PREFIX_SCAN = 12;

/** Columns whose values a sorter keeps (a header clicked twice reads its values once). */
const KEPT_COLUMNS = 4;

/** One field's values over the sorter's runs, read once. */
interface Column {
  /** PRESENT, NAN or MISSING per run. */
  ranks: Uint8Array;
  /** The number, or a number made of the string's first `digits` code units. */
  keys: Float64Array;
  /** The values of a string column; undefined for numbers. */
  strings?: string[];
  /** How many code units of each string its key holds. */
  digits?: number;
}

export class RunSorter<T extends RunRecord> {
  private tie: Uint32Array | undefined;
  private readonly columns = new Map<string, Column | null>();

  constructor(
    private readonly runs: readonly T[],
    /** A number per run that grows as run ids fall (the page's load order), when known. */
    private readonly idDescending?: (run: T) => number,
  ) {}

  /** The runs in the clauses' order (start_time DESC, then id, when there is none); a new array. */
  sort(clauses: readonly OrderClause[]): T[] {
    const runs = this.runs;
    if (clauses.length === 0) return this.pick(this.tieOrder());
    const clause = clauses[0];
    if (clauses.length !== 1 || clause === undefined) return sortRuns(runs, clauses);
    const column = this.column(clause.field);
    if (column === null) return sortRuns(runs, clauses);
    const { ranks, keys, strings, digits } = column;
    const n = runs.length;
    const tie = this.tieOrder();
    let present = 0;
    let nan = 0;
    for (let i = 0; i < n; i++) {
      const r = ranks[i] as number;
      if (r === PRESENT) present++;
      else if (r === NAN) nan++;
    }
    // The present ones sorted by key, then the NaN ones, then the missing ones; each group in
    // tie order, which a stable sort of the present ones keeps among equal keys.
    const out: T[] = new Array<T>(n);
    let nanAt = present;
    let missingAt = present + nan;
    const presentOrder = new Uint32Array(present);
    let p = 0;
    for (let t = 0; t < n; t++) {
      const i = tie[t] as number;
      const r = ranks[i] as number;
      if (r === PRESENT) presentOrder[p++] = i;
      else if (r === NAN) out[nanAt++] = runs[i] as T;
      else out[missingAt++] = runs[i] as T;
    }
    const sorted = radixOrder(presentOrder, signed(keys, clause.descending));
    if (strings !== undefined && digits !== undefined)
      finishStrings(sorted, keys, strings, digits, clause.descending);
    for (let k = 0; k < present; k++) out[k] = runs[sorted[k] as number] as T;
    return out;
  }

  private pick(order: Uint32Array): T[] {
    const out: T[] = new Array<T>(order.length);
    for (let k = 0; k < order.length; k++) out[k] = this.runs[order[k] as number] as T;
    return out;
  }

  /**
   * The field's values, read once; null when a value does not fit the field's kind (a number
   * in a string column or the reverse: only a hand-written record has one), which leaves the
   * sort to `sortRuns`.
   */
  private column(field: FieldRef): Column | null {
    const name = formatField(field);
    const kept = this.columns.get(name);
    if (kept !== undefined) {
      // Most recently used last.
      this.columns.delete(name);
      this.columns.set(name, kept);
      return kept;
    }
    const column = readColumn(this.runs, field);
    this.columns.set(name, column);
    if (this.columns.size > KEPT_COLUMNS) {
      const oldest = this.columns.keys().next().value as string;
      this.columns.delete(oldest);
    }
    return column;
  }

  /**
   * Start time DESC, then run id ascending: the order `sortRuns` breaks ties in. The page
   * holds runs newest id first, so the ids are usually a reversal and need no comparison.
   */
  private tieOrder(): Uint32Array {
    if (this.tie !== undefined) return this.tie;
    const runs = this.runs;
    const n = runs.length;
    let descending = true;
    const position = this.idDescending;
    if (position !== undefined) {
      for (let i = 1; i < n && descending; i++)
        descending = position(runs[i - 1] as T) < position(runs[i] as T);
    } else {
      for (let i = 1; i < n && descending; i++)
        descending = (runs[i - 1] as T).id > (runs[i] as T).id;
    }
    const byId = new Uint32Array(n);
    if (descending) {
      for (let i = 0; i < n; i++) byId[i] = n - 1 - i;
    } else {
      const ids = Array.from({ length: n }, (_, i) => i);
      ids.sort((i, j) => ((runs[i] as T).id < (runs[j] as T).id ? -1 : 1));
      byId.set(ids);
    }
    const negStarts = new Float64Array(n);
    for (let i = 0; i < n; i++) negStarts[i] = -(runs[i] as T).startTime;
    this.tie = radixOrder(byId, negStarts);
    return this.tie;
  }
}

function readColumn<T extends RunRecord>(runs: readonly T[], field: FieldRef): Column | null {
  const n = runs.length;
  const read = fieldReader(field);
  const numeric = isNumericField(field);
  const ranks = new Uint8Array(n);
  const keys = new Float64Array(n);
  if (numeric) {
    for (let i = 0; i < n; i++) {
      const value = read(runs[i] as T);
      if (value === undefined) ranks[i] = MISSING;
      else if (typeof value !== 'number') return null;
      else if (Number.isNaN(value)) ranks[i] = NAN;
      else keys[i] = value;
    }
    return { ranks, keys };
  }
  // Strings: a number per run from the first code units of its value (exact, so equal
  // numbers mean equal prefixes), radix-sorted like numbers; only runs whose prefixes are equal
  // and whose values go on past it are then compared as strings (strings compare by UTF-16
  // code unit, as `a < b` does in run-order.ts).
  const strings: string[] = new Array<string>(n);
  let maxCode = 0;
  for (let i = 0; i < n; i++) {
    const value = read(runs[i] as T);
    if (value === undefined) ranks[i] = MISSING;
    else if (typeof value !== 'string') {
      if (!Number.isNaN(value)) return null;
      ranks[i] = NAN;
    } else {
      strings[i] = value;
      const end = Math.min(value.length, PREFIX_SCAN);
      for (let c = 0; c < end; c++)
        if (value.charCodeAt(c) > maxCode) maxCode = value.charCodeAt(c);
    }
  }
  // Code units become 1..maxCode+1 (0 marks the end of a shorter value): digits of base B,
  // as many as a double holds exactly.
  const base = maxCode + 2;
  const digits = Math.max(1, Math.min(PREFIX_SCAN, Math.floor(53 / Math.log2(base))));
  for (let i = 0; i < n; i++) {
    if (ranks[i] !== PRESENT) continue;
    const value = strings[i] as string;
    let key = 0;
    for (let c = 0; c < digits; c++)
      key = key * base + (c < value.length ? value.charCodeAt(c) + 1 : 0);
    keys[i] = key;
  }
  return { ranks, keys, strings, digits };
}

/**
 * Runs of equal prefix keys in `sorted` whose values are longer than the prefix, sorted by the
 * whole value (a stable sort, so equal values keep the tie order).
 */
function finishStrings(
  sorted: Uint32Array,
  keys: Float64Array,
  strings: readonly string[],
  digits: number,
  descending: boolean,
): void {
  const sign = descending ? -1 : 1;
  let start = 0;
  while (start < sorted.length) {
    const key = keys[sorted[start] as number] as number;
    let end = start + 1;
    let longer = (strings[sorted[start] as number] as string).length > digits;
    while (end < sorted.length && keys[sorted[end] as number] === key) {
      if ((strings[sorted[end] as number] as string).length > digits) longer = true;
      end++;
    }
    if (longer && end - start > 1) {
      const group = Array.from(sorted.subarray(start, end));
      group.sort((i, j) => {
        const x = strings[i] as string;
        const y = strings[j] as string;
        return x === y ? 0 : x < y ? -sign : sign;
      });
      sorted.set(group, start);
    }
    start = end;
  }
}

function signed(keys: Float64Array, descending: boolean): Float64Array {
  if (!descending) return keys;
  const out = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = -(keys[i] as number);
  return out;
}

/** One sort of `runs` (a sorter used once). */
export function sortRunsFast<T extends RunRecord>(
  runs: readonly T[],
  clauses: readonly OrderClause[],
  idDescending?: (run: T) => number,
): T[] {
  return new RunSorter(runs, idDescending).sort(clauses);
}
