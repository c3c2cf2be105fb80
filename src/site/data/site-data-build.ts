/**
 * Builds the report site's data folder from the tracking branch, the registry tags and the
 * main branch's history: the files of site-data-format.ts, as a map from path to JSON text.
 * Runs are read only through the TrackingStore (deleted runs are left out, as `runs list`
 * does); models through the registry reader. Nothing here writes to disk or to git.
 *
 * What a build includes, so that 100,000 runs build in seconds from a fresh blobless clone:
 * every run's summary (shards of 5,000, newest first), an index of runs by commit, the
 * sweeps, the trends and the models; full metric series only for the runs the series budget
 * selects (series-selection.ts). `ghml ui` serves every other run's series from git on demand.
 */
import type { Env } from '../../github/token.js';
import type { OpenRepository } from '../../tracking/repository-context.js';
import type { RunRecord } from '../../tracking/run-record.js';
import type { RunLocation, StoredRun } from '../../tracking/store/tracking-store.js';
import { metricSettings } from '../../config/settings-lookup.js';
import { readRegistry } from '../../registry/registry-reader.js';
import { buildModelsFile, registeredRunIds } from './model-index.js';
import { readMainHistory, resolveMainRev } from './main-history.js';
import { encodeRunShard, type SeriesFlag } from './run-shard-codec.js';
import { encodeSeriesFile } from './series-codec.js';
import { readSeriesOfRuns } from './series-reader.js';
import { selectSeriesRuns, type SeriesBudget } from './series-selection.js';
import {
  MANIFEST_PATH,
  MODELS_PATH,
  FIRST_SHARD_RUNS,
  RUNS_PER_SHARD,
  SITE_DATA_FORMAT,
  SWEEPS_PATH,
  TRENDS_PATH,
  commitIndexPath,
  seriesPath,
  shardPath,
  type CommitIndex,
  type KeyCount,
  type ModelsFile,
  type ShardInfo,
  type SiteExperiment,
  type SiteManifest,
} from './site-data-format.js';
import { siteRepository } from '../site-repository.js';
import { indexSweeps } from './sweep-index.js';
import { buildTrends } from './trend-points.js';

export interface SiteBuildOptions {
  repo: OpenRepository;
  env: Env;
  series: SeriesBudget;
  /** The branch or rev whose history the trends follow (default: see main-history.ts). */
  mainRev?: string;
  /** True for `ghml ui`: series are served on demand, so none is read at build time. */
  onDemandSeries?: boolean;
  /** Clock, for tests. */
  now?: () => number;
  /** Called before each step, for a progress line. */
  onStep?: (step: string) => void;
}

export interface SiteData {
  /** Path inside the site folder → file content. */
  files: Map<string, string>;
  runs: number;
  seriesFiles: number;
  warnings: string[];
  /** Where each run is on the tracking branch (what `ghml ui` reads series from). */
  locations: Map<string, RunLocation>;
}

