/**
 * Why a rollout failed, in the cluster's words: the waiting/terminated reasons of the
 * workload's pods (ImagePullBackOff, CrashLoopBackOff, Unschedulable…) and the latest events
 * about those pods and the workload.
 */
import type { JsonObject, KubeClient, WorkloadRef } from './kube-client.js';

export interface PodProblem {
  pod: string;
  container: string | null;
  reason: string;
  message: string;
}

export interface ClusterEvent {
  type: string;
  reason: string;
  /** 'Pod/iris-prod-7d9c-x2' */
  object: string;
  message: string;
  count: number;
  at: string;
}

export interface FailureReport {
  problems: PodProblem[];
  events: ClusterEvent[];
}

/** How many events a report keeps. */
export const MAX_EVENTS = 10;

function record(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The label selector of a workload's pods. */
export function podSelector(
  workload: WorkloadRef,
  live: JsonObject | undefined,
): string | undefined {
  if (workload.kind === 'InferenceService')
    return `serving.kserve.io/inferenceservice=${workload.name}`;
  const labels = record(record(record(live?.['spec'])['selector'])['matchLabels']);
  const terms = Object.entries(labels)
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => `${k}=${String(v)}`);
  return terms.length === 0 ? undefined : terms.join(',');
}

export function podProblems(pods: readonly JsonObject[]): PodProblem[] {
  const problems: PodProblem[] = [];
  for (const pod of pods) {
    const name = str(record(pod['metadata'])['name']);
    const status = record(pod['status']);
    const statuses = [
      ...(Array.isArray(status['initContainerStatuses']) ? status['initContainerStatuses'] : []),
      ...(Array.isArray(status['containerStatuses']) ? status['containerStatuses'] : []),
    ].map(record);
    for (const c of statuses) {
      const state = record(c['state']);
      const waiting = record(state['waiting']);
      const terminated = record(state['terminated']);
      const reason =
        str(waiting['reason']) ||
        (str(terminated['reason']) !== 'Completed' ? str(terminated['reason']) : '');
      if (reason === '' || reason === 'ContainerCreating' || reason === 'PodInitializing') continue;
      problems.push({
        pod: name,
        container: str(c['name']) || null,
        reason,
        message: str(waiting['message']) || str(terminated['message']),
      });
    }
    if (statuses.length === 0) {
      const unscheduled = (Array.isArray(status['conditions']) ? status['conditions'] : [])
        .map(record)
        .find((c) => c['type'] === 'PodScheduled' && c['status'] === 'False');
      if (unscheduled) {
        problems.push({
          pod: name,
          container: null,
          reason: str(unscheduled['reason']) || 'Unschedulable',
          message: str(unscheduled['message']),
        });
      }
    }
  }
  return problems;
}

export function relevantEvents(
  events: readonly JsonObject[],
  names: ReadonlySet<string>,
  prefix: string,
): ClusterEvent[] {
  const picked: ClusterEvent[] = [];
  for (const e of events) {
    const involved = record(e['involvedObject']);
    const name = str(involved['name']);
    if (!names.has(name) && !name.startsWith(`${prefix}-`) && name !== prefix) continue;
    picked.push({
      type: str(e['type']) || 'Normal',
      reason: str(e['reason']),
      object: `${str(involved['kind'])}/${name}`,
      message: str(e['message']).trim(),
      count: typeof e['count'] === 'number' ? e['count'] : 1,
      at: str(e['lastTimestamp']) || str(e['eventTime']) || str(e['firstTimestamp']),
    });
  }
  picked.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const warnings = picked.filter((e) => e.type === 'Warning');
  return (warnings.length > 0 ? warnings : picked).slice(-MAX_EVENTS);
}

/** Collects the report; a failure to read pods or events leaves that part empty. */
export async function collectFailureReport(
  client: KubeClient,
  workload: WorkloadRef,
  live: JsonObject | undefined,
): Promise<FailureReport> {
  const selector = podSelector(workload, live);
  let pods: JsonObject[] = [];
  let events: JsonObject[] = [];
  try {
    pods = selector === undefined ? [] : await client.pods(selector);
  } catch {
    pods = [];
  }
  try {
    events = await client.events();
  } catch {
    events = [];
  }
  const names = new Set(pods.map((p) => str(record(p['metadata'])['name'])));
  return { problems: podProblems(pods), events: relevantEvents(events, names, workload.name) };
}

/** The report as lines for a terminal or an error message. */
export function describeFailureReport(report: FailureReport): string[] {
  const lines: string[] = [];
  for (const p of report.problems) {
    lines.push(
      `pod ${p.pod}${p.container ? ` (${p.container})` : ''}: ${p.reason}${p.message ? `: ${p.message}` : ''}`,
    );
  }
  for (const e of report.events) {
    lines.push(
      `${e.type} ${e.reason} ${e.object}: ${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`,
    );
  }
  return lines;
}
