/**
 * Reads the tokens of a run query (filter or order-by) from a string, tracking the position
 * for errors. The grammar is context-dependent (a double-quoted text is a key after a dot and a
 * string value after a comparator), so the parsers call the reader they expect next.
 */
import { didYouMean } from '../../config/did-you-mean.js';
import { ATTRIBUTE_ALIASES, PREFIXES, type FieldRef } from './run-query-fields.js';

/** Raises a syntax error at a 0-based offset. */
export type Fail = (offset: number, reason: string, hint?: string) => never;

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const BARE_KEY = /[A-Za-z0-9_.\-/]+/y;
const NUMBER = /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/y;
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'like', 'ilike', 'null', 'asc', 'desc']);
const FIELD_HINT =
  'name a field as metrics.<key>, params.<key>, tags.<key> or an attribute (run_id, run_name, status, start_time, end_time, experiment, commit); quote odd keys: metrics.`f1 score`';

export class Scanner {
  pos = 0;

  constructor(
    readonly text: string,
    readonly fail: Fail,
  ) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos += 1;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  /** Consumes `literal` when it comes next. */
  eat(literal: string): boolean {
    if (!this.text.startsWith(literal, this.pos)) return false;
    this.pos += literal.length;
    return true;
  }

  /** The next word (letters, digits, '_'), consumed; undefined when none comes next. */
  word(): string | undefined {
    return this.match(WORD);
  }

  /** Consumes the keyword (case-insensitive, whole word) when it comes next. */
  keyword(word: string): boolean {
    const start = this.pos;
    const next = this.word();
    if (next !== undefined && next.toUpperCase() === word) return true;
    this.pos = start;
    return false;
  }

  /** The next number, or undefined. It must end at a delimiter. */
  number(): number | undefined {
    const start = this.pos;
    const text = this.match(NUMBER);
    if (text === undefined) return undefined;
    if (/[A-Za-z0-9_.'"`+-]/.test(this.peek())) {
      this.pos = start;
      return undefined;
    }
    return Number(text);
  }

  /** A string in single or double quotes (a doubled quote stands for itself), or undefined. */
  quoted(quotes: string): string | undefined {
    const quote = this.peek();
    if (quote === '' || !quotes.includes(quote)) return undefined;
    const start = this.pos;
    let out = '';
    this.pos += 1;
    for (;;) {
      const end = this.text.indexOf(quote, this.pos);
      if (end < 0) {
        this.fail(
          start,
          `unterminated ${quote === '`' ? 'key' : 'string'}: ${quote} is never closed`,
          `close it with ${quote}; write ${quote}${quote} for a ${quote} inside`,
        );
      }
      out += this.text.slice(this.pos, end);
      this.pos = end + 1;
      if (this.peek() !== quote) return out;
      out += quote;
      this.pos += 1;
    }
  }

  /**
   * A field: `prefix.key` (key bare, or quoted with backticks or double quotes) or a bare
   * attribute name. `source.commit` is the commit attribute.
   */
  field(): FieldRef {
    this.skipSpace();
    const start = this.pos;
    const name = this.word();
    if (name === undefined) {
      const got = this.atEnd() ? 'the end' : `'${this.peek()}'`;
      this.fail(start, `expected a field such as metrics.accuracy, got ${got}`, FIELD_HINT);
    }
    const lower = name.toLowerCase();
    if (KEYWORDS.has(lower) && this.peek() !== '.') {
      this.fail(start, `expected a field such as metrics.accuracy, got '${name}'`, FIELD_HINT);
    }
    if (this.peek() !== '.') {
      const attribute = ATTRIBUTE_ALIASES[lower];
      if (attribute !== undefined && Object.hasOwn(ATTRIBUTE_ALIASES, lower)) {
        return { kind: 'attribute', key: attribute };
      }
      const close = didYouMean(lower, Object.keys(ATTRIBUTE_ALIASES));
      this.fail(
        start,
        `unknown attribute '${name}'${close === undefined ? '' : ` (did you mean '${close}'?)`}`,
        FIELD_HINT,
      );
    }
    this.pos += 1;
    const keyStart = this.pos;
    const key = this.quoted('`"') ?? this.match(BARE_KEY);
    if (key === undefined || key === '') {
      this.fail(keyStart, `expected a key after '${name}.'`, FIELD_HINT);
    }
    if (lower === 'source' && key === 'commit') return { kind: 'attribute', key: 'commit' };
    const kind = Object.hasOwn(PREFIXES, lower) ? PREFIXES[lower] : undefined;
    if (kind === undefined) {
      const close = didYouMean(lower, Object.keys(PREFIXES));
      this.fail(
        start,
        `unknown field prefix '${name}'${close === undefined ? '' : ` (did you mean '${close}'?)`}`,
        FIELD_HINT,
      );
    }
    if (kind !== 'attribute') return { kind, key };
    const attribute = Object.hasOwn(ATTRIBUTE_ALIASES, key.toLowerCase())
      ? ATTRIBUTE_ALIASES[key.toLowerCase()]
      : undefined;
    if (attribute === undefined) this.fail(keyStart, `unknown attribute '${key}'`, FIELD_HINT);
    return { kind: 'attribute', key: attribute };
  }

  private match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.pos;
    const found = pattern.exec(this.text);
    if (found === null) return undefined;
    this.pos = pattern.lastIndex;
    return found[0];
  }
}
