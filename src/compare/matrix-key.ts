/**
 * The matrix key groups the runs of one commit that are comparable with each other: the
 * values of the Actions matrix job that produced the run, sorted by name and written
 * `name=value` joined with ',' (e.g. `model=rf,seed=1`); '' for a run without a matrix.
 *
 * A local sweep has no Actions matrix: it sets the run tag `ghml.matrix_key` (any string, e.g.
 * `ghml log tag ghml.matrix_key lr=0.1`), which then replaces the computed key.
 */
import type { RunRecord } from '../tracking/run-record.js';

/** Run tag that overrides the matrix key computed from `github.matrix`. */
export const MATRIX_KEY_TAG = 'ghml.matrix_key';

export function matrixKeyOf(run: RunRecord): string {
  const override = run.tags[MATRIX_KEY_TAG];
  if (override !== undefined) return override;
  const matrix = run.github?.matrix;
  if (!matrix) return '';
  return Object.keys(matrix)
    .sort()
    .map((name) => `${name}=${matrix[name] ?? ''}`)
    .join(',');
}
