/**
 * Adapts the tracking store to the RunSource that compare reads through. Every call stays
 * proportional to the commits asked about: `commitsWithRuns` is one `cat-file --batch-check`.
 */
import type { GitRunner } from '../git/git-runner.js';
import type { MetricPoint, RunRecord } from '../tracking/run-record.js';
import { commitDir, isExperimentName } from '../tracking/store/run-path.js';
import type { RunLocation, TrackingStore } from '../tracking/store/tracking-store.js';
import { RunNotFoundError } from '../tracking/tracking-errors.js';
import type { RunSource } from './run-source.js';

export class TrackingRunSource implements RunSource {
  private readonly locations = new WeakMap<RunRecord, RunLocation>();

  constructor(
    private readonly store: TrackingStore,
    private readonly git: GitRunner,
  ) {}

  async runsAtCommit(commit: string, experiment?: string): Promise<RunRecord[]> {
    const located = await this.store.runsAtCommit(commit, experiment);
    const stored = await this.store.readRuns(located);
    return stored.map((run) => {
      this.locations.set(run.record, run);
      return run.record;
    });
  }

  async commitsWithRuns(commits: readonly string[], experiment?: string): Promise<Set<string>> {
    const found = new Set<string>();
    const tip = await this.store.tip();
    if (!tip || commits.length === 0) return found;
    const experiments = experiment ? [experiment] : await this.experiments(tip.oid);
    const queries: Array<{ commit: string; spec: string }> = [];
    for (const name of experiments) {
      for (const commit of commits)
        queries.push({ commit, spec: `${tip.oid}:${commitDir(name, commit)}` });
    }
    if (queries.length === 0) return found;
    const output = await this.git.exec(['cat-file', '--batch-check=%(objecttype)'], {
      input: `${queries.map((q) => q.spec).join('\n')}\n`,
    });
    output.split('\n').forEach((line, i) => {
      const query = queries[i];
      if (query && line.trim() === 'tree') found.add(query.commit);
    });
    return found;
  }

  async readMetrics(run: RunRecord): Promise<MetricPoint[]> {
    const location = this.locations.get(run) ?? (await this.store.findRun(run.id));
    return this.store.readMetrics(location);
  }

  async findRun(id: string): Promise<RunRecord | undefined> {
    try {
      const run = await this.store.findRun(id);
      this.locations.set(run.record, run);
      return run.record;
    } catch (error) {
      if (error instanceof RunNotFoundError) return undefined;
      throw error;
    }
  }

  private async experiments(tip: string): Promise<string[]> {
    const result = await this.git.tryExec(['ls-tree', '--name-only', `${tip}:runs`]);
    if (result.exitCode !== 0) return [];
    // Only folders named like experiments: anything else under runs/ is not ghml's to read.
    return result.stdout.split('\n').filter(isExperimentName);
  }
}
