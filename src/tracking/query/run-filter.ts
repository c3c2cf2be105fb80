/**
 * Run filters in MLflow's `search_runs` grammar, AND-only:
 *   metrics.accuracy > 0.9 and params.n_estimators = '10' and status = 'FINISHED'
 * Parse once with `parseRunFilter`, then test runs with `matchesRun` (the filter is compiled to
 * predicates on first use and cached) or `compileRunFilter` for hot loops.
 */
import { didYouMean } from '../../config/did-you-mean.js';
import { compileLikePattern } from './like-pattern.js';
import { FilterSyntaxError } from './run-query-errors.js';
import {
  fieldReader,
  formatField,
  isNumericField,
  type FieldReader,
  type FieldRef,
} from './run-query-fields.js';
import { Scanner } from './run-query-scanner.js';
import { RUN_STATUSES, type RunRecord } from '../run-record.js';

export type { FieldRef, RunAttribute } from './run-query-fields.js';

/** Comparators on numbers (metrics, start_time, end_time). */
export type NumericComparator = '=' | '!=' | '>' | '>=' | '<' | '<=';

/** One condition of a filter. */
export type FilterCondition =
  | { field: FieldRef; comparator: NumericComparator; value: number }
  | { field: FieldRef; comparator: '=' | '!=' | 'LIKE' | 'ILIKE'; value: string }
  | { field: FieldRef; comparator: 'IN' | 'NOT IN'; values: string[] }
  | { field: FieldRef; comparator: 'IS NULL' | 'IS NOT NULL' };

/**
 * A parsed filter: every condition must hold (AND). No conditions matches every run. Treat it
 * as immutable: `matchesRun` caches its compiled form.
 */
export interface RunFilter {
  /** The filter as written. */
  readonly text: string;
  readonly conditions: readonly FilterCondition[];
}

type Predicate = (run: RunRecord) => boolean;

const NUMERIC_COMPARATORS = ['!=', '>=', '<=', '=', '>', '<'] as const;
const STRING_HINT = 'compare params, tags and string attributes with =, !=, LIKE or ILIKE';
const NUMBER_HINT = 'compare metrics and times with =, !=, >, >=, < or <=';

function describeNext(s: Scanner): string {
  if (s.atEnd()) return 'the end of the filter';
  const next = /^\S{1,20}/.exec(s.text.slice(s.pos))?.[0] ?? s.peek();
  return `'${next}'`;
}

function readComparator(s: Scanner, field: FieldRef): FilterCondition['comparator'] {
  s.skipSpace();
  const at = s.pos;
  if (s.eat('==')) s.fail(at, "'==' is not a comparator", "write '=' to test equality");
  if (s.eat('<>')) s.fail(at, "'<>' is not a comparator", "write '!=' to test inequality");
  for (const op of NUMERIC_COMPARATORS) if (s.eat(op)) return op;
  if (s.keyword('LIKE')) return 'LIKE';
  if (s.keyword('ILIKE')) return 'ILIKE';
  if (s.keyword('IN')) return 'IN';
  if (s.keyword('NOT')) {
    s.skipSpace();
    if (s.keyword('IN')) return 'NOT IN';
    s.fail(s.pos, `expected IN after NOT, got ${describeNext(s)}`, "write NOT IN ('a', 'b')");
  }
  if (s.keyword('IS')) {
    s.skipSpace();
    const not = s.keyword('NOT');
    s.skipSpace();
    if (s.keyword('NULL')) return not ? 'IS NOT NULL' : 'IS NULL';
    s.fail(s.pos, `expected NULL after IS${not ? ' NOT' : ''}, got ${describeNext(s)}`);
  }
  return s.fail(
    at,
    `expected a comparator after ${formatField(field)}, got ${describeNext(s)}`,
    isNumericField(field) ? NUMBER_HINT : STRING_HINT,
  );
}

