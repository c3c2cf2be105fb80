/**
 * The fields a run query (filter or order-by) can name, MLflow style: `metrics.<key>`,
 * `params.<key>`, `tags.<key>` and run attributes, and how to read each from a RunRecord.
 */
import type { RunRecord } from '../run-record.js';

/** A run attribute, by its canonical name. */
export type RunAttribute =
  'run_id' | 'run_name' | 'status' | 'start_time' | 'end_time' | 'experiment' | 'commit';

/** What a query compares or sorts on. */
export type FieldRef =
  | { kind: 'metric'; key: string }
  | { kind: 'param'; key: string }
  | { kind: 'tag'; key: string }
  | { kind: 'attribute'; key: RunAttribute };

/** Attribute names accepted, with MLflow's aliases. */
export const ATTRIBUTE_ALIASES: Readonly<Record<string, RunAttribute>> = {
  run_id: 'run_id',
  id: 'run_id',
  run_name: 'run_name',
  name: 'run_name',
  status: 'status',
  start_time: 'start_time',
  end_time: 'end_time',
  experiment: 'experiment',
  experiment_name: 'experiment',
  commit: 'commit',
  source_commit: 'commit',
};

/** Field prefixes accepted before the dot, as MLflow does. */
export const PREFIXES: Readonly<Record<string, FieldRef['kind']>> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  parameters: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
};

/** Attributes compared as numbers (milliseconds since the epoch); the rest are strings. */
export const NUMERIC_ATTRIBUTES: ReadonlySet<RunAttribute> = new Set(['start_time', 'end_time']);

/** Whether the field holds numbers (metrics, times) or strings (params, tags, the rest). */
export function isNumericField(field: FieldRef): boolean {
  return (
    field.kind === 'metric' || (field.kind === 'attribute' && NUMERIC_ATTRIBUTES.has(field.key))
  );
}

/** The field as a query would spell it, e.g. metrics.`f1 score`. */
export function formatField(field: FieldRef): string {
  if (field.kind === 'attribute') return field.key;
  const key = /^[A-Za-z0-9_.\-/]+$/.test(field.key) ? field.key : `\`${field.key}\``;
  return `${field.kind}s.${key}`;
}

/** Reads a field of a run: undefined when the run has no such value. */
export type FieldReader = (run: RunRecord) => number | string | undefined;

/** A reader for one field, built once per query (own properties only: keys are user text). */
export function fieldReader(field: FieldRef): FieldReader {
  const key = field.key;
  switch (field.kind) {
    case 'metric':
      return (run) => (Object.hasOwn(run.metrics, key) ? run.metrics[key]?.value : undefined);
    case 'param':
      return (run) => (Object.hasOwn(run.params, key) ? run.params[key] : undefined);
    case 'tag':
      return (run) => (Object.hasOwn(run.tags, key) ? run.tags[key] : undefined);
    case 'attribute':
      return attributeReader(field.key);
  }
}

function attributeReader(attribute: RunAttribute): FieldReader {
  switch (attribute) {
    case 'run_id':
      return (run) => run.id;
    case 'run_name':
      return (run) => run.name ?? undefined;
    case 'status':
      return (run) => run.status;
    case 'start_time':
      return (run) => run.startTime;
    case 'end_time':
      return (run) => run.endTime ?? undefined;
    case 'experiment':
      return (run) => run.experiment;
    case 'commit':
      return (run) => run.source.commit;
  }
}
