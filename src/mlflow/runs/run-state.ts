/**
 * What the endpoint knows of a run that is still open: params, tags and metric series as they
 * were logged, its logged models and dataset inputs, and where its events and artifacts go.
 * Everything logged is appended to the run's events file first (the durable copy a crashed
 * process leaves for `recordAbandonedRun`); this state answers reads while the run is open and,
 * for runs the endpoint records itself, holds the RunBuilder the record is built from. Logged models and dataset inputs travel as run tags (see model-tags.ts), so
 * they survive in the record like everything else.
 */
import { RunBuilder } from '../../tracking/ingest/run-builder.js';
import type { OpenRunSession } from '../../tracking/open-run.js';
import type { RunStatus } from '../../tracking/run-record.js';

/** One metric's points, column-wise, with the index of its latest point. */
export class MetricSeries {
  readonly steps: number[] = [];
  readonly values: number[] = [];
  readonly timestamps: number[] = [];
  private latestIndex = -1;

  add(value: number, step: number, timestamp: number): void {
    const i = this.values.length;
    this.steps.push(step);
    this.values.push(value);
    this.timestamps.push(timestamp);
    const l = this.latestIndex;
    // Latest by step, then timestamp, then log order: the summary ghml records.
    if (
      l < 0 ||
      step > (this.steps[l] as number) ||
      (step === this.steps[l] && timestamp >= (this.timestamps[l] as number))
    ) {
      this.latestIndex = i;
    }
  }

  /** True when the point is the one logged last (MLflow keeps one copy of identical points). */
  isLast(value: number, step: number, timestamp: number): boolean {
    const i = this.values.length - 1;
    return (
      i >= 0 &&
      this.steps[i] === step &&
      this.timestamps[i] === timestamp &&
      Object.is(this.values[i], value)
    );
  }

  get length(): number {
    return this.values.length;
  }

  latest(): { value: number; step: number; timestamp: number } {
    const l = this.latestIndex;
    return {
      value: this.values[l] as number,
      step: this.steps[l] as number,
      timestamp: this.timestamps[l] as number,
    };
  }
}

/** MLflow's status names; SCHEDULED is accepted and treated as RUNNING. */
export type MlflowRunStatus = RunStatus | 'SCHEDULED';

/** Where an open run's data goes. */
export interface RunSink {
  /** The events file (GHML_EVENTS of the run). */
  eventsFile: string;
  /** The artifacts folder (GHML_ARTIFACTS_DIR of the run). */
  artifactsDir: string;
  /** The open-run folder, for runs this endpoint records itself; null for `ghml run`'s main run. */
  folder: string | null;
}

export class OpenRunState {
  readonly params = new Map<string, string>();
  readonly tags = new Map<string, string>();
  readonly metrics = new Map<string, MetricSeries>();
  /** Metric keys already checked once (checks are skipped for keys seen before). */
  readonly checkedKeys = new Set<string>();
  status: MlflowRunStatus = 'RUNNING';
  endTime: number | null = null;
  deleted = false;
  /** Set once the run is being recorded: nothing more is accepted. */
  ending = false;
  /** Logged models created so far (their counter). */
  modelCount = 0;
  inputCount = 0;
  /**
   * For runs recorded here: the run's data as ingestion builds it, fed as it is logged, so
   * ending the run does not read its events file back (the file is for crash recovery).
   */
  readonly builder: RunBuilder | null;

  constructor(
    readonly id: string,
    readonly experiment: string,
    public name: string | null,
    readonly startTime: number,
    readonly sink: RunSink,
    /** The identity written to session.json; null for the main run of `ghml run`. */
    readonly session: OpenRunSession | null,
  ) {
    this.builder = session === null ? null : new RunBuilder();
  }

  /** True for the main run of `ghml run`, which that command records itself. */
  get isMain(): boolean {
    return this.session === null;
  }

  addMetric(key: string, value: number, step: number, timestamp: number): void {
    let series = this.metrics.get(key);
    if (series === undefined) {
      series = new MetricSeries();
      this.metrics.set(key, series);
    }
    series.add(value, step, timestamp);
  }
}
