import { UsageError } from '../errors/ghml-error.js';

/** One thing wrong in a ghml.yml, with where it is and how to fix it. */
export interface ConfigProblem {
  /** File name as shown to the user, e.g. 'ghml.yml'. */
  file: string;
  /** 1-based line and column of the offending key or value. */
  line: number;
  column: number;
  /** Dotted key path, e.g. 'experiments.iris.metrics.accuracy.direction'; '' for the whole file. */
  path: string;
  /** What is wrong, naming the path and quoting the bad value. */
  message: string;
  /** What to write instead. */
  fix: string;
}

/** Formats one problem as `file:line:column: message`. */
export function formatProblem(problem: ConfigProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
}

/**
 * A ghml.yml that cannot be used: YAML syntax errors, unknown keys or bad values. Carries every
 * problem found (so one run of the command shows them all); `file`/`line`/`column`/`path` are
 * those of the first one.
 */
export class ConfigError extends UsageError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const first = problems[0];
    if (first === undefined) throw new TypeError('ConfigError needs at least one problem');
    const single = problems.length === 1;
    const message = single
      ? formatProblem(first)
      : [
          `${first.file} has ${problems.length} problems:`,
          ...problems.map((p) => `  ${formatProblem(p)}\n    fix: ${p.fix}`),
        ].join('\n');
    super(message, {
      hint: single
        ? first.fix
        : `fix each problem listed above; docs/config.md describes every field of ${first.file}`,
    });
    this.name = 'ConfigError';
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.path = first.path;
    this.problems = problems;
  }
}