/** Refuses comparators that make no sense for the field's type, at the comparator's column. */
function checkComparator(s: Scanner, at: number, field: FieldRef, op: string): void {
  const shown = formatField(field);
  const attribute = field.kind === 'attribute';
  if (op === 'IS NULL' || op === 'IS NOT NULL') {
    if (attribute) {
      s.fail(at, `${op} applies to metrics, params and tags, not to the attribute ${shown}`);
    }
    return;
  }
  if (isNumericField(field)) {
    if (!(NUMERIC_COMPARATORS as readonly string[]).includes(op)) {
      s.fail(at, `${shown} is a number: ${op} does not apply to it`, NUMBER_HINT);
    }
    return;
  }
  if (op === 'IN' || op === 'NOT IN') {
    if (!attribute) {
      s.fail(
        at,
        `${op} applies to attributes such as run_id or status, not to ${shown}`,
        STRING_HINT,
      );
    }
    return;
  }
  if (op !== '=' && op !== '!=' && op !== 'LIKE' && op !== 'ILIKE') {
    s.fail(at, `${shown} is a string: ${op} does not apply to it`, STRING_HINT);
  }
}

function readNumber(s: Scanner, field: FieldRef): number {
  s.skipSpace();
  const at = s.pos;
  const value = s.number();
  if (value !== undefined) return value;
  const shown = formatField(field);
  if (s.atEnd()) s.fail(at, `missing value: ${shown} must be compared with a number`);
  const text = s.peek() === "'" || s.peek() === '"' ? s.quoted(`'"`) : undefined;
  if (text !== undefined) {
    s.fail(
      at,
      `${shown} is a number, got the string '${text}'`,
      `remove the quotes: ${shown} > 0.5`,
    );
  }
  return s.fail(at, `expected a number after the comparator, got ${describeNext(s)}`, NUMBER_HINT);
}

function readString(s: Scanner, field: FieldRef): string {
  s.skipSpace();
  const at = s.pos;
  const value = s.quoted(`'"`);
  if (value !== undefined) return value;
  const shown = formatField(field);
  if (s.atEnd()) s.fail(at, `missing value: ${shown} must be compared with a quoted string`);
  const number = s.number();
  if (number !== undefined) {
    const raw = s.text.slice(at, s.pos);
    s.fail(
      at,
      `${shown} is a string: quote the value ${raw}`,
      `write ${shown} = '${raw}' (param and tag values are strings)`,
    );
  }
  return s.fail(at, `expected a quoted string, got ${describeNext(s)}`, `write ${shown} = 'value'`);
}

function checkStatus(s: Scanner, at: number, field: FieldRef, value: string): void {
  if (field.kind !== 'attribute' || field.key !== 'status') return;
  if ((RUN_STATUSES as readonly string[]).includes(value)) return;
  const close = didYouMean(value, RUN_STATUSES);
  s.fail(
    at,
    `unknown status '${value}'${close === undefined ? '' : ` (did you mean '${close}'?)`}`,
    `a status is one of ${RUN_STATUSES.join(', ')}`,
  );
}

function readCondition(s: Scanner): FilterCondition {
  const field = s.field();
  s.skipSpace();
  const opAt = s.pos;
  const comparator = readComparator(s, field);
  checkComparator(s, opAt, field, comparator);
  switch (comparator) {
    case 'IS NULL':
    case 'IS NOT NULL':
      return { field, comparator };
    case 'IN':
    case 'NOT IN': {
      s.skipSpace();
      if (!s.eat('(')) {
        s.fail(
          s.pos,
          `expected '(' after ${comparator}, got ${describeNext(s)}`,
          "write IN ('a', 'b')",
        );
      }
      const values: string[] = [];
      for (;;) {
        s.skipSpace();
        const at = s.pos;
        const value = readString(s, field);
        checkStatus(s, at, field, value);
        values.push(value);
        s.skipSpace();
        if (s.eat(')')) return { field, comparator, values };
        if (!s.eat(',')) {
          s.fail(s.pos, `expected ',' or ')' in the ${comparator} list, got ${describeNext(s)}`);
        }
      }
    }
    case 'LIKE':
    case 'ILIKE':
      return { field, comparator, value: readString(s, field) };
    default: {
      if (isNumericField(field)) return { field, comparator, value: readNumber(s, field) };
      if (comparator !== '=' && comparator !== '!=') {
        return s.fail(opAt, `${formatField(field)} is a string: ${comparator} does not apply`);
      }
      s.skipSpace();
      const at = s.pos;
      const value = readString(s, field);
      checkStatus(s, at, field, value);
      return { field, comparator, value };
    }
  }
}

