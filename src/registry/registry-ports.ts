/**
 * What the registry needs from the rest of ghml, as small interfaces the lead wires up:
 * the tracking store (to describe the run a model came from) and GitHub releases.
 */
import type { RunRecord } from '../tracking/run-record.js';
import type { TagArtifact, TagMetadata } from './tags/tag-message.js';
import { paramsDigest } from './tags/tag-message.js';

/** Finds a run on the tracking branch (src/tracking implements it). */
export interface RunLookup {
  /** The run with this id, or undefined when there is none. */
  getRun(runId: string): Promise<RunRecord | undefined>;
}

/** A version that was just registered and pushed. */
export interface RegisteredVersion {
  model: string;
  version: string;
  /** The tag name, e.g. 'churn@v1.3.0'. */
  tag: string;
  commit: string;
  /** The human line of the tag message. */
  summary: string;
  metadata: TagMetadata;
}

/** Publishes a GitHub release for a registered version (src/github implements it). */
export interface ReleasePublisher {
  publishVersion(version: RegisteredVersion): Promise<void>;
}

/** The tag metadata a run provides: id, experiment, summary metrics, params digest, artifacts. */
export function metadataFromRun(run: RunRecord): TagMetadata {
  // fromEntries defines keys, so a metric named `__proto__` stays a metric.
  const metrics: Record<string, number> = Object.fromEntries(
    Object.entries(run.metrics).map(([key, summary]) => [key, summary.value]),
  );
  const artifacts: TagArtifact[] = run.artifacts
    .filter((a) => a.uri !== undefined)
    .map((a) => ({ uri: a.uri ?? '', sha256: a.sha256, size: a.size }));
  return {
    runId: run.id,
    experiment: run.experiment,
    metrics,
    paramsDigest: paramsDigest(run.params),
    ...(artifacts.length > 0 ? { artifacts } : {}),
  };
}
