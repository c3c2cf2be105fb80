/**
 * Adapts the tracking store to the RunSource that compare reads through. Every call stays
 * proportional to the commits asked about (the store answers `commitsWithRuns` from tree
 * lookups and each sealed segment's commit list, never by reading records).
 */
import type { MetricPoint, RunRecord } from '../tracking/run-record.js';
import type { RunLocation, TrackingStore } from '../tracking/store/tracking-store.js';
import { RunNotFoundError } from '../tracking/tracking-errors.js';
import type { RunSource } from './run-source.js';

export class TrackingRunSource implements RunSource {
  private readonly locations = new WeakMap<RunRecord, RunLocation>();

  constructor(private readonly store: TrackingStore) {}

  async runsAtCommit(commit: string, experiment?: string): Promise<RunRecord[]> {
    const located = await this.store.runsAtCommit(commit, experiment);
    const stored = await this.store.readRuns(located);
    return stored.map((run) => {
      this.locations.set(run.record, run);
      return run.record;
    });
  }

  commitsWithRuns(commits: readonly string[], experiment?: string): Promise<Set<string>> {
    return this.store.commitsWithRuns(commits, experiment);
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
}
