/** Test fixtures for compare: run records and an in-memory RunSource that counts its calls. */
import type { MetricSettings } from '../../../src/config/config-types.js';
import type { RunSource } from '../../../src/compare/run-source.js';
import type {
  MetricPoint,
  MetricSummary,
  RunRecord,
  RunStatus,
} from '../../../src/tracking/run-record.js';

let counter = 0;

/** A ULID-shaped id that sorts in creation order. */
export function nextRunId(): string {
  counter++;
  return `01J${String(counter).padStart(23, '0')}`;
}

export function summary(value: number): MetricSummary {
  return { value, step: 0, timestamp: 0, min: value, max: value, count: 1 };
}

export interface RunSpec {
  id?: string;
  experiment?: string;
  commit: string;
  status?: RunStatus;
  startTime?: number;
  metrics?: Record<string, number>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  matrix?: Record<string, string>;
  series?: MetricPoint[];
}

export function makeRun(spec: RunSpec): RunRecord & { series?: MetricPoint[] } {
  const metrics: Record<string, MetricSummary> = {};
  for (const [key, value] of Object.entries(spec.metrics ?? {})) metrics[key] = summary(value);
  const id = spec.id ?? nextRunId();
  const run: RunRecord & { series?: MetricPoint[] } = {
    format: 1,
    id,
    experiment: spec.experiment ?? 'iris',
    name: null,
    status: spec.status ?? 'FINISHED',
    startTime: spec.startTime ?? 1_700_000_000_000,
    endTime: null,
    exitCode: 0,
    source: { commit: spec.commit, branch: null, dirty: false },
    github:
      spec.matrix === undefined
        ? null
        : {
            repository: 'acme/ml',
            serverUrl: 'https://github.com',
            workflow: 'train',
            runId: '42',
            runAttempt: '1',
            job: 'train',
            matrix: spec.matrix,
          },
    params: spec.params ?? {},
    tags: spec.tags ?? {},
    metrics,
    artifacts: [],
  };
  if (spec.series !== undefined) run.series = spec.series;
  return run;
}

/** RunSource over a list of runs; records every call so tests can assert the cost. */
export class MemoryRunSource implements RunSource {
  readonly calls: Array<{ method: string; args: unknown[] }> = [];

  constructor(readonly runs: Array<RunRecord & { series?: MetricPoint[] }> = []) {}

  add(...runs: Array<RunRecord & { series?: MetricPoint[] }>): this {
    this.runs.push(...runs);
    return this;
  }

  count(method: string): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  async runsAtCommit(commit: string, experiment?: string): Promise<RunRecord[]> {
    this.calls.push({ method: 'runsAtCommit', args: [commit, experiment] });
    return this.runs.filter(
      (run) =>
        run.source.commit === commit && (experiment === undefined || run.experiment === experiment),
    );
  }

  async commitsWithRuns(commits: readonly string[], experiment?: string): Promise<Set<string>> {
    this.calls.push({ method: 'commitsWithRuns', args: [[...commits], experiment] });
    const wanted = new Set(commits);
    return new Set(
      this.runs
        .filter(
          (run) =>
            wanted.has(run.source.commit) &&
            (experiment === undefined || run.experiment === experiment),
        )
        .map((run) => run.source.commit),
    );
  }

  async readMetrics(run: RunRecord): Promise<MetricPoint[]> {
    this.calls.push({ method: 'readMetrics', args: [run.id] });
    const stored = this.runs.find((r) => r.id === run.id);
    return stored?.series ?? [];
  }

  async findRun(id: string): Promise<RunRecord | undefined> {
    this.calls.push({ method: 'findRun', args: [id] });
    const matches = this.runs.filter((run) => run.id.startsWith(id));
    return matches.length === 1 ? matches[0] : undefined;
  }
}

export const MAX_ABS0: MetricSettings = {
  direction: 'max',
  threshold: { kind: 'absolute', value: 0 },
  precision: 4,
};

/** Settings lookup: names ending in 'loss' are 'min', others 'max'; absolute threshold 0. */
export function defaultSettings(_experiment: string, key: string): MetricSettings {
  return { ...MAX_ABS0, direction: key.endsWith('loss') ? 'min' : 'max' };
}
