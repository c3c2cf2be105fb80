/**
 * Metric series for charts: read through `RunSource.readMetrics` (one read per run, cached, so a
 * pinned base run shared by many matrix keys is read once), non-finite points skipped, sorted by
 * step (then timestamp, then log order) and downsampled to at most 100 points per side.
 * Only metrics with at least two finite points on one side are charted: one point is no line.
 */
import type { MetricPoint, RunRecord } from '../tracking/run-record.js';
import type { MetricSeries } from './comparison-types.js';
import type { RunSource } from './run-source.js';
import { compareKeys } from './metric-diff.js';
import { downsample, MAX_SERIES_POINTS, type SeriesPoint } from './series-downsample.js';

type SeriesByKey = Map<string, SeriesPoint[]>;

export class SeriesLoader {
  private readonly cache = new Map<string, Promise<SeriesByKey>>();

  constructor(
    private readonly runSource: RunSource,
    private readonly maxPoints: number = MAX_SERIES_POINTS,
  ) {}

  /** Head against base (null: no base run) for every chartable metric, sorted by key. */
  async load(head: RunRecord, base: RunRecord | null): Promise<MetricSeries[]> {
    const [headSeries, baseSeries] = await Promise.all([
      this.seriesOf(head),
      base === null ? Promise.resolve<SeriesByKey>(new Map()) : this.seriesOf(base),
    ]);
    const keys = [...new Set([...headSeries.keys(), ...baseSeries.keys()])].sort(compareKeys);
    const result: MetricSeries[] = [];
    for (const key of keys) {
      const h = headSeries.get(key) ?? [];
      const b = baseSeries.get(key) ?? [];
      if (h.length < 2 && b.length < 2) continue;
      result.push({
        key,
        base: downsample(b, this.maxPoints),
        head: downsample(h, this.maxPoints),
      });
    }
    return result;
  }

  private seriesOf(run: RunRecord): Promise<SeriesByKey> {
    const cacheKey = `${run.experiment}/${run.source.commit}/${run.id}`;
    let series = this.cache.get(cacheKey);
    if (!series) {
      series = this.runSource.readMetrics(run).then(groupSeries);
      this.cache.set(cacheKey, series);
    }
    return series;
  }
}

/** Finite points grouped by key, each sorted by step, then timestamp, then log order. */
export function groupSeries(points: readonly MetricPoint[]): SeriesByKey {
  const grouped = new Map<string, Array<MetricPoint & { order: number }>>();
  points.forEach((point, order) => {
    if (!Number.isFinite(point.value) || !Number.isFinite(point.step)) return;
    let list = grouped.get(point.key);
    if (!list) grouped.set(point.key, (list = []));
    list.push({ ...point, order });
  });
  const result: SeriesByKey = new Map();
  for (const [key, list] of grouped) {
    list.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp || a.order - b.order);
    result.set(
      key,
      list.map((point) => ({ step: point.step, value: point.value })),
    );
  }
  return result;
}
