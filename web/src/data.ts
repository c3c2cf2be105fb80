/**
 * The page's access to the site's data folder: the manifest first, then shards of run
 * summaries as views need them (the newest shard first, the rest in the background), a run
 * by id (one shard), the runs of a commit (one small index file), series, models, trends and
 * sweeps. Every file is fetched once from this site (relative URLs, same origin) and kept.
 */
import { decodeRunShard, type SiteRun } from '../../src/site/data/run-shard-codec.js';
import { decodeSeriesFile, type DecodedSeries } from '../../src/site/data/series-codec.js';
import {
  MANIFEST_PATH,
  MODELS_PATH,
  SWEEPS_PATH,
  TRENDS_PATH,
  commitIndexPath,
  seriesPath,
  type CommitIndex,
  type ModelsFile,
  type RunShard,
  type SeriesFile,
  type SiteManifest,
  type SweepsFile,
  type TrendsFile,
} from '../../src/site/data/site-data-format.js';

/** Shards fetched at once when loading everything. */
const PARALLEL_SHARDS = 4;

export class DataError extends Error {}

async function fetchJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { cache: 'no-cache' });
  if (!response.ok) throw new DataError(`${path}: ${response.status} ${response.statusText}`);
  return (await response.json()) as T;
}

export class SiteData {
  private readonly shards: Array<Promise<SiteRun[]> | undefined>;
  private readonly loaded: Array<SiteRun[] | undefined>;
  private readonly byId = new Map<string, SiteRun>();
  private readonly files = new Map<string, Promise<unknown>>();
  private readonly seriesCache = new Map<string, Promise<DecodedSeries[] | undefined>>();
  private all: Promise<SiteRun[]> | undefined;
  private listeners = new Set<() => void>();

  constructor(readonly manifest: SiteManifest) {
    this.shards = manifest.shards.map(() => undefined);
    this.loaded = manifest.shards.map(() => undefined);
  }

  static async load(): Promise<SiteData> {
    return new SiteData(await fetchJson<SiteManifest>(MANIFEST_PATH));
  }

  /** Runs loaded so far, newest first (shard order). */
  loadedRuns(): SiteRun[] {
    const out: SiteRun[] = [];
    for (const runs of this.loaded) if (runs) for (const run of runs) out.push(run);
    return out;
  }

  loadedShards(): number {
    return this.loaded.filter((s) => s !== undefined).length;
  }

  /** Called each time a shard arrives. */
  onShard(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  shard(index: number): Promise<SiteRun[]> {
    let pending = this.shards[index];
    if (pending === undefined) {
      const info = this.manifest.shards[index];
      if (info === undefined) return Promise.resolve([]);
      const first = this.manifest.shards.slice(0, index).reduce((n, s) => n + s.runs, 0);
      pending = fetchJson<RunShard>(info.path).then((shard) => {
        const runs = decodeRunShard(shard, first);
        for (const run of runs) this.byId.set(run.id, run);
        this.loaded[index] = runs;
        for (const listener of this.listeners) listener();
        return runs;
      });
      this.shards[index] = pending;
    }
    return pending;
  }

  /** Every run, newest first; shards are fetched a few at a time, the newest first. */
  allRuns(): Promise<SiteRun[]> {
    this.all ??= (async () => {
      let next = 0;
      const count = this.manifest.shards.length;
      const worker = async (): Promise<void> => {
        while (next < count) await this.shard(next++);
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_SHARDS, count) }, worker));
      return this.loadedRuns();
    })();
    return this.all;
  }

  /** The run with this id: only the shard whose id range holds it is fetched. */
  async run(id: string): Promise<SiteRun | undefined> {
    const known = this.byId.get(id);
    if (known) return known;
    const index = this.manifest.shards.findIndex((s) => s.first >= id && id >= s.last);
    if (index < 0) return undefined;
    await this.shard(index);
    return this.byId.get(id);
  }

  async runsAtCommit(sha: string): Promise<SiteRun[]> {
    const index = await this.file<CommitIndex>(commitIndexPath(sha)).catch(() => [] as CommitIndex);
    const ids = index.find(([commit]) => commit === sha)?.[1] ?? [];
    const runs = await Promise.all(ids.map((id) => this.run(id)));
    return runs.filter((r): r is SiteRun => r !== undefined);
  }

  /** A run's series: undefined when the site does not have it. */
  series(run: SiteRun): Promise<DecodedSeries[] | undefined> {
    if (run.series === 0 && !this.manifest.series.onDemand) return Promise.resolve(undefined);
    let pending = this.seriesCache.get(run.id);
    if (pending === undefined) {
      pending = fetchJson<SeriesFile>(seriesPath(run.id)).then(
        (file) => decodeSeriesFile(file),
        () => undefined,
      );
      this.seriesCache.set(run.id, pending);
    }
    return pending;
  }

  models(): Promise<ModelsFile> {
    return this.file<ModelsFile>(MODELS_PATH);
  }

  trends(): Promise<TrendsFile> {
    return this.file<TrendsFile>(TRENDS_PATH);
  }

  sweeps(): Promise<SweepsFile> {
    return this.file<SweepsFile>(SWEEPS_PATH);
  }

  private file<T>(path: string): Promise<T> {
    let pending = this.files.get(path);
    if (pending === undefined) {
      pending = fetchJson<T>(path);
      this.files.set(path, pending);
    }
    return pending as Promise<T>;
  }
}
