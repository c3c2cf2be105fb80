/**
 * Run summaries in a shard file (site-data-format.ts `RunShard`), both ways: `encodeRunShard`
 * runs in `ghml report build`, `decodeRunShard` in the page. Decoding gives back RunRecord-shaped
 * objects, so the page filters and sorts them with the same code as `ghml runs list`.
 * Param, tag and metric maps are created without a prototype: keys are user text (a param
 * named `__proto__` stays a param). Summary timestamps are not shipped (decoded as 0).
 * Browser-safe: no Node.js imports.
 */
import {
  decodeNumber,
  encodeNumber,
  TRACKING_FORMAT,
  type ArtifactEntry,
  type MetricSummary,
  type RunRecord,
} from '../../tracking/run-record.js';
import {
  SITE_DATA_FORMAT,
  type EncodedArtifact,
  type EncodedRun,
  type RunShard,
} from './site-data-format.js';

/** Whether the site holds a run's series: 0 no, 1 complete, 2 reduced to the build's budget. */
export type SeriesFlag = 0 | 1 | 2;

/** A run as the page holds it. */
export interface SiteRun extends RunRecord {
  /** What data/series/<id>.json holds for it. */
  series: SeriesFlag;
  /** Oid of the run's folder tree on the tracking branch (its files are read through it). */
  tree: string;
  /** Position in the site's order of runs (newest id first); set by the page as shards load. */
  order: number;
}

/** What the encoder needs of a run besides its record. */
export interface ShardInput {
  record: RunRecord;
  series: SeriesFlag;
  tree: string;
}

class KeyTable {
  readonly keys: string[] = [];
  private readonly index = new Map<string, number>();

  of(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.keys.length;
      this.keys.push(key);
      this.index.set(key, i);
    }
    return i;
  }
}

function encodeArtifact(a: ArtifactEntry): EncodedArtifact {
  return [a.path, a.size, a.sha256, a.stored ? 1 : 0, a.uri ?? null];
}

/** Encodes runs (in the order given) into one shard. */
export function encodeRunShard(runs: readonly ShardInput[]): RunShard {
  const experiments = new KeyTable();
  const params = new KeyTable();
  const tags = new KeyTable();
  const metrics = new KeyTable();
  const encoded = runs.map(({ record: r, series, tree }): EncodedRun => {
    const p: Array<number | string> = [];
    for (const [key, value] of Object.entries(r.params)) p.push(params.of(key), value);
    const t: Array<number | string> = [];
    for (const [key, value] of Object.entries(r.tags)) t.push(tags.of(key), value);
    const m: Array<number | string> = [];
    for (const [key, s] of Object.entries(r.metrics)) {
      m.push(
        metrics.of(key),
        encodeNumber(s.value),
        s.step,
        encodeNumber(s.min),
        encodeNumber(s.max),
        s.count,
      );
    }
    return [
      r.id,
      experiments.of(r.experiment),
      r.name,
      r.status,
      r.startTime,
      r.endTime,
      r.exitCode,
      r.source.commit,
      r.source.branch,
      r.source.dirty ? 1 : 0,
      p,
      t,
      m,
      r.github,
      r.artifacts.map(encodeArtifact),
      series,
      tree,
    ];
  });
  return {
    format: SITE_DATA_FORMAT,
    experiments: experiments.keys,
    paramKeys: params.keys,
    tagKeys: tags.keys,
    metricKeys: metrics.keys,
    runs: encoded,
  };
}

function num(value: unknown): number {
  return decodeNumber(value) ?? Number.NaN;
}

function stringMap(flat: ReadonlyArray<number | string>, keys: readonly string[]) {
  const out = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const key = keys[flat[i] as number];
    if (key !== undefined) out[key] = String(flat[i + 1]);
  }
  return out;
}

/** Decodes a shard back into runs, in the shard's order; `first` is the first run's `order`. */
export function decodeRunShard(shard: RunShard, first = 0): SiteRun[] {
  const { experiments, paramKeys, tagKeys, metricKeys } = shard;
  return shard.runs.map((row, i) => {
    const metrics = Object.create(null) as Record<string, MetricSummary>;
    const m = row[12];
    for (let i = 0; i + 5 < m.length; i += 6) {
      const key = metricKeys[m[i] as number];
      if (key === undefined) continue;
      metrics[key] = {
        value: num(m[i + 1]),
        step: Number(m[i + 2]),
        timestamp: 0,
        min: num(m[i + 3]),
        max: num(m[i + 4]),
        count: Number(m[i + 5]),
      };
    }
    const artifacts: ArtifactEntry[] = row[14].map(([path, size, sha256, stored, uri]) => {
      const entry: ArtifactEntry = { path, size, sha256, stored: stored === 1 };
      if (uri !== null) entry.uri = uri;
      return entry;
    });
    return {
      format: TRACKING_FORMAT,
      id: row[0],
      experiment: experiments[row[1]] ?? '',
      name: row[2],
      status: row[3],
      startTime: row[4],
      endTime: row[5],
      exitCode: row[6],
      source: { commit: row[7], branch: row[8], dirty: row[9] === 1 },
      github: row[13],
      params: stringMap(row[10], paramKeys),
      tags: stringMap(row[11], tagKeys),
      metrics,
      artifacts,
      series: row[15],
      tree: row[16],
      order: first + i,
    };
  });
}
