/**
 * The columns of `ghml runs list --columns params.lr,metrics.accuracy` (DVC's `exp show`
 * columns, in the field grammar of filters and order-by), and the projection of a run onto
 * them. Keys are looked up as own properties only: a param named `constructor` is a column like
 * any other. The list keeps the order given and drops repeats.
 */
import { ColumnsSyntaxError } from './run-query-errors.js';
import { formatField, type FieldRef } from './run-query-fields.js';
import { Scanner } from './run-query-scanner.js';

/** Parses one or more comma-separated column lists; throws ColumnsSyntaxError at the column. */
export function parseColumns(texts: readonly string[]): FieldRef[] {
  const fields: FieldRef[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    const s = new Scanner(text, (offset, reason, hint) => {
      throw new ColumnsSyntaxError(text, offset + 1, reason, hint);
    });
    if (s.atEnd()) s.fail(0, 'expected a field such as metrics.accuracy, got nothing');
    for (;;) {
      const field = s.field();
      const id = `${field.kind}\u0000${field.key}`;
      if (!seen.has(id)) {
        seen.add(id);
        fields.push(field);
      }
      if (s.atEnd()) break;
      if (s.eat(',')) continue;
      const next = /^\S{1,20}/.exec(s.text.slice(s.pos))?.[0] ?? '';
      s.fail(s.pos, `expected ',' or the end after ${formatField(field)}, got '${next}'`);
    }
  }
  return fields;
}

/** The keys the columns name for each of params, metrics and tags. */
export interface ColumnKeys {
  params: ReadonlySet<string>;
  metrics: ReadonlySet<string>;
  tags: ReadonlySet<string>;
}

export function columnKeys(fields: readonly FieldRef[]): ColumnKeys {
  const pick = (kind: FieldRef['kind']): Set<string> =>
    new Set(fields.filter((f) => f.kind === kind).map((f) => f.key));
  return { params: pick('param'), metrics: pick('metric'), tags: pick('tag') };
}

/** The entries of `record` whose keys are in `keys`, as a new object with own keys only. */
export function pickKeys<T>(
  record: Record<string, T>,
  keys: ReadonlySet<string>,
): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => keys.has(key)));
}
