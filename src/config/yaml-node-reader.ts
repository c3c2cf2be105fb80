/**
 * Walks a parsed YAML document field by field, recording problems with the file, line, column
 * and key path of the offending node. The schema (config-schema.ts) is written on top of it.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigProblem } from './config-errors.js';
import { didYouMean } from './did-you-mean.js';

/** Key path segments: mapping keys, or list indices. */
export type KeyPath = ReadonlyArray<string | number>;

/** A value at a key path and the node errors about it point at. */
export interface Field {
  path: KeyPath;
  /** The mapping key this field was found under ('' for the root and list items). */
  key: string;
  /** The value; null when the key is absent or its value is empty (`key:` or `key: null`). */
  node: Node | null;
  /** Where errors point: the value node, else the key node, else the parent's. */
  at: Node | null;
  /** The key node, for errors about the key itself. */
  keyNode: Node | null;
}

// Aliases are resolved while walking; a cap stops "billion laughs" documents.
const MAX_ALIAS_RESOLUTIONS = 1000;
const PLAIN_SEGMENT = /^[A-Za-z0-9_-]+$/;

/** 'experiments.iris.metrics.accuracy.direction'; odd keys quoted, indices as [n]. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const shown = PLAIN_SEGMENT.test(segment) ? segment : quote(segment);
      out += out === '' ? shown : `.${shown}`;
    }
  }
  return out;
}

/** A user value quoted for a message, shortened and with control characters escaped. */
export function quote(value: string): string {
  const short = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  // eslint-disable-next-line no-control-regex
  const escaped = short.replace(/[\x00-\x1f\x7f']/g, (c) =>
    c === "'" ? "\\'" : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `'${escaped}'`;
}

export class NodeReader {
  readonly problems: ConfigProblem[] = [];
  private aliasResolutions = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly lineCounter: LineCounter,
    private readonly fileName: string,
  ) {}

  /** The whole document as a field. */
  root(): Field {
    const node = this.resolve(this.doc.contents);
    return { path: [], key: '', node: this.empty(node) ? null : node, at: node, keyNode: null };
  }

  /** Records a problem about `field` (or its key, with `onKey`). `text` follows the path. */
  report(field: Field, text: string, fix: string, onKey = false): void {
    const node = onKey ? (field.keyNode ?? field.at) : field.at;
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lineCounter.linePos(offset);
    const subject = field.path.length === 0 ? this.fileName : formatPath(field.path);
    this.problems.push({
      file: this.fileName,
      line,
      column: col,
      path: formatPath(field.path),
      message: `${subject} ${text}`,
      fix,
    });
  }

  /** Records a problem at a raw source offset (YAML syntax errors). */
  reportAt(offset: number, message: string, fix: string): void {
    const { line, col } = this.lineCounter.linePos(offset);
    this.problems.push({
      file: this.fileName,
      line,
      column: col,
      path: '',
      message,
      fix,
    });
  }

  /** Describes a value for "got ..." in messages. */
  describe(field: Field): string {
    const node = field.node;
    if (node === null) return 'nothing';
    if (isMap(node)) return 'a mapping';
    if (isSeq(node)) return 'a list';
    if (isScalar(node)) {
      return typeof node.value === 'string' ? quote(node.value) : String(node.source ?? node.value);
    }
    return 'an unsupported YAML value';
  }

  /**
   * The entries of a mapping, in file order. An absent or empty value gives []. With `known`,
   * any other key is reported (with a suggestion when close to a known one).
   */
  entries(field: Field, known: readonly string[] | null, expected: string): Field[] | undefined {
    const node = field.node;
    if (node === null) return [];
    if (!isMap(node)) {
      this.report(field, `must be ${expected}, got ${this.describe(field)}`, `write ${expected}`);
      return undefined;
    }
    const fields: Field[] = [];
    for (const pair of node.items) {
      const keyNode = this.resolve(pair.key as Node | null);
      const valueNode = this.resolve(pair.value as Node | null);
      const at = valueNode ?? keyNode ?? field.at;
      const key = this.keyText(keyNode);
      if (key === undefined) {
        const where: Field = {
          path: field.path,
          key: '',
          node: keyNode,
          at: keyNode ?? at,
          keyNode,
        };
        this.report(where, 'has a key that is not a plain name', 'use a name as the key');
        continue;
      }
      const child: Field = {
        path: [...field.path, key],
        key,
        node: this.empty(valueNode) ? null : valueNode,
        at,
        keyNode,
      };
      if (known !== null && !known.includes(key)) {
        const suggestion = didYouMean(key, known);
        this.report(
          child,
          'is not a known setting',
          suggestion === undefined
            ? `remove it, or use a known key: ${known.join(', ')}`
            : `did you mean '${suggestion}'? Known keys here: ${known.join(', ')}`,
          true,
        );
        continue;
      }
      fields.push(child);
    }
    return fields;
  }

  /** The entry named `key` among `entries`, or an absent field pointing at the parent. */
  pick(parent: Field, entries: readonly Field[] | undefined, key: string): Field {
    const found = entries?.find((entry) => entry.key === key);
    return found ?? { path: [...parent.path, key], key, node: null, at: parent.at, keyNode: null };
  }

  /** A list's items; a single scalar counts as a one-item list. Absent gives undefined. */
  list(field: Field, expected: string): Field[] | undefined {
    const node = field.node;
    if (node === null) return undefined;
    if (isSeq(node)) {
      return node.items.map((item, index) => {
        const itemNode = this.resolve(item as Node | null);
        return {
          path: [...field.path, index],
          key: '',
          node: this.empty(itemNode) ? null : itemNode,
          at: itemNode ?? field.at,
          keyNode: null,
        };
      });
    }
    if (isScalar(node)) return [field];
    this.report(field, `must be ${expected}, got ${this.describe(field)}`, `write ${expected}`);
    return undefined;
  }

  /**
   * A scalar as text: strings as written; plain numbers and booleans by their source text (so
   * `version: 1.10` stays '1.10'). Absent gives undefined; mappings and lists are reported.
   */
  text(field: Field, expected: string, fix: string): string | undefined {
    const node = field.node;
    if (node === null) return undefined;
    if (isScalar(node) && node.value !== null && typeof node.value !== 'object') {
      return typeof node.value === 'string' ? node.value : String(node.source ?? node.value);
    }
    this.report(field, `must be ${expected}, got ${this.describe(field)}`, fix);
    return undefined;
  }

  /** A scalar's parsed value (string, number or boolean); undefined when absent or not a scalar. */
  scalar(field: Field): string | number | boolean | undefined {
    const node = field.node;
    if (node === null || !isScalar(node)) return undefined;
    const value = node.value;
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? value
      : undefined;
  }

  /** A boolean; anything else (including 'yes') is reported. */
  boolean(field: Field): boolean | undefined {
    if (field.node === null) return undefined;
    const value = this.scalar(field);
    if (typeof value === 'boolean') return value;
    this.report(
      field,
      `must be true or false, got ${this.describe(field)}`,
      'write true or false (in YAML 1.2, yes/no/on/off are text)',
    );
    return undefined;
  }

  /** An integer within [min, max]. */
  integer(field: Field, min: number, max: number): number | undefined {
    if (field.node === null) return undefined;
    const value = this.scalar(field);
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
      return value;
    }
    this.report(
      field,
      `must be a whole number from ${min} to ${max}, got ${this.describe(field)}`,
      `write a whole number from ${min} to ${max}`,
    );
    return undefined;
  }

  private keyText(node: Node | null): string | undefined {
    if (node === null || !isScalar(node)) return undefined;
    const value = node.value;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') {
      return String(node.source ?? value);
    }
    return undefined;
  }

  private empty(node: Node | null): boolean {
    return node === null || (isScalar(node) && node.value === null);
  }

  private resolve(node: Node | null | undefined): Node | null {
    let current: unknown = node ?? null;
    while (isAlias(current)) {
      this.aliasResolutions += 1;
      if (this.aliasResolutions > MAX_ALIAS_RESOLUTIONS) {
        if (this.aliasResolutions === MAX_ALIAS_RESOLUTIONS + 1) {
          this.reportAt(
            current.range?.[0] ?? 0,
            `the file uses more than ${MAX_ALIAS_RESOLUTIONS} alias references (*name)`,
            'write the values out instead of nesting aliases',
          );
        }
        return null;
      }
      current = current.resolve(this.doc) ?? null;
    }
    return (current as Node | null) ?? null;
  }
}
