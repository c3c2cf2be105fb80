/**
 * Reads the run artifact a `pull_request` workflow uploaded (see run-record-export.ts) as
 * untrusted data: on a fork PR, anything in it may have been written by the PR's code. Every
 * check runs before anything is returned, so a caller writes all runs or none:
 *
 * - shape: only `<run-id>/run.json`, `<run-id>/metrics.jsonl` and `<run-id>/artifacts/**`,
 *   regular files and folders only (a symlink could point anywhere), bounded depth and count;
 * - sizes: per file and in total, with the artifact limits of the trusted ghml.yml;
 * - schema: run.json and metrics.jsonl parsed by the tracking parsers, then checked against
 *   the schema the producer checks too (run-record-schema.ts): names, values, times within a
 *   Date's range, the GitHub context; no `__proto__` key; the folder name must be the run id;
 * - paths: artifact paths must be valid keys (no '..', no absolute paths) and match the files,
 *   byte for byte (size and sha256);
 * - provenance: every run trained on the workflow run's head sha and names one PR number; its
 *   `github.repository` and `github.serverUrl` are replaced by the importing workflow's own.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GhmlError } from '../errors/ghml-error.js';
import type { ArtifactFile } from '../tracking/store/branch-writer.js';
import { isRunId } from '../tracking/store/run-path.js';
import { keyProblem } from '../tracking/run-limits.js';
import { runRecordProblem } from '../tracking/run-record-schema.js';
import type { RunRecord } from '../tracking/run-record.js';
import {
  formatMetricLines,
  parseMetricLines,
  parseRunRecord,
} from '../tracking/run-record-json.js';
import { UntrustedArtifactError } from './action-errors.js';
import { ARTIFACTS_DIR, METRICS_FILE, RUN_FILE } from './run-record-export.js';

/** Caps on what one artifact may hold. */
export interface ArtifactCaps {
  maxRuns: number;
  maxFiles: number;
  maxDepth: number;
  maxRunJsonBytes: number;
  maxMetricsBytes: number;
  /** One artifact file (ghml.yml `artifacts.max_file_bytes`). */
  maxArtifactFileBytes: number;
  /** Stored artifacts of one run (ghml.yml `artifacts.max_total_bytes`). */
  maxArtifactTotalBytes: number;
  /** Everything in the artifact. */
  maxTotalBytes: number;
}

export const DEFAULT_ARTIFACT_CAPS: ArtifactCaps = {
  maxRuns: 256,
  maxFiles: 5_000,
  maxDepth: 16,
  maxRunJsonBytes: 4 * 1024 * 1024,
  maxMetricsBytes: 64 * 1024 * 1024,
  maxArtifactFileBytes: 1024 * 1024,
  maxArtifactTotalBytes: 10 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
};

export interface ArtifactExpectations {
  /** The head sha of the workflow run that made the artifact (from the trusted payload). */
  headSha: string;
  /** `owner/name` of the repository importing the runs (GITHUB_REPOSITORY); replaces the record's. */
  repository: string;
  /** The server URL of the importing workflow (GITHUB_SERVER_URL); replaces the record's. */
  serverUrl: string;
  caps: ArtifactCaps;
}

/** A run that passed every check, ready for TrackingStore.writeRun. */
export interface ValidatedRun {
  record: RunRecord;
  /** Canonical metrics.jsonl, re-formatted from the parsed points. */
  metricsJsonl: Buffer;
  artifacts: ArtifactFile[];
}

export interface ValidatedArtifact {
  /** The PR number all runs name. */
  prNumber: number;
  runs: ValidatedRun[];
}

interface FileEntry {
  /** '/'-separated path inside the artifact folder. */
  path: string;
  full: string;
  size: number;
}

/** Walks the folder with lstat, refusing anything but plain files and folders. */
async function listFiles(root: string, caps: ArtifactCaps): Promise<FileEntry[]> {
  const rootStat = await lstat(root).catch(() => undefined);
  if (rootStat === undefined)
    throw new UntrustedArtifactError(
      root,
      'the folder does not exist (was the artifact downloaded?)',
    );
  if (!rootStat.isDirectory()) throw new UntrustedArtifactError(root, 'it is not a plain folder');
  const files: FileEntry[] = [];
  let total = 0;
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (depth > caps.maxDepth)
      throw new UntrustedArtifactError(
        root,
        `'${prefix}' is nested deeper than ${caps.maxDepth} folders`,
      );
    for (const name of (await readdir(dir)).sort()) {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      const full = join(dir, name);
      const stat = await lstat(full);
      if (stat.isSymbolicLink())
        throw new UntrustedArtifactError(root, `'${path}' is a symbolic link`);
      if (stat.isDirectory()) {
        await walk(full, path, depth + 1);
        continue;
      }
      if (!stat.isFile()) throw new UntrustedArtifactError(root, `'${path}' is not a regular file`);
      files.push({ path, full, size: stat.size });
      total += stat.size;
      if (files.length > caps.maxFiles)
        throw new UntrustedArtifactError(root, `it holds more than ${caps.maxFiles} files`);
      if (total > caps.maxTotalBytes)
        throw new UntrustedArtifactError(root, `it is larger than ${caps.maxTotalBytes} bytes`);
    }
  };
  await walk(root, '', 0);
  return files;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Runs a tracking validator, turning its error into a rejection of the artifact. */
