/**
 * runs/search over the whole tracking branch plus the runs open here, with MLflow's filter and
 * order_by grammar (src/tracking/query), run_view_type, max_results and page tokens. Open runs
 * are searched through the same RunRecord shape as recorded ones, so a filter means the same
 * thing before and after a run is committed.
 */
import type { MetricSummary, RunRecord } from '../../tracking/run-record.js';
import { compileRunFilter, parseRunFilter } from '../../tracking/query/run-filter.js';
import { parseOrderBy, sortRuns } from '../../tracking/query/run-order.js';
import { invalidParameter } from '../http/mlflow-error.js';
import type { RunBridge } from './run-bridge.js';
import type { OpenRunState } from './run-state.js';
import { openRunView, type MlflowRun } from './run-view.js';
import type { StoredRun } from '../../tracking/store/tracking-store.js';

export type RunViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface SearchRunsRequest {
  experimentNames: string[];
  filter: string;
  viewType: RunViewType;
  maxResults: number;
  orderBy: string[];
  pageToken: string | undefined;
}

/** MLflow's largest page of runs. */
export const MAX_RUNS_PER_PAGE = 50_000;

interface Candidate {
  record: RunRecord;
  deleted: boolean;
  open?: OpenRunState;
  stored?: StoredRun;
}

/** An open run in the record shape filters and orderings read. */
export function openRecord(state: OpenRunState): RunRecord {
  const metrics: Record<string, MetricSummary> = {};
  for (const [key, series] of state.metrics) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of series.values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    metrics[key] = { ...series.latest(), min, max, count: series.length };
  }
  const session = state.session;
  return {
    format: 1,
    id: state.id,
    experiment: state.experiment,
    name: state.name,
    status: state.status === 'SCHEDULED' ? 'RUNNING' : state.status,
    startTime: state.startTime,
    endTime: state.endTime,
    exitCode: null,
    source: session?.source ?? { commit: '', branch: null, dirty: false },
    github: session?.github ?? null,
    params: Object.fromEntries(state.params),
    tags: Object.fromEntries(state.tags),
    metrics,
    artifacts: [],
  };
}

export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      offset?: unknown;
    };
    if (
      typeof parsed.offset === 'number' &&
      Number.isSafeInteger(parsed.offset) &&
      parsed.offset >= 0
    ) {
      return parsed.offset;
    }
  } catch {
    // fall through
  }
  throw invalidParameter(`Invalid page token, could not base64-decode: '${token}'`);
}

export async function searchRuns(
  bridge: RunBridge,
  request: SearchRunsRequest,
): Promise<{ runs: MlflowRun[]; next_page_token?: string }> {
  if (request.maxResults < 1 || request.maxResults > MAX_RUNS_PER_PAGE) {
    throw invalidParameter(
      `Invalid value ${request.maxResults} for parameter 'max_results' supplied. It must be at most ${MAX_RUNS_PER_PAGE}, but got value ${request.maxResults}`,
    );
  }
  const filter = parseRunFilter(request.filter);
  const orderBy = parseOrderBy(request.orderBy);
  const matches = compileRunFilter(filter);
  const offset = decodePageToken(request.pageToken);

  const wanted = new Set(request.experimentNames);
  const candidates: Candidate[] = [];
  const openIds = new Set<string>();
  for (const state of bridge.openRuns()) {
    if (!wanted.has(state.experiment)) continue;
    openIds.add(state.id);
    candidates.push({ record: openRecord(state), deleted: state.deleted, open: state });
  }
  for (const experiment of wanted) {
    let stored: StoredRun[];
    try {
      stored = await bridge.store.listRuns({ experiment, includeDeleted: true });
    } catch (error) {
      if ((error as Error).name === 'InvalidNameError') continue;
      throw error;
    }
    for (const run of stored) {
      if (openIds.has(run.id)) continue;
      candidates.push({ record: run.record, deleted: bridge.isDeleted(run), stored: run });
    }
  }
  const visible = candidates.filter((c) =>
    request.viewType === 'ALL'
      ? true
      : request.viewType === 'DELETED_ONLY'
        ? c.deleted
        : !c.deleted,
  );
  const byRecord = new Map<RunRecord, Candidate>(visible.map((c) => [c.record, c]));
  const sorted = sortRuns(
    visible.filter((c) => matches(c.record)).map((c) => c.record),
    orderBy,
  );
  const page = sorted.slice(offset, offset + request.maxResults);
  const runs = page.map((record) => {
    const c = byRecord.get(record) as Candidate;
    if (c.open !== undefined)
      return openRunView(c.open, bridge.experiments.idOf(c.open.experiment));
    return bridge.storedView(c.stored as StoredRun, c.deleted);
  });
  const next = offset + request.maxResults;
  return next < sorted.length ? { runs, next_page_token: encodePageToken(next) } : { runs };
}
