/**
 * Compare for a repository: wires the tracking store, the git door and ghml.yml into
 * compareRuns. The CLI (`ghml compare`) and the action (`command: compare`) both call this.
 */
import { experimentSettings, metricSettings } from '../config/settings-lookup.js';
import type { OpenRepository } from '../tracking/repository-context.js';
import type { ComparisonResult } from './compare-result.js';
import { compareRuns } from './compare-service.js';
import { TrackingRunSource } from './tracking-run-source.js';

export interface CompareRequest {
  /** `--base <rev|run-id>`. */
  base?: string | undefined;
  /** `--head <rev>`. */
  head?: string | undefined;
  experiments?: readonly string[] | undefined;
  /** From the pull_request event payload. */
  prBaseSha?: string | undefined;
  prHeadSha?: string | undefined;
  /** Compare FAILED/KILLED head runs like finished ones. */
  includeUnfinished?: boolean | undefined;
}

export async function compareInRepository(
  repo: OpenRepository,
  request: CompareRequest,
): Promise<ComparisonResult> {
  const { config } = repo;
  return compareRuns({
    runSource: new TrackingRunSource(repo.store),
    git: repo.git,
    settingsLookup: (experiment, key) => metricSettings(config, experiment, key),
    objectiveLookup: (experiment) => {
      const settings = experimentSettings(config, experiment);
      return settings.objective ?? Object.keys(settings.metrics)[0] ?? null;
    },
    remote: config.tracking.remote,
    ...(request.base === undefined ? {} : { base: request.base }),
    ...(request.head === undefined ? {} : { head: request.head }),
    ...(request.experiments === undefined ? {} : { experiments: request.experiments }),
    ...(request.prBaseSha === undefined ? {} : { prBaseSha: request.prBaseSha }),
    ...(request.prHeadSha === undefined ? {} : { prHeadSha: request.prHeadSha }),
    ...(request.includeUnfinished === undefined
      ? {}
      : { includeUnfinished: request.includeUnfinished }),
  });
}
