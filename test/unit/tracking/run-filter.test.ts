import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors/ghml-error.js';
import {
  compileRunFilter,
  matchesRun,
  parseRunFilter,
} from '../../../src/tracking/query/run-filter.js';
import { FilterSyntaxError } from '../../../src/tracking/query/run-query-errors.js';
import { makeRun, RUNS } from './fixture-runs.js';

function ids(filter: string): string[] {
  const parsed = parseRunFilter(filter);
  return RUNS.filter((run) => matchesRun(parsed, run)).map((run) => run.id);
}

function syntaxError(filter: string): FilterSyntaxError {
  try {
    parseRunFilter(filter);
  } catch (error) {
    if (error instanceof FilterSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected a FilterSyntaxError for ${filter}`);
}

describe('matchesRun', () => {
  // [filter, ids of RUNS that match]
  const cases: Array<[string, string[]]> = [
    ['', ['01A', '01B', '01C', '01D']],
    ['   ', ['01A', '01B', '01C', '01D']],
    ['metrics.accuracy > 0.9', ['01A', '01D']],
    ['metrics.accuracy >= 0.85', ['01A', '01B', '01D']],
    ['metrics.accuracy < 0.9', ['01B']],
    ['metrics.accuracy <= 0.85', ['01B']],
    ['metrics.accuracy = 0.95', ['01A', '01D']],
    ['metrics.accuracy != 0.95', ['01B']],
    ['metrics.accuracy = 9.5e-1', ['01A', '01D']],
    ['metrics.accuracy > .9', ['01A', '01D']],
    ['metrics.`f1 score` > 0.5', ['01A']],
    ['metrics."f1 score" > 0.5', ['01A']],
    ['metrics.`val/acc` < 0', ['01C']],
    ['metrics.val/acc > -1e-2', ['01C']],
    ['metrics.val/acc < -1E-3', ['01C']],
    // NaN fails every comparison; Infinity compares as a number.
    ['metrics.loss < 1', ['01A']],
    ['metrics.loss != 0.2', ['01C']],
    ['metrics.loss > 1e300', ['01C']],
    ['metrics.loss IS NULL', ['01D']],
    ['metrics.loss is not null', ['01A', '01B', '01C']],
    ['metric.accuracy > 0.9', ['01A', '01D']],
    ["params.n_estimators = '10'", ['01A']],
    ['params.n_estimators = "100"', ['01B']],
    ["params.n_estimators != '10'", ['01B', '01D']],
    ["param.model LIKE 'Random%'", ['01A']],
    ["params.model ILIKE 'random%'", ['01A', '01D']],
    ["params.model LIKE 'r_'", ['01B']],
    ["params.model LIKE '%'", ['01A', '01B', '01D']],
    ["params.`train.lr` = '0.1'", ['01A']],
    ['params."train.lr" = \'0.1\'', ['01A']],
    ["params.train.lr = '0.1'", ['01A']],
    ["params.note = 'it''s'", ['01A']],
    ['params.model IS NULL', ['01C']],
    ["tags.team = 'ml'", ['01A']],
    ["tag.team != 'ml'", ['01C']],
    ['tags.team IS NOT NULL', ['01A', '01C']],
    ["tags.team LIKE 'v%'", ['01C']],
    ["status = 'FINISHED'", ['01A']],
    ["attributes.status != 'FINISHED'", ['01B', '01C', '01D']],
    ["status IN ('FAILED', 'KILLED')", ['01B', '01D']],
    ["attribute.status NOT IN ('FAILED','KILLED')", ['01A', '01C']],
    ["run_id = '01C'", ['01C']],
    ["id IN ('01A', '01D')", ['01A', '01D']],
    ["run.id = '01B'", ['01B']],
    ["run_name = 'cnn'", ['01C']],
    ["attr.name LIKE 'rf-%'", ['01A', '01D']],
    ["run_name != 'cnn'", ['01A', '01D']],
    ["experiment = 'mnist'", ['01C']],
    ["commit LIKE 'abc123%'", ['01A']],
    ["source.commit LIKE 'abc%'", ['01A']],
    ['start_time >= 2000', ['01B', '01C', '01D']],
    ['attributes.end_time < 5000', ['01A']],
    ['end_time > 0', ['01A', '01D']],
    ["metrics.accuracy > 0.9 and params.n_estimators = '10'", ['01A']],
    ["metrics.accuracy > 0.8 AND status = 'KILLED' aNd run_name LIKE '%big'", ['01D']],
    ["metrics.accuracy>0.9 and params.model='rf'", []],
    ['metrics.missing > 0', []],
    ['metrics.missing IS NULL', ['01A', '01B', '01C', '01D']],
    ['metrics.constructor IS NULL', ['01A', '01B', '01C', '01D']],
    ["params.toString = 'x'", []],
    ['metrics.__proto__ IS NOT NULL', []],
  ];

  it.each(cases)('%s', (filter, expected) => {
    expect(ids(filter)).toEqual(expected);
  });

  it('compiles once and gives the same answers through compileRunFilter', () => {
    const filter = parseRunFilter("metrics.accuracy > 0.9 and params.model ILIKE 'random%'");
    const test = compileRunFilter(filter);
    expect(RUNS.filter(test).map((r) => r.id)).toEqual(['01A', '01D']);
    expect(RUNS.filter((r) => matchesRun(filter, r)).map((r) => r.id)).toEqual(['01A', '01D']);
  });

  it('treats LIKE patterns literally apart from % and _', () => {
    const run = makeRun('X', { params: { p: 'a.b(c)*[d]' } });
    expect(matchesRun(parseRunFilter("params.p LIKE 'a.b(c)*[d]'"), run)).toBe(true);
    expect(matchesRun(parseRunFilter("params.p LIKE 'a_b%'"), run)).toBe(true);
    expect(matchesRun(parseRunFilter("params.p LIKE 'a.b'"), run)).toBe(false);
    expect(matchesRun(parseRunFilter("params.p LIKE 'A.B%'"), run)).toBe(false);
  });

  it('records the parsed conditions', () => {
    expect(parseRunFilter("metrics.`f1 score` >= -2 and status IN ('FAILED')")).toEqual({
      text: "metrics.`f1 score` >= -2 and status IN ('FAILED')",
      conditions: [
        { field: { kind: 'metric', key: 'f1 score' }, comparator: '>=', value: -2 },
        { field: { kind: 'attribute', key: 'status' }, comparator: 'IN', values: ['FAILED'] },
      ],
    });
  });
});

describe('parseRunFilter errors', () => {
  // [filter, column, reason]
  const cases: Array<[string, number, RegExp]> = [
    ['metrcs.accuracy > 0.9', 1, /^unknown field prefix 'metrcs' \(did you mean 'metrics'\?\)$/],
    ['foo.bar = 1', 1, /^unknown field prefix 'foo'$/],
    ["runid = 'x'", 1, /^unknown attribute 'runid' \(did you mean 'run_id'\?\)$/],
    ["attributes.colour = 'x'", 12, /^unknown attribute 'colour'$/],
    ['metrics. > 1', 9, /^expected a key after 'metrics\.'$/],
    ['> 1', 1, /^expected a field such as metrics\.accuracy, got '>'$/],
    ['metrics.accuracy >', 19, /^missing value: metrics\.accuracy must be compared with a number$/],
    ['metrics.accuracy', 17, /^expected a comparator after metrics\.accuracy, got the end/],
    ['params.model =', 15, /^missing value: params\.model must be compared with a quoted string$/],
    ["params.model = 'rf", 16, /^unterminated string: ' is never closed$/],
    ['params.model = "rf', 16, /^unterminated string: " is never closed$/],
    ['metrics.`f1 score > 1', 9, /^unterminated key: ` is never closed$/],
    [
      "metrics.a > 1 OR params.b = 'x'",
      15,
      /^OR is not supported: MLflow's filter grammar is AND-only$/,
    ],
    ['metrics.a > 1 or metrics.b > 2', 15, /AND-only/],
    [
      'metrics.a > 1 metrics.b > 2',
      15,
      /^expected AND or the end of the filter, got 'metrics\.b'$/,
    ],
    ['metrics.a > 1 )', 15, /^expected AND or the end of the filter, got '\)'$/],
    ['metrics.a > 1 and', 18, /^expected a condition after AND, got the end of the filter$/],
    ['metrics.a > 1abc', 13, /^expected a number after the comparator, got '1abc'$/],
    ["metrics.a > '0.9'", 13, /^metrics\.a is a number, got the string '0\.9'$/],
    ["metrics.a LIKE '%'", 11, /^metrics\.a is a number: LIKE does not apply to it$/],
    ["metrics.a IN ('1')", 11, /^metrics\.a is a number: IN does not apply to it$/],
    ['params.n > 5', 10, /^params\.n is a string: > does not apply to it$/],
    ['params.n = 10', 12, /^params\.n is a string: quote the value 10$/],
    ['tags.t = -1.5', 10, /^tags\.t is a string: quote the value -1\.5$/],
    [
      "params.n IN ('1')",
      10,
      /^IN applies to attributes such as run_id or status, not to params\.n$/,
    ],
    ['metrics.a == 1', 11, /^'==' is not a comparator$/],
    ["params.a <> 'x'", 10, /^'<>' is not a comparator$/],
    ['metrics.a ~ 1', 11, /^expected a comparator after metrics\.a, got '~'$/],
    ['metrics.a IS 1', 14, /^expected NULL after IS, got '1'$/],
    ["params.a NOT LIKE 'x'", 14, /^expected IN after NOT, got 'LIKE'$/],
    [
      'status IS NULL',
      8,
      /^IS NULL applies to metrics, params and tags, not to the attribute status$/,
    ],
    ["status = 'DONE'", 10, /^unknown status 'DONE'$/],
    ["status = 'finished'", 10, /^unknown status 'finished' \(did you mean 'FINISHED'\?\)$/],
    ["status IN ('FAILED', 'KILED')", 22, /^unknown status 'KILED' \(did you mean 'KILLED'\?\)$/],
    ["run_id IN 'a'", 11, /^expected '\(' after IN, got ''a''$/],
    ["run_id IN ('a' 'b')", 16, /^expected ',' or '\)' in the IN list, got ''b'\)'$/],
    ['run_id IN ()', 12, /^expected a quoted string, got '\)'$/],
    ['start_time > 2024-01-01', 14, /^expected a number after the comparator, got '2024-01-01'$/],
    ['(metrics.a > 1)', 1, /^expected a field such as metrics\.accuracy, got '\('$/],
    ["params.x = 'a' and and", 20, /^expected a field such as metrics\.accuracy, got/],
  ];

  it.each(cases)('%s', (filter, column, reason) => {
    const error = syntaxError(filter);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.name).toBe('FilterSyntaxError');
    expect(error.reason).toMatch(reason);
    expect(error.column).toBe(column);
    expect(error.filter).toBe(filter);
    expect(error.hint).toBeTruthy();
    // The message quotes the filter with a ^ under the column.
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(`Invalid filter at column ${column}: ${error.reason}`);
    expect(lines[1]).toBe(`  ${filter}`);
    expect(lines[2]).toBe(`  ${' '.repeat(column - 1)}^`);
  });

  it('hints at quoting param values', () => {
    expect(syntaxError('params.n = 10').hint).toBe(
      "write params.n = '10' (param and tag values are strings)",
    );
  });

  it('keeps the marker aligned for long filters and control characters', () => {
    const filter = `${"params.a = 'x' and ".repeat(10)}\tmetrics.b ? 1`;
    const error = syntaxError(filter);
    expect(error.column).toBe(filter.indexOf('?') + 1);
    const [, quoted, marker] = error.message.split('\n');
    expect(quoted?.[marker?.indexOf('^') ?? -1]).toBe('?');
    expect(quoted?.length).toBeLessThanOrEqual(2 + 106);
  });
});

describe('performance shape', () => {
  it('matches 100,000 runs with a compiled filter', () => {
    const runs = Array.from({ length: 100_000 }, (_, i) =>
      makeRun(String(i), {
        startTime: i,
        params: { seed: String(i % 10) },
        metrics: { accuracy: (i % 1000) / 1000 },
      }),
    );
    const filter = parseRunFilter("metrics.accuracy >= 0.9 and params.seed = '3'");
    const matched = runs.filter((run) => matchesRun(filter, run));
    expect(matched).toHaveLength(1_000);
  });
});
