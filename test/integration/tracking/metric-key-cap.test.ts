/**
 * docs/storage-format.md, "Limits": a run holds at most 100,000 metric keys. The 100,000 are
 * written, pushed and read back exactly; a key past the cap is skipped with one warning that
 * names the cap and how many keys were skipped.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import { MAX_METRIC_KEYS, RunBuilder } from '../../../src/tracking/ingest/run-builder.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import {
  cleanupTempDirs,
  cloneRepo,
  git,
  makeBareRemote,
  makeRepo,
} from '../../support/temp-repo.js';
import { newRunId } from './fixtures/sample-run.js';

afterAll(cleanupTempDirs);

const BRANCH = 'ghml/runs';
const options = { branch: BRANCH, remote: 'origin', pushTimeoutMs: 60_000 };

describe('the cap on metric keys per run', () => {
  it('records 100,000 keys exactly and skips the 100,001st with a warning', async () => {
    expect(MAX_METRIC_KEYS).toBe(100_000);
    const origin = makeBareRemote();
    const repo = makeRepo();
    git(repo, 'remote', 'add', 'origin', `file://${origin}`);
    git(repo, 'push', '-q', 'origin', 'main');
    const head = git(repo, 'rev-parse', 'HEAD');

    const builder = new RunBuilder({ now: () => 1_700_000_000_000 });
    const key = (i: number): string => `m/${String(i).padStart(6, '0')}`;
    for (let i = 0; i <= MAX_METRIC_KEYS; i++) builder.addMetric(key(i), i / 7, 0);
    // A key already recorded still takes points past the cap.
    builder.addMetric(key(0), 2, 1);
    const built = builder.build({
      id: newRunId(),
      experiment: 'iris',
      status: 'FINISHED',
      startTime: 1_700_000_000_000,
      endTime: 1_700_000_001_000,
      exitCode: 0,
      source: { commit: head, branch: 'main', dirty: false },
      github: null,
    });
    expect(Object.keys(built.record.metrics)).toHaveLength(MAX_METRIC_KEYS);
    expect(Object.hasOwn(built.record.metrics, key(MAX_METRIC_KEYS))).toBe(false);
    expect(built.warnings).toEqual([
      {
        source: 'metrics',
        message: `skipped 1 metric key(s) over the cap of 100,000 keys per run ('${key(MAX_METRIC_KEYS)}'); log fewer distinct metric names`,
      },
    ]);

    const store = openTrackingStore(await createGit(repo), options);
    await store.writeRun({ record: built.record, metricsJsonl: built.metricsJsonl, artifacts: [] });
    expect((await store.push()).pushed).toBe(1);

    const ci = cloneRepo(origin);
    const reader = openTrackingStore(await createGit(ci), options);
    expect(await reader.fetch()).toBe(true);
    const run = await reader.findRun(built.record.id);
    expect(run.record).toEqual(built.record);
    expect(run.record.metrics[key(0)]).toMatchObject({ value: 2, step: 1, count: 2 });
    expect(run.record.metrics[key(MAX_METRIC_KEYS - 1)]?.value).toBe((MAX_METRIC_KEYS - 1) / 7);
    const points = await reader.readMetrics(run);
    expect(points).toHaveLength(MAX_METRIC_KEYS + 1);
    expect(new Set(points.map((p) => p.key)).size).toBe(MAX_METRIC_KEYS);
  }, 120_000);
});
