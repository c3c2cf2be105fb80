/**
 * Param values a stage depends on, read from params files (YAML or JSON) as DVC does: a
 * dotted name walks nested maps (`train.lr`), and a file listed without names contributes
 * every top-level entry. Files are parsed once per load.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ParamsFileError } from '../definition/definition-errors.js';
import type { ParamsSpec } from '../definition/stage-spec.js';

/** A param that the stage lists but its file lacks (`dvc status` reports it deleted). */
export const MISSING = Symbol('missing param');

export class ParamsReader {
  private readonly files = new Map<string, Record<string, unknown> | undefined>();

  constructor(private readonly root: string) {}

  /** The parsed file; undefined when it does not exist. Throws ParamsFileError when broken. */
  file(file: string): Record<string, unknown> | undefined {
    if (this.files.has(file)) return this.files.get(file);
    let data: Record<string, unknown> | undefined;
    let text: string | undefined;
    try {
      text = readFileSync(join(this.root, file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ParamsFileError(file, (error as Error).message);
      }
    }
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = parseYaml(text, { maxAliasCount: 1000 });
      } catch (error) {
        throw new ParamsFileError(
          file,
          `not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`,
        );
      }
      if (parsed === null || parsed === undefined) data = {};
      else if (typeof parsed === 'object' && !Array.isArray(parsed))
        data = parsed as Record<string, unknown>;
      else throw new ParamsFileError(file, 'the top level must be a mapping of param names');
    }
    this.files.set(file, data);
    return data;
  }

  /** file -> key -> value (MISSING when absent) for the stage's params. */
  values(specs: readonly ParamsSpec[]): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const spec of specs) {
      const data = this.file(spec.file);
      const values: Record<string, unknown> = {};
      if (spec.keys === null) {
        for (const [key, value] of Object.entries(data ?? {})) values[key] = value;
      } else {
        for (const key of spec.keys) values[key] = data === undefined ? MISSING : pick(data, key);
      }
      out[spec.file] = values;
    }
    return out;
  }
}

function pick(data: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(data, key)) return data[key];
  let value: unknown = data;
  for (const part of key.split('.')) {
    if (Array.isArray(value) && /^\d+$/.test(part)) value = value[Number(part)];
    else if (typeof value === 'object' && value !== null && Object.hasOwn(value, part)) {
      value = (value as Record<string, unknown>)[part];
    } else return MISSING;
    if (value === undefined) return MISSING;
  }
  return value;
}

/** Canonical JSON (sorted keys), for comparing values and hashing them. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(String(value));
  return JSON.stringify(value) ?? 'null';
}
