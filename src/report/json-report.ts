/**
 * The comparison as JSON for `ghml compare --format json`. The shape is stable: fields are
 * only ever added, and `format` changes if one is removed or changes meaning.
 *
 * ```text
 * {
 *   "format": "ghml.compare/1",
 *   "status": "success" | "failure",        // failure when any experiment failed
 *   "headCommit": string, "baseCommit": string | null,
 *   "experiments": [{
 *     "experiment": string,
 *     "status": "success" | "failure",
 *     "baseline": { "kind": "pr-base", "sha" } | { "kind": "ancestor", "sha", "distance" }
 *               | { "kind": "explicit", "ref" } | { "kind": "none", "reason" },
 *     "baseCommit": string | null, "headCommit": string,
 *     "counts": { "improved", "regressed", "unchanged", "new", "missing": number },
 *     "runs": [{
 *       "matrixKey": string,                  // '' without a matrix
 *       "head": RunRef, "base": RunRef | null, // RunRef = { id, commit, matrixKey, workflowUrl }
 *       "metrics": [{ "key", "base", "head", "delta", "deltaPercent",   // Number | null
 *                     "verdict": "improved" | "regressed" | "unchanged" | "new" | "missing",
 *                     "direction": "max" | "min",
 *                     "threshold": { "kind": "absolute" | "percent", "value": Number },
 *                     "precision": number }],
 *       "changedParams": [{ "key", "base": string | null, "head": string | null }],
 *       "unchangedParamCount": number,
 *       "allParams": [{ "key", "base", "head" }],
 *       "series": [{ "key", "base": [{ "step", "value": Number }], "head": [...] }]
 *     }],
 *     "leaderboard": null | { "objective", "direction",
 *                             "rows": [{ "rank", "run": RunRef, "objective": Number | null,
 *                                        "params": { [name]: string } }] }
 *   }]
 * }
 * ```
 * `Number` is a JSON number, or the string "NaN", "Infinity" or "-Infinity" (as in the
 * tracking branch, format 1). Strings are passed through unchanged: consumers must treat
 * them as untrusted.
 */
import type {
  Comparison,
  ExperimentComparison,
  MetricDiff,
  RunComparison,
  RunRef,
} from '../compare/comparison-types.js';
import { encodeNumber } from '../tracking/run-record.js';
import { countExperimentVerdicts, type VerdictCounts } from './verdict-summary.js';

/** Identifies this JSON shape. */
export const JSON_REPORT_FORMAT = 'ghml.compare/1';

/** A number as written in JSON: finite numbers as numbers, others as strings. */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface JsonMetricDiff extends Omit<
  MetricDiff,
  'base' | 'head' | 'delta' | 'deltaPercent' | 'threshold'
> {
  base: JsonNumber | null;
  head: JsonNumber | null;
  delta: JsonNumber | null;
  deltaPercent: JsonNumber | null;
  threshold: { kind: MetricDiff['threshold']['kind']; value: JsonNumber };
}

export interface JsonSeriesPoint {
  step: JsonNumber;
  value: JsonNumber;
}

export interface JsonRunComparison {
  matrixKey: string;
  head: RunRef;
  base: RunRef | null;
  metrics: JsonMetricDiff[];
  changedParams: RunComparison['changedParams'];
  unchangedParamCount: number;
  allParams: RunComparison['allParams'];
  series: Array<{ key: string; base: JsonSeriesPoint[]; head: JsonSeriesPoint[] }>;
}

export interface JsonExperimentComparison {
  experiment: string;
  status: 'success' | 'failure';
  baseline: ExperimentComparison['baseline'];
  baseCommit: string | null;
  headCommit: string;
  counts: VerdictCounts;
  runs: JsonRunComparison[];
  leaderboard: {
    objective: string;
    direction: 'max' | 'min';
    rows: Array<{
      rank: number;
      run: RunRef;
      objective: JsonNumber | null;
      params: Record<string, string>;
    }>;
  } | null;
}

/** The whole `--format json` document. */
export interface JsonReport {
  format: typeof JSON_REPORT_FORMAT;
  status: 'success' | 'failure';
  headCommit: string;
  baseCommit: string | null;
  experiments: JsonExperimentComparison[];
}

function num(value: number): JsonNumber {
  return encodeNumber(value) as JsonNumber;
}

function nullableNum(value: number | null): JsonNumber | null {
  return value === null ? null : num(value);
}

function runRef(run: RunRef): RunRef {
  return { id: run.id, commit: run.commit, matrixKey: run.matrixKey, workflowUrl: run.workflowUrl };
}

function metric(diff: MetricDiff): JsonMetricDiff {
  return {
    key: diff.key,
    base: nullableNum(diff.base),
    head: nullableNum(diff.head),
    delta: nullableNum(diff.delta),
    deltaPercent: nullableNum(diff.deltaPercent),
    verdict: diff.verdict,
    direction: diff.direction,
    threshold: { kind: diff.threshold.kind, value: num(diff.threshold.value) },
    precision: diff.precision,
  };
}

function points(list: Array<{ step: number; value: number }>): JsonSeriesPoint[] {
  return list.map((p) => ({ step: num(p.step), value: num(p.value) }));
}

function run(comparison: RunComparison): JsonRunComparison {
  return {
    matrixKey: comparison.matrixKey,
    head: runRef(comparison.head),
    base: comparison.base ? runRef(comparison.base) : null,
    metrics: comparison.metrics.map(metric),
    changedParams: comparison.changedParams.map((p) => ({
      key: p.key,
      base: p.base,
      head: p.head,
    })),
    unchangedParamCount: comparison.unchangedParamCount,
    allParams: comparison.allParams.map((p) => ({ key: p.key, base: p.base, head: p.head })),
    series: comparison.series.map((s) => ({
      key: s.key,
      base: points(s.base),
      head: points(s.head),
    })),
  };
}

function experiment(e: ExperimentComparison): JsonExperimentComparison {
  return {
    experiment: e.experiment,
    status: e.status,
    baseline: { ...e.baseline },
    baseCommit: e.baseCommit,
    headCommit: e.headCommit,
    counts: countExperimentVerdicts(e),
    runs: e.runs.map(run),
    leaderboard: e.leaderboard
      ? {
          objective: e.leaderboard.objective,
          direction: e.leaderboard.direction,
          rows: e.leaderboard.rows.map((row) => ({
            rank: row.rank,
            run: runRef(row.run),
            objective: nullableNum(row.objective),
            params: { ...row.params },
          })),
        }
      : null,
  };
}

/** The comparison as a plain JSON-safe object (no NaN or Infinity numbers). */
export function toJsonReport(comparison: Comparison): JsonReport {
  const experiments = comparison.experiments.map(experiment);
  return {
    format: JSON_REPORT_FORMAT,
    status: experiments.some((e) => e.status === 'failure') ? 'failure' : 'success',
    headCommit: comparison.headCommit,
    baseCommit: comparison.baseCommit,
    experiments,
  };
}

/** `toJsonReport` serialised with two-space indentation and a final newline. */
export function renderJsonReport(comparison: Comparison): string {
  return `${JSON.stringify(toJsonReport(comparison), null, 2)}\n`;
}
