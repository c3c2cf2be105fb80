/**
 * DVC's `${}` templating: `${name}`, `${a.b}`, `${list[0]}`, escaped with `\${`. A string that
 * is exactly one `${}` takes the value itself (a list, a map, a number); inside longer text a
 * value must be a string, number or boolean (booleans as true/false), except that a map inside
 * `cmd` becomes `--key value` flags. Values that come from a params file are reported as used,
 * so the stage depends on them as params (DVC's tracked vars).
 */

/** A value in the context and the params file it came from (null for inline vars). */
interface ContextEntry {
  value: unknown;
  source: string | null;
}

/** A param a `${}` read from a params file. */
export interface UsedParam {
  file: string;
  key: string;
  value: unknown;
}

export class InterpolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterpolationError';
  }
}

const EXPRESSION = /(?<!\\)\$\{([^}]*)\}/g;

/** The top-level names and their values that `${}` can read. */
export class VarsContext {
  private readonly entries = new Map<string, ContextEntry>();

  constructor(private readonly parent?: VarsContext) {}

  /** A child context: names added to it shadow nothing in the parent (they must be new). */
  child(): VarsContext {
    return new VarsContext(this);
  }

  lookup(name: string): ContextEntry | undefined {
    return this.entries.get(name) ?? this.parent?.lookup(name);
  }

  /** Where `name` is defined, for "already defined" messages; undefined when it is free. */
  definedBy(name: string): string | undefined {
    const found = this.lookup(name);
    if (found === undefined) return undefined;
    return found.source ?? 'inline vars';
  }

  /** Adds top-level names; `replace` lets foreach/matrix set `item` and `key` per member. */
  set(name: string, value: unknown, source: string | null, replace = false): void {
    const existing = this.lookup(name);
    if (!replace && existing !== undefined) {
      throw new InterpolationError(
        `'${name}' is defined twice (in ${existing.source ?? 'inline vars'} and ${source ?? 'inline vars'})`,
      );
    }
    this.entries.set(name, { value, source });
  }

  names(): string[] {
    return [...new Set([...(this.parent?.names() ?? []), ...this.entries.keys()])];
  }
}

/** `a.b[0].c` -> ['a', 'b', '0', 'c']; throws on malformed expressions. */
export function parseExpression(text: string): string[] {
  const expr = text.trim();
  if (expr === '') throw new InterpolationError('${} is empty');
  const segments: string[] = [];
  let i = 0;
  const word = (): string => {
    const start = i;
    while (i < expr.length && !'.[]'.includes(expr[i] as string)) i++;
    const found = expr.slice(start, i).trim();
    if (found === '') throw new InterpolationError(`'\${${text}}' is not a valid expression`);
    return found;
  };
  segments.push(word());
  while (i < expr.length) {
    const c = expr[i];
    i++;
    if (c === '.') segments.push(word());
    else if (c === '[') {
      segments.push(word());
      if (expr[i] !== ']') throw new InterpolationError(`'\${${text}}' has an unclosed '['`);
      i++;
    } else throw new InterpolationError(`'\${${text}}' is not a valid expression`);
  }
  return segments;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `segments` from the context; records params-file values in `used`. */
export function select(context: VarsContext, segments: string[], used: UsedParam[]): unknown {
  const [first, ...rest] = segments;
  const entry = context.lookup(first as string);
  if (entry === undefined) {
    const known = context.names();
    throw new InterpolationError(
      `'${first}' is not defined${known.length > 0 ? ` (defined: ${known.slice(0, 20).join(', ')})` : ' (no vars and no params.yaml)'}`,
    );
  }
  let value = entry.value;
  const walked = [first as string];
  for (const segment of rest) {
    let next: unknown;
    if (Array.isArray(value)) {
      const index = /^\d+$/.test(segment) ? Number(segment) : NaN;
      next = Number.isInteger(index) ? value[index] : undefined;
    } else if (isRecord(value) && Object.hasOwn(value, segment)) {
      next = value[segment];
    }
    if (next === undefined) {
      throw new InterpolationError(`'${walked.join('.')}' has no '${segment}'`);
    }
    value = next;
    walked.push(segment);
  }
  if (entry.source !== null) used.push({ file: entry.source, key: walked.join('.'), value });
  return value;
}

function scalarText(value: unknown, expr: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (value === null) return 'None';
  throw new InterpolationError(
    `'\${${expr}}' is ${Array.isArray(value) ? 'a list' : 'a map'}, which cannot be placed inside text`,
  );
}

/** Quotes a value for a POSIX shell (the `--key value` flags of a map in cmd). */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'"'"'`)}'`;
}

function flags(map: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (isRecord(value)) out.push(...flags(value, name));
    else if (typeof value === 'boolean') {
      if (value) out.push(`--${name}`);
    } else if (Array.isArray(value)) {
      out.push(`--${name}`, ...value.map((v) => shellQuote(scalarText(v, name))));
    } else out.push(`--${name}`, shellQuote(scalarText(value, name)));
  }
  return out;
}

/** True when the text holds at least one unescaped `${`. */
export function hasInterpolation(text: string): boolean {
  EXPRESSION.lastIndex = 0;
  return EXPRESSION.test(text);
}

/**
 * Resolves the `${}` in `text`. A text that is exactly one `${}` gives the value itself;
 * otherwise a string. `inCmd` allows maps (as flags).
 */
export function interpolate(
  text: string,
  context: VarsContext,
  used: UsedParam[],
  options: { inCmd?: boolean } = {},
): unknown {
  const matches = [...text.matchAll(EXPRESSION)];
  if (matches.length === 0) return text.replace(/\\\$\{/g, '${');
  const only = matches[0];
  if (matches.length === 1 && only !== undefined && only[0] === text) {
    return select(context, parseExpression(only[1] ?? ''), used);
  }
  let out = '';
  let last = 0;
  for (const match of matches) {
    const expr = match[1] ?? '';
    const value = select(context, parseExpression(expr), used);
    const shown =
      options.inCmd && isRecord(value) ? flags(value).join(' ') : scalarText(value, expr);
    out += text.slice(last, match.index) + shown;
    last = (match.index ?? 0) + match[0].length;
  }
  out += text.slice(last);
  return out.replace(/\\\$\{/g, '${');
}
