/**
 * The deploy event appended to the tracking branch, on the run the deployed version came from
 * (DESIGN.md: every deploy is recorded as a GitHub deployment and as an event on the branch).
 * Writing it never fails a deploy: a problem becomes a note.
 */
import { describeError } from '../errors/ghml-error.js';
import type { RunEvent } from '../tracking/run-record.js';
import type { TrackingStore } from '../tracking/store/tracking-store.js';

/** The event's fields (format 1: `kind` and `at` plus free fields). */
export interface DeployEvent extends RunEvent {
  kind: 'deploy';
  /** Milliseconds since the epoch. */
  at: number;
  action: 'deploy' | 'rollback';
  model: string;
  version: string;
  stage: string;
  outcome: 'succeeded' | 'failed';
  /** The version running after an automatic rollback, or null when none was possible. */
  rolledBackTo: string | null;
  /** The version that ran before (null on the first deploy). */
  previousVersion: string | null;
  namespace: string | null;
  context: string | null;
  githubDeploymentId: number | null;
  /** Why it failed (first line). */
  reason: string | null;
}

/** Where deploy events go. */
export interface DeployEventSink {
  /** Records the event; returns a note when it could not. */
  record(runId: string, event: DeployEvent): Promise<string | undefined>;
}

export interface TrackingSinkOptions {
  /** Fetch before and push after (when the repository has the tracking remote). */
  sync: boolean;
}

export function trackingEventSink(
  store: TrackingStore,
  options: TrackingSinkOptions,
): DeployEventSink {
  return {
    async record(runId, event) {
      try {
        if (options.sync) {
          try {
            await store.fetch();
          } catch {
            // A stale local branch is still fine to append to; the push retries on the new tip.
          }
        }
        await store.addRunEvent(runId, event);
        if (options.sync) await store.push();
        return undefined;
      } catch (error) {
        return `deploy event not recorded on the tracking branch: ${describeError(error)}`;
      }
    },
  };
}
