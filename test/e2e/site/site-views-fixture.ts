/**
 * More runs on the report-site fixture (site-fixture.ts) for the views test: a run with a
 * stored artifact (bytes on the tracking branch, not UTF-8), a large artifact that went to an
 * OCI artifact store (only its digest and `oci://` URI on the branch), a pull request number,
 * provenance fields that point somewhere else than the repository, and a param and a metric
 * no other run has; and a run that `ghml runs delete` (the shipped CLI) deletes. Written
 * through the real tracking-branch writer, so the site reads them as it reads any run.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import { createGit } from '../../../src/git/git.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import { formatMetricLines } from '../../../src/tracking/run-record-json.js';
import type { MetricPoint, RunRecord } from '../../../src/tracking/run-record.js';
import { runGhml } from '../../support/run-ghml.js';
import { tempDir } from '../../support/temp-repo.js';
import type { SiteFixture } from './site-fixture.js';

/** The param and metric only the files run has (never among the default columns). */
export const ONLY_PARAM = 'zz_optimizer';
export const ONLY_METRIC = 'zz_recall';
export const STORED_PATH = 'model/weights.bin';
export const LARGE_PATH = 'big/checkpoint.pt';
export const PR_NUMBER = 42;

export interface ViewRuns {
  /** The run with artifacts and a pull request. */
  files: string;
  /** The run deleted before the build. */
  deleted: string;
  /** The stored artifact's bytes. */
  stored: Buffer;
  /** The `oci://` URI of the large artifact. */
  largeUri: string;
}

const nextId = monotonicFactory();

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function addViewRuns(fixture: SiteFixture): Promise<ViewRuns> {
  const store = openTrackingStore(await createGit(fixture.dir), {
    branch: 'ghml/runs',
    remote: 'origin',
    pushTimeoutMs: 10_000,
  });
  const commit = fixture.commits[3] as string;
  const start = Date.UTC(2025, 0, 2);
  const points = (key: string, value: number): MetricPoint[] => [
    { key, value, step: 0, timestamp: start },
  ];
  const record = (id: string, extra: Partial<RunRecord>): RunRecord => ({
    format: 1,
    id,
    experiment: 'files',
    name: null,
    status: 'FINISHED',
    startTime: start,
    endTime: start + 5_000,
    exitCode: 0,
    source: { commit, branch: 'feature', dirty: false },
    github: null,
    params: {},
    tags: {},
    metrics: {},
    artifacts: [],
    ...extra,
  });

  // Bytes that are not text: a server that re-encoded them would change them.
  const stored = Buffer.from([0x00, 0xff, 0x80, 0x0a, 0x0d, 0x7f, 0xc3, 0x28, ...Buffer.from('w')]);
  const file = join(tempDir(), 'weights.bin');
  writeFileSync(file, stored);
  const digest = `sha256:${sha256('manifest')}`;
  const largeUri = `oci://ghcr.io/acme/ml/runs@${digest}#${LARGE_PATH}`;
  const files = nextId(start);
  const recall: MetricPoint[] = points(ONLY_METRIC, 0.8125);
  await store.writeRun({
    record: record(files, {
      params: { [ONLY_PARAM]: 'adam', model: 'rf' },
      metrics: {
        [ONLY_METRIC]: {
          value: 0.8125,
          step: 0,
          timestamp: start,
          min: 0.8125,
          max: 0.8125,
          count: 1,
        },
      },
      // Provenance from the run's own record: the site must not build its commit and pull
      // request links from these.
      github: {
        repository: 'evil/elsewhere',
        serverUrl: 'https://evil.example',
        workflow: 'train',
        runId: '99',
        runAttempt: '1',
        job: 'train',
        prNumber: PR_NUMBER,
      },
      artifacts: [
        { path: STORED_PATH, size: stored.length, sha256: sha256(stored), stored: true },
        {
          path: LARGE_PATH,
          size: 3_000_000_000,
          sha256: sha256('large'),
          stored: false,
          uri: largeUri,
        },
      ],
      store: { url: 'oci://ghcr.io/acme/ml', repository: 'acme/ml/runs', manifest: digest },
    }),
    metricsJsonl: Buffer.from(formatMetricLines(recall)),
    artifacts: [{ path: STORED_PATH, file }],
  });

  const deleted = nextId(start + 60_000);
  await store.writeRun({
    record: record(deleted, {
      startTime: start + 60_000,
      endTime: start + 65_000,
      params: { [ONLY_PARAM]: 'sgd' },
      metrics: {
        accuracy: { value: 0.99, step: 0, timestamp: start, min: 0.99, max: 0.99, count: 1 },
      },
    }),
    metricsJsonl: Buffer.from(formatMetricLines(points('accuracy', 0.99))),
    artifacts: [],
  });
  const result = await runGhml(['runs', 'delete', deleted, '--no-push', '--no-fetch'], {
    cwd: fixture.dir,
  });
  if (result.code !== 0) throw new Error(`ghml runs delete: ${result.stderr}`);
  return { files, deleted, stored, largeUri };
}
