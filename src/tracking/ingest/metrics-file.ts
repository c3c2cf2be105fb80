/**
 * DVC-style metrics files (`metrics.json`, `metrics.yaml`) read when the command ends: nested
 * numeric values are flattened with '.' (`eval.acc`). Non-numeric leaves (text, booleans,
 * lists, null) are skipped with a warning. NaN and ±Infinity are kept, written as YAML's
 * `.nan`/`.inf` or as the bare/quoted tokens NaN, Infinity, -Infinity.
 *
 * A file that is a JSON object is read with JSON.parse (linear and fast at any size; its
 * warnings name the metric but no line; a repeated key keeps its last value, as Python's json
 * does); anything else goes through the YAML reader, which gives lines and refuses files over
 * its size limit (ingest-yaml.ts). At most MAX_METRIC_ENTRIES metrics are kept per file, in
 * file order, and a warning says when more were skipped.
 *
 * The caller decides where the values go (ingest-run.ts: only into keys the run did not log).
 */
import { isAlias, isMap, isScalar, type Node } from 'yaml';
import { SourceFileError } from './ingest-errors.js';
import { decodeNumber } from '../run-record.js';
import { keyProblem } from '../run-limits.js';
import { parseYamlText, readSourceText, type LoadedYaml } from './ingest-yaml.js';
import type { IngestWarning } from './ingest-warnings.js';
import { parsePythonJson } from './python-json.js';

export interface MetricsFileResult {
  /** Flattened key -> value, in file order. */
  metrics: Map<string, number>;
  warnings: IngestWarning[];
}

const MAX_DEPTH = 32;
/** Metrics kept from one file. */
export const MAX_METRIC_ENTRIES = 10_000;
/** Nodes visited at most: aliases can make a small file expand to billions of skipped entries. */
const MAX_VISITS = 100_000;

/**
 * Reads a metrics file. Returns undefined when it does not exist. Throws SourceFileError
 * (`metrics.json:2:7: ...`) when it is not valid YAML/JSON or its top level is not a mapping.
 */
export async function readMetricsFile(
  path: string,
  displayName = path,
): Promise<MetricsFileResult | undefined> {
  const text = await readSourceText(path, displayName);
  if (text === undefined) return undefined;
  const json = parseJsonObject(text);
  if (json !== undefined) return flattenJsonMetrics(json, displayName);
  return flattenYamlMetrics(parseYamlText(text, displayName), displayName);
}

/** The file as a JSON object, or undefined when it is not one (then YAML decides). */
function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (!/^\uFEFF?\s*\{/.test(text.slice(0, 64))) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    parsed = parsePythonJson(text.replace(/^\uFEFF/, ''));
  }
  return isObject(parsed) ? parsed : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects entries up to the caps and writes the warnings about what was left out. */
class MetricsCollector {
  readonly metrics = new Map<string, number>();
  readonly warnings: IngestWarning[] = [];
  visits = 0;
  private overflow = false;

  constructor(private readonly file: string) {}

  /** False once the visit budget is spent. */
  visit(): boolean {
    if (this.visits >= MAX_VISITS) return false;
    this.visits += 1;
    return true;
  }

  add(key: string, value: number, warn: (message: string) => void): void {
    const problem = keyProblem(key);
    if (problem !== undefined) {
      warn(`metric name '${key}' ${problem}; skipped`);
      return;
    }
    if (this.metrics.size >= MAX_METRIC_ENTRIES && !this.metrics.has(key)) {
      this.overflow = true;
      return;
    }
    this.metrics.set(key, value);
  }

  result(): MetricsFileResult {
    if (this.overflow) {
      this.warnings.push({
        source: this.file,
        message: `more than ${MAX_METRIC_ENTRIES} metrics; the first ${MAX_METRIC_ENTRIES} (in file order) were recorded, the rest skipped`,
      });
    } else if (this.visits >= MAX_VISITS) {
      this.warnings.push({
        source: this.file,
        message: `more than ${MAX_VISITS} entries (aliases expand to too many); the rest were skipped`,
      });
    }
    return { metrics: this.metrics, warnings: this.warnings };
  }
}

function flattenJsonMetrics(root: Record<string, unknown>, file: string): MetricsFileResult {
  const out = new MetricsCollector(file);
  const warn = (message: string): void => {
    out.warnings.push({ source: file, message });
  };
  const visit = (value: unknown, key: string, depth: number): void => {
    if (!out.visit()) return;
    if (isObject(value) && depth < MAX_DEPTH) {
      for (const name of Object.keys(value)) {
        visit(value[name], key === '' ? name : `${key}.${name}`, depth + 1);
      }
      return;
    }
    const number = decodeNumber(value);
    if (number === undefined) {
      const what = isObject(value)
        ? 'nested too deeply'
        : Array.isArray(value)
          ? 'a list'
          : JSON.stringify(value);
      warn(`metric '${key}' is ${what}, not a number; skipped`);
      return;
    }
    out.add(key, number, warn);
  };
  visit(root, '', 0);
  return out.result();
}

function flattenYamlMetrics(loaded: LoadedYaml, file: string): MetricsFileResult {
  const { doc } = loaded;
  const out = new MetricsCollector(file);
  const warnAt =
    (node: unknown) =>
    (message: string): void => {
      const offset = (node as Node | null | undefined)?.range?.[0];
      out.warnings.push(
        offset === undefined
          ? { source: file, message }
          : { source: file, line: loaded.position(offset).line, message },
      );
    };

  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return out.result();
  if (!isMap(root)) {
    const { line, col } = loaded.position(root.range?.[0] ?? 0);
    throw new SourceFileError(file, line, col, 'the top level must be a mapping of metric names');
  }

  const visit = (node: unknown, key: string, depth: number): void => {
    if (!out.visit()) return;
    const n = isAlias(node) ? node.resolve(doc) : node;
    if (isMap(n) && depth < MAX_DEPTH) {
      for (const pair of n.items) {
        const k = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
        if (!isScalar(k) || k.value === null || typeof k.value === 'object') {
          warnAt(pair.key)('metric names must be plain keys; entry skipped');
          continue;
        }
        visit(pair.value, key === '' ? String(k.value) : `${key}.${String(k.value)}`, depth + 1);
      }
      return;
    }
    const value = isScalar(n) ? decodeNumber(n.value) : undefined;
    if (value === undefined) {
      const what = isScalar(n)
        ? JSON.stringify(n.value)
        : isMap(n)
          ? 'nested too deeply'
          : 'a list';
      warnAt(n)(`metric '${key}' is ${what}, not a number; skipped`);
      return;
    }
    out.add(key, value, warnAt(n));
  };
  visit(root, '', 0);
  return out.result();
}
