/**
 * The stable `--json` shape of a run, as `ghml runs list --json` and `ghml runs show --json`
 * print it (documented in the README). Fields are only ever added, never renamed or removed.
 */
import { encodeNumber, type RunRecord } from './run-record.js';

export interface RunJsonView {
  id: string;
  experiment: string;
  name: string | null;
  status: RunRecord['status'];
  startTime: number;
  endTime: number | null;
  exitCode: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<
    string,
    {
      value: number | string;
      step: number;
      min: number | string;
      max: number | string;
      count: number;
    }
  >;
  source: RunRecord['source'];
  github: RunRecord['github'];
  artifacts: RunRecord['artifacts'];
}

export function runJsonView(run: RunRecord): RunJsonView {
  const metrics: RunJsonView['metrics'] = {};
  for (const [key, summary] of Object.entries(run.metrics)) {
    metrics[key] = {
      value: encodeNumber(summary.value),
      step: summary.step,
      min: encodeNumber(summary.min),
      max: encodeNumber(summary.max),
      count: summary.count,
    };
  }
  return {
    id: run.id,
    experiment: run.experiment,
    name: run.name,
    status: run.status,
    startTime: run.startTime,
    endTime: run.endTime,
    exitCode: run.exitCode,
    params: run.params,
    tags: run.tags,
    metrics,
    source: run.source,
    github: run.github,
    artifacts: run.artifacts,
  };
}
