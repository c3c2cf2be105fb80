/**
 * The message of an annotated registry tag: one human line, a blank line, then a fenced
 * ```json block with what ghml knows about the event (run, metrics, params digest, artifacts).
 * Tags written by GTO or by hand have no block; they parse with `metadata: undefined`.
 */
import { createHash } from 'node:crypto';
import { decodeNumber, encodeNumber } from '../../tracking/run-record.js';

/** A model file recorded with a registered version. */
export interface TagArtifact {
  /**
   * Where the bytes are: a release asset URL, `oci://<registry>/<repository>@<manifest>#<path>`
   * (a file of the version in the artifact store), or `ghml-run:<run-id>/<path>` (with the run).
   */
  uri: string;
  /** Hex sha256 of the bytes. */
  sha256: string;
  size: number;
  /** The file's path among the run's artifacts, when it came from them (e.g. `model/MLmodel`). */
  path?: string;
}

/** A model version in the artifact store: the run's manifest tagged as the version. */
export interface TagStoreVersion {
  /** `oci://<registry>/<prefix>/models/<model>:<tag>`. */
  reference: string;
  /** `sha256:<hex>` of the manifest (the run's manifest: the same content). */
  digest: string;
}

/** The machine-readable part of a tag message. Every field is optional. */
export interface TagMetadata {
  /** The version an assignment or deregistration refers to. */
  version?: string;
  /** The stage of an assignment or unassignment. */
  stage?: string;
  /** The tracking-branch run the model came from. */
  runId?: string;
  experiment?: string;
  /** Summary metrics of that run; NaN and ±Infinity are kept. */
  metrics?: Record<string, number>;
  /** `paramsDigest(params)` of that run. */
  paramsDigest?: string;
  artifacts?: TagArtifact[];
  /**
   * The run folder registered whole (an MLflow model folder, e.g. `model`): `artifacts` lists
   * every file under it, with its path.
   */
  folder?: string;
  /** The folder's release asset: a deterministic `<folder>.tar.gz` of its files. */
  archive?: TagArtifact;
  /** The version in the artifact store, when the run's files are there. */
  store?: TagStoreVersion;
}

/** A parsed tag message. */
export interface TagMessage {
  /** The first non-empty line. */
  summary: string;
  /** The JSON block, or undefined when the message has none (GTO, hand-made) or it is unreadable. */
  metadata: TagMetadata | undefined;
}

/** Marks the block as ghml's and versions its shape. */
const BLOCK_FORMAT = 1;
const MAX_SUMMARY = 200;
const SHA256_RE = /^[0-9a-f]{64}$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** sha256 (hex) of the params sorted by key: equal params give equal digests. */
export function paramsDigest(params: Record<string, string>): string {
  const entries = Object.keys(params)
    .sort()
    .map((key) => [key, params[key]]);
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

/** Keeps a summary on one line: line breaks become spaces, length is capped. */
export function cleanSummary(summary: string): string {
  const one = summary.replace(/\s+/g, ' ').trim();
  return one.length > MAX_SUMMARY ? `${one.slice(0, MAX_SUMMARY - 1)}…` : one;
}

/** Builds the message; `summary` is cleaned to one line. */
export function formatTagMessage(summary: string, metadata?: TagMetadata): string {
  const line = cleanSummary(summary) || 'ghml registry event';
  if (metadata === undefined) return `${line}\n`;
  const block: Record<string, unknown> = { ghml: BLOCK_FORMAT };
  if (metadata.version !== undefined) block.version = metadata.version;
  if (metadata.stage !== undefined) block.stage = metadata.stage;
  if (metadata.runId !== undefined) block.runId = metadata.runId;
  if (metadata.experiment !== undefined) block.experiment = metadata.experiment;
  if (metadata.metrics !== undefined) {
    block.metrics = Object.fromEntries(
      Object.entries(metadata.metrics).map(([key, value]) => [key, encodeNumber(value)]),
    );
  }
  if (metadata.paramsDigest !== undefined) block.paramsDigest = metadata.paramsDigest;
  if (metadata.artifacts !== undefined) block.artifacts = metadata.artifacts.map(artifactBlock);
  if (metadata.folder !== undefined) block.folder = metadata.folder;
  if (metadata.archive !== undefined) block.archive = artifactBlock(metadata.archive);
  if (metadata.store !== undefined) {
    block.store = { reference: metadata.store.reference, digest: metadata.store.digest };
  }
  // Pretty JSON never puts a line starting with ``` inside the block, so the fence is unambiguous.
  return `${line}\n\n\`\`\`json\n${JSON.stringify(block, null, 2)}\n\`\`\`\n`;
}

function artifactBlock(a: TagArtifact): Record<string, unknown> {
  return {
    ...(a.path === undefined ? {} : { path: a.path }),
    uri: a.uri,
    sha256: a.sha256,
    size: a.size,
  };
}

/** Parses a tag message; never throws. */
export function parseTagMessage(text: string): TagMessage {
  const body = stripSignature(text.replace(/\r\n/g, '\n'));
  const summary = body.split('\n').find((line) => line.trim() !== '') ?? '';
  return { summary: summary.trim(), metadata: readBlock(body) };
}

function stripSignature(text: string): string {
  const at = text.search(/^-----BEGIN (?:PGP|SSH) SIGNATURE-----$/m);
  return at < 0 ? text : text.slice(0, at);
}

function readBlock(body: string): TagMetadata | undefined {
  const blocks = [...body.matchAll(/^```json[ \t]*\n([\s\S]*?)\n```[ \t]*$/gm)];
  const last = blocks[blocks.length - 1];
  if (last === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(last[1] ?? '');
  } catch {
    return undefined;
  }
  if (!isRecord(raw) || raw.ghml === undefined) return undefined;
  return toMetadata(raw);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keeps only well-typed fields: the block may have been written by hand or by a newer ghml. */
function toMetadata(raw: Record<string, unknown>): TagMetadata {
  const m: TagMetadata = {};
  for (const key of [
    'version',
    'stage',
    'runId',
    'experiment',
    'paramsDigest',
    'folder',
  ] as const) {
    const value = raw[key];
    if (typeof value === 'string') m[key] = value;
  }
  if (isRecord(raw.metrics)) {
    // fromEntries defines keys, so `__proto__` or `constructor` stay plain metric names.
    m.metrics = Object.fromEntries(
      Object.entries(raw.metrics).flatMap(([key, value]) => {
        const n = decodeNumber(value);
        return n === undefined ? [] : [[key, n] as const];
      }),
    );
  }
  if (Array.isArray(raw.artifacts)) m.artifacts = raw.artifacts.filter(isArtifact).map(toArtifact);
  if (isArtifact(raw.archive)) m.archive = toArtifact(raw.archive);
  const store = raw.store;
  if (
    isRecord(store) &&
    typeof store.reference === 'string' &&
    typeof store.digest === 'string' &&
    DIGEST_RE.test(store.digest)
  ) {
    m.store = { reference: store.reference, digest: store.digest };
  }
  return m;
}

function toArtifact(a: TagArtifact): TagArtifact {
  return {
    ...(typeof a.path === 'string' ? { path: a.path } : {}),
    uri: a.uri,
    sha256: a.sha256,
    size: a.size,
  };
}

function isArtifact(value: unknown): value is TagArtifact {
  return (
    isRecord(value) &&
    typeof value.uri === 'string' &&
    typeof value.sha256 === 'string' &&
    SHA256_RE.test(value.sha256) &&
    typeof value.size === 'number' &&
    Number.isSafeInteger(value.size) &&
    value.size >= 0
  );
}
