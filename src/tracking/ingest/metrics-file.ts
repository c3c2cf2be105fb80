/**
 * DVC-style metrics files (`metrics.json`, `metrics.yaml`) read when the command ends: nested
 * numeric values are flattened with '.' (`eval.acc`). Non-numeric leaves (text, booleans,
 * lists, null) are skipped with a warning. NaN and ±Infinity are kept, written as YAML's
 * `.nan`/`.inf` or as the bare/quoted tokens NaN, Infinity, -Infinity.
 *
 * Each value is logged as the series' final value: at the highest step already logged for
 * that key, or step 0 when the key has no points (RunBuilder.addFinalMetric).
 */
import { isAlias, isMap, isScalar, type Node } from 'yaml';
import { SourceFileError } from './ingest-errors.js';
import { decodeNumber } from '../run-record.js';
import { keyProblem } from '../run-limits.js';
import { loadYamlFile } from './ingest-yaml.js';
import type { IngestWarning } from './ingest-warnings.js';

export interface MetricsFileResult {
  /** Flattened key -> value, in file order. */
  metrics: Map<string, number>;
  warnings: IngestWarning[];
}

const MAX_DEPTH = 32;
const MAX_ENTRIES = 10_000;
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
  const loaded = await loadYamlFile(path, displayName);
  if (loaded === undefined) return undefined;
  const { doc } = loaded;
  const metrics = new Map<string, number>();
  const warnings: IngestWarning[] = [];
  const warn = (node: unknown, message: string): void => {
    const offset = (node as Node | null | undefined)?.range?.[0];
    warnings.push(
      offset === undefined
        ? { source: displayName, message }
        : { source: displayName, line: loaded.position(offset).line, message },
    );
  };

  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { metrics, warnings };
  if (!isMap(root)) {
    const { line, col } = loaded.position(root.range?.[0] ?? 0);
    throw new SourceFileError(
      displayName,
      line,
      col,
      'the top level must be a mapping of metric names',
    );
  }

  let visits = 0;
  const visit = (node: unknown, key: string, depth: number): void => {
    if (metrics.size >= MAX_ENTRIES || visits >= MAX_VISITS) return;
    visits += 1;
    const n = isAlias(node) ? node.resolve(doc) : node;
    if (isMap(n) && depth < MAX_DEPTH) {
      for (const pair of n.items) {
        const k = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
        if (!isScalar(k) || k.value === null || typeof k.value === 'object') {
          warn(pair.key, 'metric names must be plain keys; entry skipped');
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
      warn(n, `metric '${key}' is ${what}, not a number; skipped`);
      return;
    }
    const problem = keyProblem(key);
    if (problem !== undefined) {
      warn(n, `metric name '${key}' ${problem}; skipped`);
      return;
    }
    metrics.set(key, value);
  };
  visit(root, '', 0);
  if (visits >= MAX_VISITS) {
    warnings.push({
      source: displayName,
      message: `more than ${MAX_VISITS} entries (aliases expand to too many); the rest were skipped`,
    });
  }
  return { metrics, warnings };
}
