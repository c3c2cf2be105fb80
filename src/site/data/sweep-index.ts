/**
 * The sweeps of a history: an experiment's runs at one commit with two or more matrix keys
 * (the same grouping `ghml compare` uses for its leaderboard, matrix-key.ts). Newest first.
 */
import { matrixKeyOf } from '../../compare/matrix-key.js';
import type { RunRecord } from '../../tracking/run-record.js';
import type { SweepInfo } from './site-data-format.js';

/** At most this many sweeps are indexed (the newest). */
export const MAX_SWEEPS = 2000;

export function indexSweeps(runs: readonly RunRecord[], max = MAX_SWEEPS): SweepInfo[] {
  const groups = new Map<string, { runs: RunRecord[]; keys: Set<string> }>();
  for (const run of runs) {
    const id = `${run.experiment}\u0000${run.source.commit}`;
    let group = groups.get(id);
    if (group === undefined) groups.set(id, (group = { runs: [], keys: new Set() }));
    group.runs.push(run);
    group.keys.add(matrixKeyOf(run));
  }
  const sweeps: SweepInfo[] = [];
  for (const group of groups.values()) {
    if (group.keys.size < 2) continue;
    const first = group.runs[0] as RunRecord;
    sweeps.push({
      experiment: first.experiment,
      commit: first.source.commit,
      time: Math.max(...group.runs.map((r) => r.startTime)),
      runIds: group.runs.map((r) => r.id).sort(),
    });
  }
  sweeps.sort(
    (a, b) =>
      b.time - a.time ||
      (a.experiment < b.experiment ? -1 : a.experiment > b.experiment ? 1 : 0) ||
      (a.commit < b.commit ? -1 : 1),
  );
  return sweeps.slice(0, max);
}
