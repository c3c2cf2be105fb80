/**
 * Awaiting a rollout: `kubectl rollout status` for Deployments (and StatefulSets, DaemonSets);
 * for a KServe InferenceService, polling `kubectl get -o json` until its Ready condition is
 * True for the current generation, stopping early when KServe reports the model failed to load.
 */
import { KubeClient, ROLLOUT_KINDS, type JsonObject, type WorkloadRef } from './kube-client.js';

/** How a rollout ended. */
export type RolloutOutcome =
  { state: 'ready'; message: string } | { state: 'failed' | 'timeout'; message: string };

export interface WaitOptions {
  timeoutMs: number;
  /** Between InferenceService polls (default 2000 ms). */
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const TIMED_OUT = /timed out waiting|context deadline exceeded|timeout/i;

function record(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : {};
}

export async function awaitRollout(
  client: KubeClient,
  workload: WorkloadRef,
  options: WaitOptions,
): Promise<RolloutOutcome> {
  if (ROLLOUT_KINDS.has(workload.kind)) {
    const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
    const outcome = await client.rolloutStatus(workload, seconds);
    if (outcome.ok) return { state: 'ready', message: outcome.message };
    return {
      state: TIMED_OUT.test(outcome.message) ? 'timeout' : 'failed',
      message: outcome.message,
    };
  }
  return pollInferenceService(client, workload, options);
}

/** Where an InferenceService stands: ready, failed (with why), or still going. */
export function inferenceServiceState(object: JsonObject): RolloutOutcome | undefined {
  const meta = record(object['metadata']);
  const status = record(object['status']);
  const generation = Number(meta['generation'] ?? 0);
  const observed = Number(status['observedGeneration'] ?? 0);
  if (observed < generation) return undefined;
  const conditions = Array.isArray(status['conditions']) ? status['conditions'].map(record) : [];
  const ready = conditions.find((c) => c['type'] === 'Ready');
  if (ready?.['status'] === 'True') return { state: 'ready', message: 'Ready' };
  const model = record(status['modelStatus']);
  const transition = model['transitionStatus'];
  if (transition === 'BlockedByFailedLoad' || transition === 'InvalidSpec') {
    const failure = record(model['lastFailureInfo']);
    const why = [failure['reason'], failure['message']]
      .filter((p) => typeof p === 'string' && p !== '')
      .join(': ');
    return {
      state: 'failed',
      message: `model ${String(transition)}${why === '' ? '' : ` (${why})`}`,
    };
  }
  return undefined;
}

async function pollInferenceService(
  client: KubeClient,
  workload: WorkloadRef,
  options: WaitOptions,
): Promise<RolloutOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = options.pollMs ?? 2000;
  const deadline = now() + options.timeoutMs;
  let last = 'not observed yet';
  // Bounded: one poll per interval until the deadline.
  for (let i = 0; i <= Math.ceil(options.timeoutMs / Math.max(1, pollMs)) + 1; i++) {
    const live = await client.get(workload.apiVersion, workload.kind, workload.name);
    if (live !== undefined) {
      const state = inferenceServiceState(live);
      if (state) return state;
      const ready = (
        Array.isArray(record(live['status'])['conditions'])
          ? (record(live['status'])['conditions'] as unknown[])
          : []
      )
        .map(record)
        .find((c) => c['type'] === 'Ready');
      if (ready)
        last = `Ready=${String(ready['status'])}${typeof ready['reason'] === 'string' ? ` (${ready['reason']})` : ''}`;
    }
    if (now() >= deadline) break;
    await sleep(Math.min(pollMs, Math.max(0, deadline - now())));
  }
  return {
    state: 'timeout',
    message: `${workload.kind} '${workload.name}' was not Ready within ${Math.round(options.timeoutMs / 1000)}s (last: ${last})`,
  };
}
