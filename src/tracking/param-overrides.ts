/**
 * `ghml run -S/--set-param [file:]key=value` (DVC's `exp run -S`): sets params in a params file
 * for one run, so the training reads the value the run records, then puts the file back.
 *
 * Invariant: every file changed is restored byte for byte when the run ends: after the command
 * succeeds or fails, when ghml fails, and when ghml is stopped by SIGINT/SIGTERM/SIGHUP once
 * the command has ended (while it runs, the signal goes to the command and ghml records the
 * run as KILLED first). Only SIGKILL can leave a changed file behind.
 *
 * The value is read as YAML (`0.1` a number, `true` a boolean, `[1, 2]` a list, text a string).
 * In a YAML file the value node is replaced in place, keeping comments and the rest of the
 * text as the `yaml` library writes it back; a JSON file is rewritten as JSON with its indent.
 * A dotted key follows nested mappings (`train.lr` is `lr` under `train`, or a top-level
 * `train.lr` key when the file has one); missing mappings are created.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  isMap,
  isNode,
  isScalar,
  parse as parseYaml,
  parseDocument,
  type Document,
  type Node,
  type YAMLMap,
} from 'yaml';
import { UsageError } from '../errors/ghml-error.js';
import { quote } from './ingest/ingest-errors.js';
import { parseYamlText } from './ingest/ingest-yaml.js';
import { validateKey } from './run-limits.js';

/** One `-S` argument. */
export interface ParamOverride {
  /** The params file, as named in `sources.params`; undefined: the first one. */
  file?: string;
  key: string;
  /** The text after '=', read as YAML. */
  value: string;
}

/** Parses `[file:]key=value`. Throws UsageError naming the argument. */
export function parseParamOverride(text: string): ParamOverride {
  const at = text.indexOf('=');
  if (at <= 0) {
    throw new UsageError(`--set-param expects [file:]key=value, got ${quote(text)}`, {
      hint: 'e.g. -S train.lr=0.01 or -S params.yaml:train.lr=0.01',
    });
  }
  const target = text.slice(0, at);
  const colon = target.lastIndexOf(':');
  const key = colon < 0 ? target : target.slice(colon + 1);
  validateKey(key, 'param key');
  return {
    ...(colon > 0 ? { file: target.slice(0, colon) } : {}),
    key,
    value: text.slice(at + 1),
  };
}

/** A params file's bytes before the run and its text with the overrides applied. */
export interface ParamPlan {
  original: Buffer;
  changed: string;
}