function check<T>(root: string, where: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof GhmlError)
      throw new UntrustedArtifactError(root, `${where}: ${error.message}`);
    throw error;
  }
}

async function readCapped(root: string, file: FileEntry, max: number): Promise<string> {
  if (file.size > max)
    throw new UntrustedArtifactError(
      root,
      `'${file.path}' is ${file.size} bytes, over the limit of ${max}`,
    );
  return readFile(file.full, 'utf8');
}

/**
 * Refuses a `__proto__` key anywhere in run.json: as an object key it would set a prototype
 * (or vanish) while parsing, so the record checked would not be the record written.
 */
function refuseProtoKeys(root: string, where: string, text: string): void {
  try {
    JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new SyntaxError('__proto__');
      return value;
    });
  } catch (error) {
    if (error instanceof SyntaxError && error.message === '__proto__') {
      throw new UntrustedArtifactError(
        root,
        `${where}: the key '__proto__' is not allowed (it names a JavaScript object's prototype)`,
      );
    }
    // Not JSON at all: parseRunRecord names the problem.
  }
}

/** The shared schema (run-record-schema.ts): the importer accepts exactly what ghml records. */
function checkRecordSchema(root: string, where: string, record: RunRecord): void {
  const problem = runRecordProblem(record);
  if (problem !== undefined) {
    throw new UntrustedArtifactError(root, `${where}: '${problem.field}' ${problem.problem}`);
  }
}

