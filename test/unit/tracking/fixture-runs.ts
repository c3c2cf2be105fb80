/** Fixture runs shared by the filter and order-by tests. */
import type { MetricSummary, RunRecord } from '../../../src/tracking/run-record.js';

export function metric(value: number): MetricSummary {
  return { value, step: 0, timestamp: 0, min: value, max: value, count: 1 };
}

export function makeRun(
  id: string,
  fields: Partial<Omit<RunRecord, 'metrics'>> & { metrics?: Record<string, number> },
): RunRecord {
  const { metrics = {}, ...rest } = fields;
  return {
    format: 1,
    id,
    experiment: 'iris',
    name: null,
    status: 'FINISHED',
    startTime: 0,
    endTime: null,
    exitCode: 0,
    source: { commit: 'a'.repeat(40), branch: 'main', dirty: false },
    github: null,
    params: {},
    tags: {},
    artifacts: [],
    ...rest,
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, metric(v)])),
  };
}

export const RUNS: RunRecord[] = [
  makeRun('01A', {
    name: 'rf-small',
    startTime: 1000,
    endTime: 2000,
    source: { commit: 'abc123'.padEnd(40, '0'), branch: 'main', dirty: false },
    params: { n_estimators: '10', 'train.lr': '0.1', model: 'RandomForest', note: "it's" },
    tags: { team: 'ml' },
    metrics: { accuracy: 0.95, 'f1 score': 0.9, loss: 0.2 },
  }),
  makeRun('01B', {
    status: 'FAILED',
    startTime: 3000,
    params: { n_estimators: '100', model: 'rf' },
    metrics: { accuracy: 0.85, loss: Number.NaN },
  }),
  makeRun('01C', {
    experiment: 'mnist',
    name: 'cnn',
    status: 'RUNNING',
    startTime: 2000,
    tags: { team: 'vision' },
    metrics: { loss: Number.POSITIVE_INFINITY, 'val/acc': -1.5e-3 },
  }),
  makeRun('01D', {
    name: 'rf-big',
    status: 'KILLED',
    startTime: 3000,
    endTime: 9000,
    params: { n_estimators: '1000', model: 'RANDOMFOREST' },
    metrics: { accuracy: 0.95 },
  }),
];
