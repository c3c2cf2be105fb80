/**
 * The labels and annotations ghml puts on every object it deploys, and how they are read back
 * from live objects. Labels carry Kubernetes-safe forms (for selectors); annotations carry the
 * exact values. The pod template of a workload carries them too, so `kubectl rollout undo`
 * (which restores the template and the annotations) leaves them describing what runs.
 */
import type { DeployValues } from './deploy-values.js';
import { toLabelValue } from '../kube/kube-names.js';

export const LABEL = {
  model: 'ghml.dev/model',
  version: 'ghml.dev/version',
  stage: 'ghml.dev/stage',
  managedBy: 'app.kubernetes.io/managed-by',
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
} as const;

export const ANNOTATION = {
  model: 'ghml.dev/model',
  version: 'ghml.dev/version',
  stage: 'ghml.dev/stage',
  commit: 'ghml.dev/commit',
  tag: 'ghml.dev/tag',
  uri: 'ghml.dev/uri',
  sha256: 'ghml.dev/sha256',
  runId: 'ghml.dev/run-id',
  deployedAt: 'ghml.dev/deployed-at',
  /** JSON list of the versions deployed before this one, newest first. */
  history: 'ghml.dev/history',
} as const;

/** How many earlier versions the history annotation keeps. */
export const HISTORY_LIMIT = 10;

export function labelsFor(values: DeployValues): Record<string, string> {
  return {
    [LABEL.name]: values.name,
    [LABEL.instance]: values.name,
    [LABEL.managedBy]: 'ghml',
    [LABEL.model]: toLabelValue(values.model),
    [LABEL.version]: toLabelValue(values.version),
    [LABEL.stage]: toLabelValue(values.stage),
  };
}

/** The provenance annotations (the same on every object and pod template). */
export function annotationsFor(values: DeployValues): Record<string, string> {
  const out: Record<string, string> = {
    [ANNOTATION.model]: values.model,
    [ANNOTATION.version]: values.version,
    [ANNOTATION.stage]: values.stage,
    [ANNOTATION.commit]: values.commit,
    [ANNOTATION.tag]: values.tag,
  };
  if (values.uri !== '') out[ANNOTATION.uri] = values.uri;
  if (values.sha256 !== '') out[ANNOTATION.sha256] = values.sha256;
  if (values.runId !== '') out[ANNOTATION.runId] = values.runId;
  return out;
}

/** The label selector of a model's objects in a stage. */
export function stageSelector(model: string, stage: string): string {
  return `${LABEL.model}=${toLabelValue(model)},${LABEL.stage}=${toLabelValue(stage)}`;
}

/** One earlier deploy in the history annotation. */
export interface HistoryEntry {
  version: string;
  /** ISO time it was deployed, when known. */
  at?: string;
}

/** What a live object says about the version it runs. */
export interface DeployedVersion {
  model: string;
  version: string;
  stage: string;
  commit: string | undefined;
  tag: string | undefined;
  uri: string | undefined;
  sha256: string | undefined;
  runId: string | undefined;
  deployedAt: string | undefined;
  history: HistoryEntry[];
}

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

function stringsOf(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record(value)).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

export function parseHistory(text: string | undefined): HistoryEntry[] {
  if (text === undefined) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const entries: HistoryEntry[] = [];
  for (const item of raw) {
    const r = record(item);
    if (typeof r['version'] !== 'string') continue;
    entries.push(
      typeof r['at'] === 'string'
        ? { version: r['version'], at: r['at'] }
        : { version: r['version'] },
    );
  }
  return entries.slice(0, HISTORY_LIMIT);
}

export function formatHistory(entries: readonly HistoryEntry[]): string {
  return JSON.stringify(entries.slice(0, HISTORY_LIMIT));
}

/**
 * The version a live object runs. For workloads with a pod template, the template's
 * annotations decide (they are what the pods were made from); the object's own metadata
 * gives the deploy time and history.
 */
export function readDeployedVersion(object: unknown): DeployedVersion | undefined {
  const o = record(object);
  const meta = stringsOf(record(o['metadata'])['annotations']);
  const template = stringsOf(
    record(record(record(o['spec'])['template'])['metadata'])['annotations'],
  );
  const source = template[ANNOTATION.version] !== undefined ? { ...meta, ...template } : meta;
  const version = source[ANNOTATION.version];
  const model = source[ANNOTATION.model];
  if (version === undefined || model === undefined) return undefined;
  return {
    model,
    version,
    stage: source[ANNOTATION.stage] ?? '',
    commit: source[ANNOTATION.commit],
    tag: source[ANNOTATION.tag],
    uri: source[ANNOTATION.uri],
    sha256: source[ANNOTATION.sha256],
    runId: source[ANNOTATION.runId],
    deployedAt: meta[ANNOTATION.deployedAt],
    history: parseHistory(meta[ANNOTATION.history]),
  };
}

/** The history to record when `version` replaces what `live` runs. */
export function nextHistory(live: DeployedVersion | undefined, version: string): HistoryEntry[] {
  if (live === undefined) return [];
  const previous: HistoryEntry =
    live.deployedAt === undefined
      ? { version: live.version }
      : { version: live.version, at: live.deployedAt };
  return [previous, ...live.history]
    .filter((entry) => entry.version !== version)
    .filter((entry, i, all) => i === 0 || entry.version !== all[i - 1]?.version)
    .slice(0, HISTORY_LIMIT);
}
