/**
 * What compareRuns returns: the `Comparison` contract (comparison-types.ts) plus a few fields
 * the contract has no room for. Every object here is assignable to its contract type, so
 * renderers that only know the contract keep working.
 */
import type { RunStatus } from '../tracking/run-record.js';
import type {
  Comparison,
  ExperimentComparison,
  RunComparison,
  RunRef,
} from './comparison-types.js';

export interface RunComparisonResult extends RunComparison {
  /**
   * Status of the head run. Not 'FINISHED' when the matrix key had no finished run: its
   * latest run is shown with the metrics it logged, and the experiment's status fails.
   */
  headStatus: RunStatus;
}

/** A matrix key that has a base run but no head run (a matrix cell dropped or not run). */
export interface MissingMatrixKey {
  matrixKey: string;
  base: RunRef;
}

export interface ExperimentComparisonResult extends ExperimentComparison {
  runs: RunComparisonResult[];
  /** Base matrix keys with no head run. They do not fail the status. */
  missingKeys: MissingMatrixKey[];
}

export interface ComparisonResult extends Comparison {
  experiments: ExperimentComparisonResult[];
  /** Where the head commit came from. */
  headSource: 'explicit' | 'pr-head' | 'HEAD';
  /** Sentences for the user (e.g. HEAD is a PR merge commit); empty when none. */
  notes: string[];
}
