/**
 * Errors raised while turning a command's output into a run: bad names and values (MLflow's
 * rules), a param logged twice with different values, and params/metrics files that cannot be
 * parsed. All are UsageErrors (exit status 2): the input is wrong, not ghml.
 */
import { UsageError } from '../../errors/ghml-error.js';

/** What a name is used for; it appears in messages ("metric key 'a//b' ..."). */
export type NameKind =
  'param key' | 'metric key' | 'tag key' | 'key' | 'experiment name' | 'artifact path';

/** A key, experiment name or artifact path that breaks the naming rule. */
export class InvalidNameError extends UsageError {
  readonly kind: NameKind;
  readonly value: string;
  /** The rule that was broken, e.g. "must not contain '..' segments". */
  readonly rule: string;

  constructor(kind: NameKind, value: string, rule: string, hint: string) {
    super(`Invalid ${kind} ${quote(value)}: ${rule}.`, { hint });
    this.name = 'InvalidNameError';
    this.kind = kind;
    this.value = value;
    this.rule = rule;
  }
}

/** A param, tag or metric value (or a step/timestamp) that breaks a rule. */
export class InvalidValueError extends UsageError {
  /** Key the value was logged under. */
  readonly key: string;
  readonly rule: string;

  constructor(message: string, key: string, rule: string, hint: string) {
    super(message, { hint });
    this.name = 'InvalidValueError';
    this.key = key;
    this.rule = rule;
  }
}

/** A param logged again with a different value; params are immutable within a run (MLflow). */
export class ParamChangedError extends UsageError {
  readonly key: string;
  readonly previous: string;
  readonly attempted: string;

  constructor(key: string, previous: string, attempted: string) {
    super(
      `param ${quote(key)} was already logged as ${quote(previous)}; ` +
        `params are immutable within a run, cannot change it to ${quote(attempted)}.`,
      { hint: 'log a new key or start a new run' },
    );
    this.name = 'ParamChangedError';
    this.key = key;
    this.previous = previous;
    this.attempted = attempted;
  }
}

/** A params or metrics file that cannot be parsed; the message starts with `file:line:column`. */
export class SourceFileError extends UsageError {
  readonly file: string;
  /** 1-based; 0 when the problem is not tied to a line (e.g. the file cannot be read). */
  readonly line: number;
  readonly column: number;

  constructor(
    file: string,
    line: number,
    column: number,
    reason: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    const where = line > 0 ? `${file}:${line}:${column}` : file;
    super(`${where}: ${reason}`, {
      hint: options.hint ?? `fix ${file} (it must be valid YAML or JSON)`,
      cause: options.cause,
    });
    this.name = 'SourceFileError';
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** The events file exists but cannot be read (permissions, a folder, I/O error). */
export class EventFileError extends UsageError {
  readonly file: string;

  constructor(file: string, reason: string, cause?: unknown) {
    super(`Cannot read the events file ${quote(file)}: ${reason}.`, {
      hint: 'check that GHML_EVENTS names a readable regular file',
      cause,
    });
    this.name = 'EventFileError';
    this.file = file;
  }
}

/** Quotes a value for a message, cut short so a 6000-character value does not flood the log. */
export function quote(value: string, max = 80): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  return `'${shown}'`;
}