async function validateRun(
  root: string,
  runId: string,
  files: FileEntry[],
  expectations: ArtifactExpectations,
): Promise<ValidatedRun & { prNumber: number }> {
  const { caps } = expectations;
  const byName = new Map(files.map((file) => [file.path.slice(runId.length + 1), file]));
  for (const name of byName.keys()) {
    if (name !== RUN_FILE && name !== METRICS_FILE && !name.startsWith(`${ARTIFACTS_DIR}/`)) {
      throw new UntrustedArtifactError(
        root,
        `unexpected file '${runId}/${name}' (a run folder holds ${RUN_FILE}, ${METRICS_FILE} and ${ARTIFACTS_DIR}/)`,
      );
    }
  }
  const runFile = byName.get(RUN_FILE);
  if (runFile === undefined)
    throw new UntrustedArtifactError(root, `'${runId}/${RUN_FILE}' is missing`);
  const where = `${runId}/${RUN_FILE}`;
  const text = await readCapped(root, runFile, caps.maxRunJsonBytes);
  refuseProtoKeys(root, where, text);
  const run = check(root, where, () => parseRunRecord(text, where));
  if (run.id !== runId)
    throw new UntrustedArtifactError(root, `${where} holds run '${run.id}', not '${runId}'`);
  if (run.status === 'RUNNING')
    throw new UntrustedArtifactError(root, `${where}: run ${runId} is still RUNNING`);
  checkRecordSchema(root, where, run);
  if (run.source.commit !== expectations.headSha) {
    throw new UntrustedArtifactError(
      root,
      `run ${runId} trained on commit ${run.source.commit}, but the workflow run was for ${expectations.headSha}`,
    );
  }
  const prNumber = run.github?.prNumber;
  if (run.github === null || prNumber === undefined) {
    throw new UntrustedArtifactError(root, `run ${runId} names no pull request number`);
  }
  // Links in comments and reports are built from these: only the workflow's own values count.
  run.github.repository = expectations.repository;
  run.github.serverUrl = expectations.serverUrl;

  const metricsFile = byName.get(METRICS_FILE);
  const metricsText =
    metricsFile === undefined ? '' : await readCapped(root, metricsFile, caps.maxMetricsBytes);
  const points = check(root, `${runId}/${METRICS_FILE}`, () =>
    parseMetricLines(metricsText, `${runId}/${METRICS_FILE}`),
  );
  for (const point of points) {
    const problem = keyProblem(point.key);
    if (problem !== undefined)
      throw new UntrustedArtifactError(
        root,
        `${runId}/${METRICS_FILE}: metric key '${point.key.slice(0, 100)}' ${problem}`,
      );
    if (!Object.hasOwn(run.metrics, point.key)) {
      throw new UntrustedArtifactError(
        root,
        `${runId}/${METRICS_FILE}: metric '${point.key}' is not in ${RUN_FILE}`,
      );
    }
  }

  const artifacts: ArtifactFile[] = [];
  const indexed = new Set<string>();
  let storedBytes = 0;
  for (const entry of run.artifacts) {
    const problem = keyProblem(entry.path);
    if (problem !== undefined)
      throw new UntrustedArtifactError(
        root,
        `${where}: artifact path '${entry.path.slice(0, 100)}' ${problem}`,
      );
    if (indexed.has(entry.path))
      throw new UntrustedArtifactError(root, `${where}: artifact '${entry.path}' is listed twice`);
    indexed.add(entry.path);
    const file = byName.get(`${ARTIFACTS_DIR}/${entry.path}`);
    if (!entry.stored) {
      if (file !== undefined)
        throw new UntrustedArtifactError(
          root,
          `artifact '${entry.path}' of run ${runId} is marked not stored but its file is present`,
        );
      continue;
    }
    if (file === undefined)
      throw new UntrustedArtifactError(root, `artifact '${entry.path}' of run ${runId} is missing`);
    if (file.size > caps.maxArtifactFileBytes) {
      throw new UntrustedArtifactError(
        root,
        `artifact '${entry.path}' of run ${runId} is ${file.size} bytes, over the limit of ${caps.maxArtifactFileBytes}`,
      );
    }
    storedBytes += file.size;
    if (storedBytes > caps.maxArtifactTotalBytes) {
      throw new UntrustedArtifactError(
        root,
        `the artifacts of run ${runId} are over the limit of ${caps.maxArtifactTotalBytes} bytes`,
      );
    }
    const data = await readFile(file.full);
    if (data.length !== entry.size || sha256(data) !== entry.sha256) {
      throw new UntrustedArtifactError(
        root,
        `artifact '${entry.path}' of run ${runId} does not match its size and sha256 in ${RUN_FILE}`,
      );
    }
    artifacts.push({ path: entry.path, file: file.full });
  }
  for (const name of byName.keys()) {
    if (
      name.startsWith(`${ARTIFACTS_DIR}/`) &&
      !indexed.has(name.slice(ARTIFACTS_DIR.length + 1))
    ) {
      throw new UntrustedArtifactError(
        root,
        `file '${runId}/${name}' is not in the artifact index of ${RUN_FILE}`,
      );
    }
  }
  return { record: run, metricsJsonl: Buffer.from(formatMetricLines(points)), artifacts, prNumber };
}

/** Validates the whole artifact; throws UntrustedArtifactError at the first problem. */
export async function readUntrustedRunArtifact(
  root: string,
  expectations: ArtifactExpectations,
): Promise<ValidatedArtifact> {
  const files = await listFiles(root, expectations.caps);
  const byRun = new Map<string, FileEntry[]>();
  for (const file of files) {
    const slash = file.path.indexOf('/');
    const runId = slash < 0 ? file.path : file.path.slice(0, slash);
    if (slash < 0 || !isRunId(runId)) {
      throw new UntrustedArtifactError(
        root,
        `unexpected entry '${file.path.slice(0, 120)}' (expected <run-id>/${RUN_FILE})`,
      );
    }
    let list = byRun.get(runId);
    if (!list) byRun.set(runId, (list = []));
    list.push(file);
  }
  if (byRun.size === 0) throw new UntrustedArtifactError(root, 'it holds no run');
  if (byRun.size > expectations.caps.maxRuns) {
    throw new UntrustedArtifactError(
      root,
      `it holds ${byRun.size} runs, more than ${expectations.caps.maxRuns}`,
    );
  }
  const runs: ValidatedRun[] = [];
  let prNumber: number | undefined;
  for (const [runId, runFiles] of [...byRun].sort(([a], [b]) => a.localeCompare(b))) {
    const { prNumber: number, ...run } = await validateRun(root, runId, runFiles, expectations);
    if (prNumber !== undefined && number !== prNumber) {
      throw new UntrustedArtifactError(
        root,
        `runs name different pull requests (#${prNumber} and #${number})`,
      );
    }
    prNumber = number;
    runs.push(run);
  }
  return { prNumber: prNumber as number, runs };
}