/** Parses a filter; throws FilterSyntaxError pointing at the column of the problem. */
export function parseRunFilter(text: string): RunFilter {
  const s = new Scanner(text, (offset, reason, hint) => {
    throw new FilterSyntaxError(text, offset + 1, reason, hint);
  });
  const conditions: FilterCondition[] = [];
  if (s.atEnd()) return { text, conditions };
  for (;;) {
    conditions.push(readCondition(s));
    if (s.atEnd()) return { text, conditions };
    const at = s.pos;
    if (s.keyword('AND')) {
      if (s.atEnd()) s.fail(s.pos, 'expected a condition after AND, got the end of the filter');
      continue;
    }
    if (s.keyword('OR')) {
      s.fail(
        at,
        "OR is not supported: MLflow's filter grammar is AND-only",
        "run one search per alternative, or use IN ('a', 'b') on an attribute",
      );
    }
    s.fail(at, `expected AND or the end of the filter, got ${describeNext(s)}`);
  }
}

function compileNumeric(read: FieldReader, op: NumericComparator, v: number): Predicate {
  // NaN fails every comparison, including !=.
  const num = (run: RunRecord): number => {
    const x = read(run);
    return typeof x === 'number' ? x : Number.NaN;
  };
  switch (op) {
    case '=':
      return (run) => num(run) === v;
    case '!=':
      return (run) => {
        const x = num(run);
        return !Number.isNaN(x) && x !== v;
      };
    case '>':
      return (run) => num(run) > v;
    case '>=':
      return (run) => num(run) >= v;
    case '<':
      return (run) => num(run) < v;
    case '<=':
      return (run) => num(run) <= v;
  }
}

function compileCondition(condition: FilterCondition): Predicate {
  const read = fieldReader(condition.field);
  switch (condition.comparator) {
    case 'IS NULL':
      return (run) => read(run) === undefined;
    case 'IS NOT NULL':
      return (run) => read(run) !== undefined;
    case 'IN': {
      const values = new Set(condition.values);
      return (run) => {
        const x = read(run);
        return typeof x === 'string' && values.has(x);
      };
    }
    case 'NOT IN': {
      const values = new Set(condition.values);
      return (run) => {
        const x = read(run);
        return typeof x === 'string' && !values.has(x);
      };
    }
    case 'LIKE':
    case 'ILIKE': {
      const pattern = compileLikePattern(condition.value, condition.comparator === 'ILIKE');
      return (run) => {
        const x = read(run);
        return typeof x === 'string' && pattern.test(x);
      };
    }
    default: {
      const { value, comparator } = condition;
      if (typeof value === 'number')
        return compileNumeric(read, comparator as NumericComparator, value);
      if (comparator === '=') return (run) => read(run) === value;
      // A run without the value does not match != (as in MLflow's SQL).
      return (run) => {
        const x = read(run);
        return x !== undefined && x !== value;
      };
    }
  }
}

/** Compiles a filter to one predicate; use it when testing many runs. */
export function compileRunFilter(filter: RunFilter): (run: RunRecord) => boolean {
  const predicates = filter.conditions.map(compileCondition);
  if (predicates.length === 0) return () => true;
  if (predicates.length === 1) return predicates[0] as Predicate;
  return (run) => {
    for (const predicate of predicates) if (!predicate(run)) return false;
    return true;
  };
}

const compiled = new WeakMap<RunFilter, Predicate>();

/**
 * Whether a run satisfies every condition. Metrics compare on their summary `value`; NaN fails
 * every comparison; a run without the metric, param or tag matches only IS NULL.
 */
export function matchesRun(filter: RunFilter, run: RunRecord): boolean {
  let predicate = compiled.get(filter);
  if (predicate === undefined) {
    predicate = compileRunFilter(filter);
    compiled.set(filter, predicate);
  }
  return predicate(run);
}
