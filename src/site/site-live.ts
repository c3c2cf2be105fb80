/**
 * `ghml ui`'s data: the site built in memory with series served on demand, rebuilt when the
 * tracking branch or the registry tags move. A cheap signature (the tracking tip and the tag
 * refs) is polled; a rebuild runs in the background and its files replace the old ones in one
 * swap, so a request sees either the old site or the new one.
 */
import { createHash } from 'node:crypto';
import type { OpenRepository } from '../tracking/repository-context.js';
import type { RunLocation } from '../tracking/store/tracking-store.js';
import type { Env } from '../github/token.js';
import { buildSiteData } from './data/site-data-build.js';
import { encodeSeriesFile } from './data/series-codec.js';
import { DEFAULT_SERIES_BUDGET } from './data/series-selection.js';
import type { ServedFile } from './site-server.js';

const RUN_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const SERIES = /^data\/series\/([0-9A-HJKMNP-TV-Z]{26})\.json$/;
const ARTIFACT = /^artifacts\/([0-9A-HJKMNP-TV-Z]{26})\/(.+)$/;
/** Series kept in memory once read. */
const SERIES_CACHE = 32;

export interface LiveSiteOptions {
  repo: OpenRepository;
  env: Env;
  assets: ReadonlyMap<string, Buffer>;
  mainRev?: string;
  /** Told about each rebuild (a line for the terminal). */
  onRebuild?(runs: number, ms: number): void;
}

export class LiveSite {
  private current: Map<string, Buffer>;
  private locations = new Map<string, RunLocation>();
  private signature = '';
  private building: Promise<void> | undefined;
  private readonly series = new Map<string, Buffer>();

  constructor(private readonly options: LiveSiteOptions) {
    this.current = new Map(options.assets);
  }

  files(): ReadonlyMap<string, Buffer> {
    return this.current;
  }

  /** Builds now when the branch or the tags moved since the last build (or never built). */
  async refresh(): Promise<boolean> {
    if (this.building) {
      await this.building;
      return false;
    }
    const signature = await this.readSignature();
    if (signature === this.signature) return false;
    this.building = this.rebuild(signature).finally(() => (this.building = undefined));
    await this.building;
    return true;
  }

  private async rebuild(signature: string): Promise<void> {
    const started = Date.now();
    const data = await buildSiteData({
      repo: this.options.repo,
      env: this.options.env,
      series: DEFAULT_SERIES_BUDGET,
      onDemandSeries: true,
      ...(this.options.mainRev === undefined ? {} : { mainRev: this.options.mainRev }),
    });
    const files = new Map(this.options.assets);
    for (const [path, text] of data.files) files.set(path, Buffer.from(text));
    this.current = files;
    this.locations = data.locations;
    this.series.clear();
    this.signature = signature;
    this.options.onRebuild?.(data.runs, Date.now() - started);
  }

  private async readSignature(): Promise<string> {
    const tip = (await this.options.repo.store.tip())?.oid ?? '';
    const tags = await this.options.repo.git.tryExec([
      'for-each-ref',
      '--format=%(objectname) %(refname)',
      'refs/tags',
    ]);
    return createHash('sha256').update(tip).update('\n').update(tags.stdout).digest('hex');
  }

  /** A run's series or artifact, read from git. */
  async dynamic(path: string): Promise<ServedFile | undefined> {
    const series = SERIES.exec(path);
    if (series) {
      const id = series[1] as string;
      let body = this.series.get(id);
      if (body === undefined) {
        const location = this.locations.get(id);
        if (location === undefined) return undefined;
        const points = await this.options.repo.store.readMetrics(location);
        body = Buffer.from(JSON.stringify(encodeSeriesFile(id, points)));
        if (this.series.size >= SERIES_CACHE)
          this.series.delete(this.series.keys().next().value as string);
        this.series.set(id, body);
      }
      return { body, type: 'application/json; charset=utf-8' };
    }
    const artifact = ARTIFACT.exec(path);
    if (artifact && RUN_ID.test(artifact[1] as string)) {
      const location = this.locations.get(artifact[1] as string);
      if (location === undefined) return undefined;
      try {
        const body = await this.options.repo.store.readArtifact(location, artifact[2] as string);
        const name = (artifact[2] as string).split('/').pop() ?? 'artifact';
        return { body, type: 'application/octet-stream', download: name };
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}
