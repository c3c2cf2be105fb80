/**
 * DVC-style params files (`params.yaml`, or JSON): nested maps are flattened with '.'
 * (`train.lr`), lists become JSON strings (`[1,2]`), and scalars become strings the way they
 * are written in the file (`10`, `0.01`, `1e-3`, `true`; null becomes "null").
 */
import { isAlias, isMap, isScalar, isSeq, type Node, type Document } from 'yaml';
import { SourceFileError } from './ingest-errors.js';
import { keyProblem, RUN_LIMITS } from '../run-limits.js';
import { loadYamlFile, type LoadedYaml } from './ingest-yaml.js';
import type { IngestWarning } from './ingest-warnings.js';

/** Params read from one file, plus the entries skipped (bad keys, over-long values). */
export interface ParamsFileResult {
  params: Record<string, string>;
  warnings: IngestWarning[];
}

/** Deeper nesting or more entries than this is certainly not a params file (or an alias bomb). */
const MAX_DEPTH = 32;
const MAX_ENTRIES = 10_000;
/** Nodes visited at most: aliases can make a small file expand to billions of skipped entries. */
const MAX_VISITS = 100_000;

/**
 * Reads a params file. Returns undefined when it does not exist. Throws SourceFileError
 * (`params.yaml:3:5: ...`) when it is not valid YAML/JSON or its top level is not a mapping.
 */
export async function readParamsFile(
  path: string,
  displayName = path,
): Promise<ParamsFileResult | undefined> {
  const loaded = await loadYamlFile(path, displayName);
  if (loaded === undefined) return undefined;
  return flattenParams(loaded, displayName);
}

/** Flattens a parsed params document; see the module comment for the rules. */
export function flattenParams(loaded: LoadedYaml, file: string): ParamsFileResult {
  const { doc } = loaded;
  const params = new Map<string, string>();
  const warnings: IngestWarning[] = [];
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { params: {}, warnings };
  if (!isMap(root)) {
    const { line, col } = loaded.position(root.range?.[0] ?? 0);
    throw new SourceFileError(file, line, col, 'the top level must be a mapping of param names');
  }
  const warn = (node: Node | null | undefined, message: string): void => {
    const offset = node?.range?.[0];
    warnings.push(
      offset === undefined
        ? { source: file, message }
        : { source: file, line: loaded.position(offset).line, message },
    );
  };

  let visits = 0;
  let overflow = false;
  const visit = (node: unknown, key: string, depth: number): void => {
    if (visits >= MAX_VISITS) return;
    visits += 1;
    const resolved = resolve(node, doc);
    if (isMap(resolved) && depth < MAX_DEPTH) {
      if (resolved.items.length === 0 && key !== '') {
        add(key, '{}', resolved);
        return;
      }
      for (const pair of resolved.items) {
        const k = resolve(pair.key, doc);
        if (!isScalar(k) || k.value === null || typeof k.value === 'object') {
          warn(pair.key as Node, `param names must be plain keys; entry under '${key}' skipped`);
          continue;
        }
        const name = key === '' ? String(k.value) : `${key}.${String(k.value)}`;
        visit(pair.value, name, depth + 1);
      }
      return;
    }
    if (isSeq(resolved) || isMap(resolved)) {
      let json: string;
      try {
        json = JSON.stringify(resolved.toJS(doc, { maxAliasCount: 100 }));
      } catch {
        // yaml refuses to expand too many aliases (a resource exhaustion guard).
        warn(resolved, `param '${key}' uses too many aliases (*name); skipped`);
        return;
      }
      add(key, json, resolved);
      return;
    }
    if (isScalar(resolved)) {
      add(key, scalarText(resolved), resolved);
      return;
    }
    add(key, 'null', undefined);
  };

  const add = (key: string, value: string, node: Node | undefined): void => {
    const problem = keyProblem(key);
    if (problem !== undefined) {
      warn(node, `param name '${key}' ${problem}; skipped`);
      return;
    }
    if (value.length > RUN_LIMITS.maxParamValueLength) {
      warn(
        node,
        `param '${key}' value is ${value.length} characters, over the ${RUN_LIMITS.maxParamValueLength}-character limit; skipped`,
      );
      return;
    }
    if (params.size >= MAX_ENTRIES && !params.has(key)) {
      overflow = true;
      return;
    }
    if (params.has(key)) {
      warn(
        node,
        `param '${key}' appears twice after flattening (e.g. 'a: {b: 1}' and 'a.b: 2'); the first is kept`,
      );
      return;
    }
    params.set(key, value);
  };

  visit(root, '', 0);
  if (overflow) {
    warnings.push({
      source: file,
      message: `more than ${MAX_ENTRIES} params; the first ${MAX_ENTRIES} (in file order) were recorded, the rest skipped`,
    });
  } else if (visits >= MAX_VISITS) {
    warnings.push({
      source: file,
      message: `more than ${MAX_VISITS} entries (aliases expand to too many); the rest were skipped`,
    });
  }
  // fromEntries defines own properties: no key can reach the prototype.
  return { params: Object.fromEntries(params), warnings };
}

function resolve(node: unknown, doc: Document.Parsed): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** A scalar as written: numbers keep their source text (`1e-3`, `10.0`), booleans are lower case. */
function scalarText(node: { value: unknown; source?: string; type?: string | undefined }): string {
  const value = node.value;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'bigint') {
    return node.type === 'PLAIN' && node.source !== undefined ? node.source : String(value);
  }
  if (typeof value === 'string') return value;
  return String(value);
}
