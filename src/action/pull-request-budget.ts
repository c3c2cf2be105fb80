/**
 * How much one pull request may add to the tracking branch through the fork-safe import
 * (ghml.yml `tracking.pr_budget`, default 64 MiB), all its pushes together: every run it
 * brings is tagged `ghml.import_bytes` with the bytes it put on the branch, and an import that
 * would take the PR past its budget is refused before anything is written. The tag is the
 * importer's own: a value the PR set itself is replaced.
 */
import { formatBytes } from '../text/format-number.js';
import { formatRunRecord } from '../tracking/run-record-json.js';
import type { TrackingStore } from '../tracking/store/tracking-store.js';
import { PullRequestBudgetError } from './action-errors.js';
import type { ValidatedRun } from './untrusted-run-artifact.js';

export const IMPORT_BYTES_TAG = 'ghml.import_bytes';

/** The bytes a run puts on the branch: its record, its metric series, its inline artifacts. */
export function runBytes(run: ValidatedRun): number {
  const artifacts = run.record.artifacts
    .filter((a) => a.stored)
    .reduce((sum, a) => sum + a.size, 0);
  return Buffer.byteLength(formatRunRecord(run.record)) + run.metricsJsonl.length + artifacts;
}

/** Bytes the PR's runs already on the branch (or in its inbox) were tagged with, and their ids. */
async function usedByPullRequest(
  store: TrackingStore,
  prNumber: number,
): Promise<{ used: number; ids: Set<string> }> {
  let used = 0;
  const ids = new Set<string>();
  for (const run of await store.listRuns({ includeDeleted: true })) {
    if (run.record.github?.prNumber !== prNumber) continue;
    ids.add(run.id);
    const tagged = Number(run.record.tags[IMPORT_BYTES_TAG]);
    if (Number.isSafeInteger(tagged) && tagged > 0) used += tagged;
  }
  return { used, ids };
}

/**
 * Tags each run with its size and refuses the import (PullRequestBudgetError) when the PR's
 * runs would pass `budget` bytes. Runs already on the branch do not count twice.
 */
export async function applyPullRequestBudget(
  store: TrackingStore,
  prNumber: number,
  runs: ValidatedRun[],
  budget: number,
): Promise<ValidatedRun[]> {
  const fresh: ValidatedRun[] = [];
  for (const run of runs) {
    const tagged = { ...run, record: { ...run.record, tags: { ...run.record.tags } } };
    delete tagged.record.tags[IMPORT_BYTES_TAG];
    const bytes = runBytes(tagged);
    // Its own tag is part of what it stores.
    tagged.record.tags[IMPORT_BYTES_TAG] = String(bytes + 64);
    fresh.push(tagged);
  }
  const { used, ids } = await usedByPullRequest(store, prNumber);
  const adding = fresh
    .filter((run) => !ids.has(run.record.id))
    .reduce((sum, run) => sum + Number(run.record.tags[IMPORT_BYTES_TAG]), 0);
  if (adding > 0 && used + adding > budget) {
    throw new PullRequestBudgetError(prNumber, used, adding, budget, formatBytes);
  }
  return fresh;
}
