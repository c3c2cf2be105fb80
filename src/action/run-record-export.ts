/**
 * Copies a recorded run from the local tracking branch into a folder, for upload as a workflow
 * artifact (the fork-safe pattern: a fork PR's token cannot push, so the workflow_run side
 * pushes it). Layout, read back by untrusted-run-artifact.ts:
 *
 *   <dir>/<run-id>/run.json
 *   <dir>/<run-id>/metrics.jsonl
 *   <dir>/<run-id>/artifacts/<path>   (only artifacts stored on the branch)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { formatMetricLines, formatRunRecord } from '../tracking/run-record-json.js';
import type { TrackingStore } from '../tracking/store/tracking-store.js';

export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';
export const ARTIFACTS_DIR = 'artifacts';

/** Writes the run into `<dir>/<run-id>/`; returns that folder. */
export async function exportRunRecord(
  store: TrackingStore,
  runId: string,
  dir: string,
): Promise<string> {
  const run = await store.findRun(runId);
  const folder = join(dir, run.record.id);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, RUN_FILE), formatRunRecord(run.record));
  await writeFile(join(folder, METRICS_FILE), formatMetricLines(await store.readMetrics(run)));
  for (const artifact of run.record.artifacts) {
    if (!artifact.stored) continue;
    const target = join(folder, ARTIFACTS_DIR, ...artifact.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, await store.readArtifact(run, artifact.path));
  }
  return folder;
}
