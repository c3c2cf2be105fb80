import { UsageError } from '../../errors/ghml-error.js';

const DEFAULT_FILTER_HINT =
  "write conditions joined by AND, e.g. metrics.accuracy > 0.9 and params.model = 'rf'";
const DEFAULT_ORDER_HINT = 'write a field and an optional direction, e.g. metrics.accuracy DESC';
const WINDOW = 100;

/**
 * Quotes a query and puts a `^` under the column (1-based). Control characters become spaces
 * so the marker stays aligned; long queries are cut around the column.
 */
export function pointAt(text: string, column: number): string {
  // eslint-disable-next-line no-control-regex
  let shown = text.replace(/[\x00-\x1f\x7f]/g, ' ');
  let offset = column - 1;
  if (shown.length > WINDOW) {
    const start = Math.max(0, Math.min(offset - WINDOW / 2, shown.length - WINDOW));
    const end = start + WINDOW;
    shown = `${start > 0 ? '...' : ''}${shown.slice(start, end)}${end < shown.length ? '...' : ''}`;
    offset = offset - start + (start > 0 ? 3 : 0);
  }
  return `  ${shown}\n  ${' '.repeat(offset)}^`;
}

/** A run filter (MLflow search_runs grammar) that cannot be parsed. */
export class FilterSyntaxError extends UsageError {
  /** The filter as given. */
  readonly filter: string;
  /** 1-based column of the problem. */
  readonly column: number;
  /** What is wrong, without the position. */
  readonly reason: string;

  constructor(filter: string, column: number, reason: string, hint?: string) {
    super(`Invalid filter at column ${column}: ${reason}\n${pointAt(filter, column)}`, {
      hint: hint ?? DEFAULT_FILTER_HINT,
    });
    this.name = 'FilterSyntaxError';
    this.filter = filter;
    this.column = column;
    this.reason = reason;
  }
}

/** An order-by clause that cannot be parsed. */
export class OrderBySyntaxError extends UsageError {
  /** The clause as given. */
  readonly clause: string;
  /** 1-based column of the problem. */
  readonly column: number;
  readonly reason: string;

  constructor(clause: string, column: number, reason: string, hint?: string) {
    super(`Invalid order-by at column ${column}: ${reason}\n${pointAt(clause, column)}`, {
      hint: hint ?? DEFAULT_ORDER_HINT,
    });
    this.name = 'OrderBySyntaxError';
    this.clause = clause;
    this.column = column;
    this.reason = reason;
  }
}

/** A `--columns` list that cannot be parsed. */
export class ColumnsSyntaxError extends UsageError {
  /** The list as given. */
  readonly columns: string;
  /** 1-based column of the problem. */
  readonly column: number;
  readonly reason: string;

  constructor(columns: string, column: number, reason: string, hint?: string) {
    super(`Invalid --columns at column ${column}: ${reason}\n${pointAt(columns, column)}`, {
      hint: hint ?? 'list fields separated by commas, e.g. --columns params.lr,metrics.accuracy',
    });
    this.name = 'ColumnsSyntaxError';
    this.columns = columns;
    this.column = column;
    this.reason = reason;
  }
}