function countKeys(counts: Map<string, number>): KeyCount[] {
  return [...counts]
    .map(([key, runs]) => ({ key, runs }))
    .sort((a, b) => b.runs - a.runs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function experimentsOf(repo: OpenRepository, runs: readonly RunRecord[]): SiteExperiment[] {
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.experiment, (counts.get(run.experiment) ?? 0) + 1);
  for (const name of Object.keys(repo.config.experiments))
    if (!counts.has(name)) counts.set(name, 0);
  return [...counts]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([name, n]) => {
      const settings = Object.hasOwn(repo.config.experiments, name)
        ? repo.config.experiments[name]
        : undefined;
      const metrics: SiteExperiment['metrics'] = {};
      for (const key of Object.keys(settings?.metrics ?? {}))
        Object.defineProperty(metrics, key, {
          value: metricSettings(repo.config, name, key),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return { name, runs: n, objective: settings?.objective ?? null, metrics };
    });
}

async function readSeries(
  repo: OpenRepository,
  runs: readonly StoredRun[],
  flags: ReadonlyMap<string, SeriesFlag>,
  budget: SeriesBudget,
  files: Map<string, string>,
): Promise<void> {
  await readSeriesOfRuns(repo, runs, (run, points) => {
    const max = flags.get(run.id) === 2 ? budget.maxRunPoints : Number.POSITIVE_INFINITY;
    files.set(seriesPath(run.id), JSON.stringify(encodeSeriesFile(run.id, points, max)));
  });
}

export async function buildSiteData(options: SiteBuildOptions): Promise<SiteData> {
  const { repo } = options;
  const step = options.onStep ?? (() => {});
  const warnings: string[] = [];
  const files = new Map<string, string>();

  // Git-bound work runs beside the listing and, below, the series reads beside the
  // encoding: git works in its own processes while this one encodes.
  step('listing runs, reading the registry and the main history');
  const registry = readRegistry(repo.git).then(
    (state) => buildModelsFile(state),
    (error: unknown): ModelsFile => {
      warnings.push(`The registry could not be read: ${(error as Error).message}`);
      return { format: SITE_DATA_FORMAT, models: [], warnings: [] };
    },
  );
  const mainHistory = resolveMainRev(repo.git, repo.config.tracking.remote, options.mainRev).then(
    async (rev) => ({
      rev,
      commits: rev === undefined ? [] : await readMainHistory(repo.git, rev),
    }),
  );
  mainHistory.catch(() => undefined);
  const tip = await repo.store.tip();
  const stored = (await repo.store.listRuns())
    .filter((run) => run.deleted !== true)
    .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const records = stored.map((run) => run.record);
  const models = await registry;
  files.set(MODELS_PATH, JSON.stringify(models));

  const flags = selectSeriesRuns(records, registeredRunIds(models), options.series);
  const onDemand = options.onDemandSeries === true;
  const chosen = onDemand ? [] : stored.filter((run) => flags.has(run.id));
  if (chosen.length > 0) step(`reading the metric series of ${chosen.length} runs`);
  const series = readSeries(repo, chosen, flags, options.series, files);
  // Awaited below; until then a failure must not count as unhandled.
  series.catch(() => undefined);

  step('writing run shards');
  const shards: ShardInfo[] = [];
  const paramKeys = new Map<string, number>();
  const metricKeys = new Map<string, number>();
  const tagKeys = new Map<string, number>();
  const byCommit = new Map<string, Map<string, string[]>>();
  for (const run of records) {
    for (const key of Object.keys(run.params)) paramKeys.set(key, (paramKeys.get(key) ?? 0) + 1);
    for (const key of Object.keys(run.metrics)) metricKeys.set(key, (metricKeys.get(key) ?? 0) + 1);
    for (const key of Object.keys(run.tags)) tagKeys.set(key, (tagKeys.get(key) ?? 0) + 1);
    const prefix = run.source.commit.slice(0, 2);
    let index = byCommit.get(prefix);
    if (index === undefined) byCommit.set(prefix, (index = new Map()));
    const ids = index.get(run.source.commit);
    if (ids === undefined) index.set(run.source.commit, [run.id]);
    else ids.push(run.id);
  }
  for (let start = 0; start < stored.length;) {
    const size = shards.length === 0 ? FIRST_SHARD_RUNS : RUNS_PER_SHARD;
    const slice = stored.slice(start, start + size);
    start += size;
    const path = shardPath(shards.length);
    const shard = encodeRunShard(
      slice.map((run) => ({
        record: run.record,
        tree: run.tree,
        series: onDemand ? 1 : (flags.get(run.id) ?? 0),
      })),
    );
    files.set(path, JSON.stringify(shard));
    shards.push({
      path,
      runs: slice.length,
      first: (slice[0] as StoredRun).id,
      last: (slice[slice.length - 1] as StoredRun).id,
    });
  }
  for (const [prefix, index] of byCommit) {
    const list: CommitIndex = [...index];
    files.set(commitIndexPath(prefix), JSON.stringify(list));
  }

  step('indexing sweeps and trends');
  files.set(
    SWEEPS_PATH,
    JSON.stringify({ format: SITE_DATA_FORMAT, sweeps: indexSweeps(records) }),
  );
  const { rev: mainRev, commits: history } = await mainHistory;
  if (options.mainRev !== undefined && history.length === 0)
    warnings.push(`No history for '${options.mainRev}': the trends are empty.`);
  const trends = buildTrends(mainRev ?? 'HEAD', history, records, repo.config);
  files.set(TRENDS_PATH, JSON.stringify(trends));

  await series;
  const seriesFiles = chosen.length;

  let remoteUrl: string | undefined;
  if (await repo.git.hasRemote(repo.config.tracking.remote))
    remoteUrl = await repo.git.tryConfig(`remote.${repo.config.tracking.remote}.url`);
  const manifest: SiteManifest = {
    format: SITE_DATA_FORMAT,
    generatedAt: (options.now ?? Date.now)(),
    tracking: { branch: repo.config.tracking.branch, tip: tip?.oid ?? null },
    repository: siteRepository(options.env, remoteUrl),
    runCount: stored.length,
    shards,
    experiments: experimentsOf(repo, records),
    keys: {
      params: countKeys(paramKeys),
      metrics: countKeys(metricKeys),
      tags: countKeys(tagKeys),
    },
    series: {
      included: onDemand ? stored.length : seriesFiles,
      maxRuns: options.series.maxRuns,
      maxPoints: options.series.maxPoints,
      maxRunPoints: options.series.maxRunPoints,
      onDemand,
    },
    files: { models: true, trends: true, sweeps: true },
    warnings: [...warnings, ...models.warnings],
  };
  files.set(MANIFEST_PATH, JSON.stringify(manifest));
  return {
    files,
    runs: stored.length,
    seriesFiles,
    warnings: manifest.warnings,
    locations: new Map(stored.map((run) => [run.id, run])),
  };
}
