/**
 * Reads the metric series of many runs for a build. `TrackingStore.readMetrics` opens one git
 * process per run (about 8 ms each here), too slow for a thousand runs; so a run whose series
 * is one `metrics.jsonl` in its run folder (every run under 16 MiB of points) is read through
 * ONE `cat-file --batch` process, after one batched fetch in a blobless clone
 * (series-prefetch.ts). A run whose series is split into chunks (`metrics-1.jsonl` …), or is
 * not where the format keeps it, is read through `TrackingStore.readMetrics`: a change of
 * layout makes this slower, never wrong.
 */
import type { OpenRepository } from '../../tracking/repository-context.js';
import type { MetricPoint } from '../../tracking/run-record.js';
import { parseMetricLines } from '../../tracking/run-record-json.js';
import type { StoredRun } from '../../tracking/store/tracking-store.js';
import { prefetchSeries } from './series-prefetch.js';

const CHUNK = /^metrics-[0-9]+\.jsonl$/;

/** Calls `each` with every run's points, in the order of `runs`. */
export async function readSeriesOfRuns(
  repo: OpenRepository,
  listed: readonly StoredRun[],
  each: (run: StoredRun, points: MetricPoint[]) => void,
): Promise<void> {
  if (listed.length === 0) return;
  // A listing leaves sealed runs' trees out (format 2 keeps them in each segment's trees.txt).
  const runs = await repo.store.resolveTrees(listed);
  await prefetchSeries(repo.git, runs);
  const reader = repo.git.openObjectReader();
  try {
    // Trees are local even in a blobless clone: listing them fetches nothing.
    const trees = await Promise.all(runs.map((run) => reader.readTree(run.tree)));
    const reads = runs.map((_, i) => {
      const entries = trees[i] ?? [];
      const single = entries.find((e) => e.name === 'metrics.jsonl' && e.type === 'blob');
      if (single === undefined || entries.some((e) => CHUNK.test(e.name))) return undefined;
      return reader.read(single.oid);
    });
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