/** Files changed for a run; `restore` puts them back (safe to call more than once). */
export interface AppliedOverrides {
  /** Writes the original bytes back, synchronously (it runs in signal handlers too). */
  restore(): void;
  /** Call when the command starts and ends: a signal while it runs is the command's. */
  commandRunning(running: boolean): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Computes the changed texts of the params files (nothing is written yet): each override's
 * file must be one of `paramsFiles` and exist.
 */
export async function planParamOverrides(
  cwd: string,
  paramsFiles: readonly string[],
  overrides: readonly ParamOverride[],
): Promise<Map<string, ParamPlan>> {
  const plans = new Map<string, ParamPlan>();
  if (overrides.length === 0) return plans;
  const docs = new Map<string, FileEditor>();
  for (const override of overrides) {
    const file = override.file ?? paramsFiles[0];
    if (file === undefined || !paramsFiles.includes(file)) {
      throw new UsageError(
        `cannot set param ${quote(override.key)}: ${quote(file ?? '(none)')} is not a params file of this run`,
        {
          hint: `name one of the params files (ghml.yml sources.params: ${paramsFiles.join(', ') || 'none'}) as -S <file>:${override.key}=...`,
        },
      );
    }
    let doc = docs.get(file);
    if (doc === undefined) {
      let original: Buffer;
      try {
        original = await readFile(resolve(cwd, file));
      } catch (error) {
        throw new UsageError(
          `cannot set param ${quote(override.key)}: ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
          {
            hint: `create ${file}, or set the param in another params file with -S <file>:${override.key}=...`,
          },
        );
      }
      doc = editor(file, original);
      docs.set(file, doc);
    }
    doc.apply(override);
  }
  for (const [file, doc] of docs) plans.set(file, { original: doc.original, changed: doc.text() });
  return plans;
}

/** Writes planned changes and arms the restore; see the module comment. */
export async function applyParamOverrides(
  cwd: string,
  plans: ReadonlyMap<string, ParamPlan>,
): Promise<AppliedOverrides> {
  const written: Array<{ path: string; original: Buffer }> = [];
  let restored = false;
  let running = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('exit', restore);
    for (const { path, original } of written) writeFileSync(path, original);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (running) return;
    restore();
    // Without our handler the signal ends ghml, as it would have without -S.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('exit', restore);
  try {
    for (const [file, plan] of plans) {
      const path = resolve(cwd, file);
      written.push({ path, original: plan.original });
      await writeFile(path, plan.changed);
    }
  } catch (error) {
    restore();
    throw error;
  }
  return {
    restore,
    commandRunning(value: boolean) {
      running = value;
    },
  };
}

/** One params file being changed in memory. */
interface FileEditor {
  original: Buffer;
  apply(override: ParamOverride): void;
  text(): string;
}

function editor(file: string, original: Buffer): FileEditor {
  const text = original.toString('utf8');
  if (/^\uFEFF?\s*\{/.test(text) && isJson(text)) return jsonEditor(file, original, text);
  const doc = parseYamlText(text, file).doc;
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new UsageError(`cannot set params in ${file}: its top level is not a mapping`, {
      hint: `make ${file} a mapping of param names`,
    });
  }
  return {
    original,
    apply(override) {
      const path = yamlPath(doc, override.key);
      const value = parseDocument(override.value).contents ?? parseDocument('null').contents;
      const previous = doc.getIn(path, true);
      if (isNode(previous) && isNode(value)) {
        // Keep the comments around the value that is replaced.
        if (previous.comment !== undefined) value.comment = previous.comment;
        if (previous.commentBefore !== undefined) value.commentBefore = previous.commentBefore;
        if (previous.spaceBefore !== undefined) value.spaceBefore = previous.spaceBefore;
      }
      try {
        doc.setIn(path, value);
      } catch {
        throw new UsageError(
          `cannot set param ${quote(override.key)} in ${file}: a part of it is not a mapping`,
          { hint: `check ${file}: '${override.key}' must lead through mappings` },
        );
      }
    },
    text: () => doc.toString(),
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The names leading to `key`: at each level a name that exists wins, the longest first (so a
 * top-level `train.lr` is found as itself), following mappings; what is missing is nested.
 */
function keyPath(
  key: string,
  root: unknown,
  entry: (map: unknown, name: string) => { found: boolean; value: unknown },
  isMapping: (value: unknown) => boolean,
): string[] {
  const segments = key.split('.');
  const walk = (map: unknown, from: number): string[] => {
    if (isMapping(map)) {
      for (let to = segments.length; to > from; to--) {
        const name = segments.slice(from, to).join('.');
        const { found, value } = entry(map, name);
        if (!found) continue;
        if (to === segments.length) return [name];
        if (isMapping(value)) return [name, ...walk(value, to)];
      }
    }
    return segments.slice(from);
  };
  return walk(root, 0);
}

function yamlPath(doc: Document.Parsed, key: string): string[] {
  return keyPath(
    key,
    doc.contents,
    (map, name) => {
      const pair = (map as YAMLMap).items.find(
        (p) => isScalar(p.key) && String(p.key.value) === name,
      );
      return { found: pair !== undefined, value: pair?.value as Node | null | undefined };
    },
    (value) => isMap(value),
  );
}

function jsonEditor(file: string, original: Buffer, text: string): FileEditor {
  const root = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  const define = (target: Record<string, unknown>, name: string, value: unknown): void => {
    // defineProperty: a name such as "__proto__" stays an ordinary key.
    Object.defineProperty(target, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  };
  return {
    original,
    apply(override) {
      const path = keyPath(
        override.key,
        root,
        (map, name) => {
          const object = map as Record<string, unknown>;
          return { found: Object.hasOwn(object, name), value: object[name] };
        },
        isObject,
      );
      let target = root;
      for (const name of path.slice(0, -1)) {
        if (!Object.hasOwn(target, name)) define(target, name, {});
        const next = target[name];
        if (!isObject(next)) {
          throw new UsageError(
            `cannot set param ${quote(override.key)} in ${file}: '${name}' is not an object`,
            { hint: `check ${file}: '${override.key}' must lead through objects` },
          );
        }
        target = next;
      }
      define(target, path[path.length - 1] as string, parseYaml(override.value) as unknown);
    },
    text: () => `${JSON.stringify(root, null, indent)}${text.endsWith('\n') ? '\n' : ''}`,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
