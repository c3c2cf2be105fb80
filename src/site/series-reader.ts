/**
 * Reads the metric series of many runs for a build. `TrackingStore.readMetrics` opens one git
 * process per run (about 8 ms each here), too slow for a thousand runs; so the metrics.jsonl
 * files (format 1: inside the run folder) are read through ONE `cat-file --batch` process,
 * after one batched fetch in a blobless clone (series-prefetch.ts). A run whose file is not
 * where format 1 keeps it is read through `TrackingStore.readMetrics`, so a change of layout
 * makes this slower, never wrong.
 */
import type { OpenRepository } from '../tracking/repository-context.js';
import type { MetricPoint } from '../tracking/run-record.js';
import { parseMetricLines } from '../tracking/run-record-json.js';
import type { StoredRun } from '../tracking/store/tracking-store.js';
import { prefetchSeries } from './series-prefetch.js';

/** Calls `each` with every run's points, in the order of `runs`. */
export async function readSeriesOfRuns(
  repo: OpenRepository,
  runs: readonly StoredRun[],
  each: (run: StoredRun, points: MetricPoint[]) => void,
): Promise<void> {
  if (runs.length === 0) return;
  await prefetchSeries(repo.git, runs);
  const reader = repo.git.openObjectReader();
  try {
    const reads = runs.map((run) => reader.read(`${run.tree}:metrics.jsonl`));
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i] as StoredRun;
      const data = await reads[i];
      const points =
        data === undefined
          ? await repo.store.readMetrics(run)
          : parseMetricLines(data.toString('utf8'), `${run.path}/metrics.jsonl`);
      each(run, points);
    }
  } finally {
    await reader.close();
  }
}
