/**
 * The result of comparing a PR's runs with its baseline. Computed by src/compare, rendered by
 * src/report (Markdown, terminal text, JSON). All strings inside come from runs, i.e. from the
 * PR, and are untrusted: renderers escape every one of them.
 */
import type { MetricDirection, Threshold } from '../config/config-types.js';

export type Verdict = 'improved' | 'regressed' | 'unchanged' | 'new' | 'missing';

/** Why a baseline was chosen (or not found), shown to the user. */
export type BaselineSource =
  | { kind: 'explicit'; ref: string }
  | { kind: 'pr-base'; sha: string }
  | { kind: 'ancestor'; sha: string; distance: number }
  | { kind: 'none'; reason: string };

/** The identity of a run as shown in a report. */
export interface RunRef {
  id: string;
  commit: string;
  /** e.g. 'seed=1,model=rf' ; '' when the run had no matrix. */
  matrixKey: string;
  /** Link to the workflow run that produced it, when known. */
  workflowUrl: string | null;
}

export interface MetricDiff {
  key: string;
  /** null when the side has no such metric. NaN/±Infinity are kept. */
  base: number | null;
  head: number | null;
  /** head - base; null when either side is missing. */
  delta: number | null;
  /** (head - base) / |base| * 100; null when either side is missing or base is 0. */
  deltaPercent: number | null;
  verdict: Verdict;
  direction: MetricDirection;
  threshold: Threshold;
  precision: number;
}

export interface ParamChange {
  key: string;
  base: string | null;
  head: string | null;
}

/** A series to chart: head against base, already downsampled to at most ~100 points. */
export interface MetricSeries {
  key: string;
  base: Array<{ step: number; value: number }>;
  head: Array<{ step: number; value: number }>;
}

/** One matched pair (or lone head run) for an experiment and matrix key. */
export interface RunComparison {
  matrixKey: string;
  base: RunRef | null;
  head: RunRef;
  metrics: MetricDiff[];
  /** Params whose value differs (or exists on one side only). */
  changedParams: ParamChange[];
  /** Number of params equal on both sides (listed only with --all). */
  unchangedParamCount: number;
  /** Every param, for --all. */
  allParams: ParamChange[];
  series: MetricSeries[];
}

/** Head runs of a sweep ranked on the experiment's objective metric. */
export interface LeaderboardRow {
  rank: number;
  run: RunRef;
  objective: number | null;
  params: Record<string, string>;
}

export interface ExperimentComparison {
  experiment: string;
  baseline: BaselineSource;
  baseCommit: string | null;
  headCommit: string;
  runs: RunComparison[];
  /** Present when head has several matrix keys. */
  leaderboard: { objective: string; direction: MetricDirection; rows: LeaderboardRow[] } | null;
  /** 'failure' when any metric regressed, else 'success'. */
  status: 'success' | 'failure';
}

export interface Comparison {
  headCommit: string;
  baseCommit: string | null;
  experiments: ExperimentComparison[];
}
