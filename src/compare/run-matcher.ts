/**
 * Pairs head runs with base runs, per matrix key (see matrix-key.ts).
 *
 * Rules:
 * - Several runs of one commit share a key (re-runs, retries): the latest wins, by startTime,
 *   then by id. FINISHED runs are preferred: the latest FINISHED run wins over any newer
 *   FAILED/KILLED/RUNNING one. A key with no FINISHED head run is still reported, with its
 *   latest run (its metrics as far as it logged them), so a crashed job is visible in the
 *   report; compare-service marks it `headStatus` and fails the experiment's status.
 *   Base runs are filtered to usable ones before matching (baseline-resolver).
 * - Head and base keys are paired by equality. When each side has exactly one key, the two are
 *   paired even if the keys differ (a matrix added or renamed between commits, or a local run
 *   compared with a CI run).
 * - A pinned base run (`--base <run-id>`) is the base of every head key.
 * - Base keys with no head run are returned as `missing`.
 */
import type { RunRecord } from '../tracking/run-record.js';
import { matrixKeyOf } from './matrix-key.js';
import { compareKeys } from './metric-diff.js';

export interface MatchedPair {
  matrixKey: string;
  head: RunRecord;
  base: RunRecord | null;
}

export interface MissingKey {
  matrixKey: string;
  base: RunRecord;
}

export interface MatchResult {
  /** One per head matrix key, sorted by key. */
  pairs: MatchedPair[];
  /** Base keys without a head run, sorted by key. */
  missing: MissingKey[];
}

/** True when `a` started after `b` (ties broken by id, which is time-sortable). */
export function isLater(a: RunRecord, b: RunRecord): boolean {
  if (a.startTime !== b.startTime) return a.startTime > b.startTime;
  return a.id > b.id;
}

/** The winning run of each matrix key: the latest FINISHED one, else the latest of any status. */
export function selectByKey(runs: readonly RunRecord[]): Map<string, RunRecord> {
  const byKey = new Map<string, RunRecord>();
  for (const run of runs) {
    const key = matrixKeyOf(run);
    const current = byKey.get(key);
    if (current === undefined || beats(run, current)) byKey.set(key, run);
  }
  return new Map([...byKey].sort((a, b) => compareKeys(a[0], b[0])));
}

function beats(candidate: RunRecord, current: RunRecord): boolean {
  const finished = candidate.status === 'FINISHED';
  if (finished !== (current.status === 'FINISHED')) return finished;
  return isLater(candidate, current);
}

export function matchRuns(
  headRuns: readonly RunRecord[],
  baseRuns: readonly RunRecord[],
  options: { pinned?: boolean } = {},
): MatchResult {
  const heads = selectByKey(headRuns);
  if (options.pinned) {
    const pinned = baseRuns[0] ?? null;
    return {
      pairs: [...heads].map(([matrixKey, head]) => ({ matrixKey, head, base: pinned })),
      missing: [],
    };
  }
  const bases = selectByKey(baseRuns);
  if (heads.size === 1 && bases.size === 1) {
    const [[matrixKey, head]] = [...heads] as [[string, RunRecord]];
    const [[, base]] = [...bases] as [[string, RunRecord]];
    return { pairs: [{ matrixKey, head, base }], missing: [] };
  }
  const pairs = [...heads].map(([matrixKey, head]) => ({
    matrixKey,
    head,
    base: bases.get(matrixKey) ?? null,
  }));
  const missing = [...bases]
    .filter(([matrixKey]) => !heads.has(matrixKey))
    .map(([matrixKey, base]) => ({ matrixKey, base }));
  return { pairs, missing };
}
