/**
 * The files of a sealed segment (docs/storage-format.md, "Segment files"): `summary-<k>.json`,
 * the records of the segment's runs, and `events.json`, the events sealed with them.
 *
 * A summary chunk is one JSON array `["ghml-summary", 2, strings, runs]`. Strings that repeat
 * across runs (experiment, status, param/tag/metric keys and values, GitHub context) are stored
 * once in the table and referenced by index, and each run is a flat array, so 100,000 runs
 * load from a fraction of the bytes of their run.json files and compress well.
 *
 * Decoding checks every type, every name and every time, and gives up on one entry (never
 * on the file) when anything is off: a bad record is skipped and counted, never a crash.
 */
import type {
  ArtifactEntry,
  MetricSummary,
  RunEvent,
  RunGithubContext,
  RunRecord,
  RunStatus,
} from '../run-record.js';
import { RUN_STATUSES, setOwn } from '../run-record.js';
import { isCommitSha, isExperimentName, isRunId } from './run-path.js';

/** A sealed run: its record and the oid of its run folder's tree (its files are read through it). */
export interface SummarizedRun {
  tree: string;
  record: RunRecord;
}

/** An event sealed into a segment: the run it belongs to, its id (a ULID) and its content. */
export interface SealedEvent {
  runId: string;
  id: string;
  event: RunEvent;
}

/** What decoding one file gave. */
export interface Decoded<T> {
  items: T[];
  /** Entries (or the whole file, counted as one) that could not be decoded. */
  bad: number;
}

const SUMMARY_MAGIC = 'ghml-summary';
const EVENTS_MAGIC = 'ghml-events';
const VERSION = 2;
const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const SHA256 = /^[0-9a-f]{64}$/;
const STATUSES = new Set<string>(RUN_STATUSES);
/** The range a JavaScript Date holds, in ms (ECMA-262 TimeClip). */
const MAX_TIME = 8.64e15;

/** Record fields the flat entry holds; any other field travels in the entry's `extra` object. */
const RECORD_FIELDS = new Set([
  'format',
  'id',
  'experiment',
  'name',
  'status',
  'startTime',
  'endTime',
  'exitCode',
  'source',
  'github',
  'params',
  'tags',
  'metrics',
  'artifacts',
]);
const ARTIFACT_FIELDS = new Set(['path', 'size', 'sha256', 'stored', 'uri']);

/** An entry that cannot be decoded; caught per entry. */
class BadEntry extends Error {}

/** True for a time in ms that a JavaScript Date can represent. */
export function isTimeMs(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) <= MAX_TIME;
}

const put = setOwn;

class StringTable {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();

  ref(value: string): number {
    let at = this.index.get(value);
    if (at === undefined) {
      at = this.strings.length;
      this.strings.push(value);
      this.index.set(value, at);
    }
    return at;
  }

  nullableRef(value: string | null): number {
    return value === null ? -1 : this.ref(value);
  }

  flatMap(record: Record<string, string>): number[] {
    const out: number[] = [];
    for (const [key, value] of Object.entries(record)) out.push(this.ref(key), this.ref(value));
    return out;
  }
}

function num(value: number): number | string {
  if (Number.isFinite(value)) return Object.is(value, -0) ? '-0' : value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

function nullableNum(value: number | null): number | string | null {
  return value === null ? null : num(value);
}

function extraFields(value: object, known: ReadonlySet<string>): Record<string, unknown> | null {
  let extra: Record<string, unknown> | null = null;
  for (const [key, field] of Object.entries(value)) {
    if (known.has(key) || field === undefined) continue;
    extra ??= {};
    put(extra, key, field);
  }
  return extra;
}

function encodeGithub(github: RunGithubContext, table: StringTable): unknown[] {
  return [
    table.ref(github.repository),
    table.ref(github.serverUrl),
    table.ref(github.workflow),
    table.ref(github.runId),
    table.ref(github.runAttempt),
    table.ref(github.job),
    github.prNumber === undefined ? null : num(github.prNumber),
    github.prBaseSha === undefined ? null : github.prBaseSha,
    github.matrix === undefined ? null : table.flatMap(github.matrix),
  ];
}

function encodeArtifact(artifact: ArtifactEntry): unknown[] {
  return [
    artifact.path,
    num(artifact.size),
    artifact.sha256,
    artifact.stored ? 1 : 0,
    artifact.uri === undefined ? null : artifact.uri,
    extraFields(artifact, ARTIFACT_FIELDS),
  ];
}

function encodeRun(run: SummarizedRun, table: StringTable): unknown[] {
  const r = run.record;
  const metrics: Array<number | string> = [];
  for (const [key, s] of Object.entries(r.metrics)) {
    metrics.push(
      table.ref(key),
      num(s.value),
      num(s.step),
      num(s.timestamp),
      num(s.min),
      num(s.max),
      num(s.count),
    );
  }
  return [
    run.tree,
    r.id,
    r.source.commit,
    table.ref(r.experiment),
    table.nullableRef(r.name),
    table.ref(r.status),
    num(r.startTime),
    nullableNum(r.endTime),
    nullableNum(r.exitCode),
    table.nullableRef(r.source.branch),
    r.source.dirty ? 1 : 0,
    r.github === null ? 0 : encodeGithub(r.github, table),
    table.flatMap(r.params),
    table.flatMap(r.tags),
    metrics,
    r.artifacts.length === 0 ? 0 : r.artifacts.map(encodeArtifact),
    extraFields(r, RECORD_FIELDS),
  ];
}

/** One summary chunk holding `runs`. */
export function encodeSummaryChunk(runs: readonly SummarizedRun[]): string {
  const table = new StringTable();
  const entries = runs.map((run) => encodeRun(run, table));
  return `${JSON.stringify([SUMMARY_MAGIC, VERSION, table.strings, entries])}\n`;
}

/**
 * Splits `runs` into summary chunks of about `maxBytes` each (estimated from each record's
 * JSON size, which the chunk's shared string table only shrinks). A run bigger than
 * `maxBytes` gets a chunk of its own.
 */
export function encodeSummaryChunks(runs: readonly SummarizedRun[], maxBytes: number): string[] {
  const chunks: string[] = [];
  let current: SummarizedRun[] = [];
  let size = 0;
  for (const run of runs) {
    const estimate = JSON.stringify(run.record).length + 64;
    if (current.length > 0 && size + estimate > maxBytes) {
      chunks.push(encodeSummaryChunk(current));
      current = [];
      size = 0;
    }
    current.push(run);
    size += estimate;
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(encodeSummaryChunk(current));
  return chunks;
}

/** Reads the values of one entry, throwing BadEntry on the first one of the wrong type. */
class EntryReader {
  constructor(private readonly strings: readonly unknown[]) {}

  str(value: unknown): string {
    const s = typeof value === 'number' ? this.strings[value] : undefined;
    if (typeof s !== 'string') throw new BadEntry();
    return s;
  }

  nullableStr(value: unknown): string | null {
    return value === -1 ? null : this.str(value);
  }

  map(value: unknown): Record<string, string> {
    if (!Array.isArray(value) || value.length % 2 !== 0) throw new BadEntry();
    const out: Record<string, string> = {};
    for (let i = 0; i < value.length; i += 2) put(out, this.str(value[i]), this.str(value[i + 1]));
    return out;
  }
}

function dec(value: unknown): number {
  if (typeof value === 'number') return value;
  switch (value) {
    case 'NaN':
      return Number.NaN;
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case '-Infinity':
      return Number.NEGATIVE_INFINITY;
    case '-0':
      return -0;
    default:
      throw new BadEntry();
  }
}

function time(value: unknown): number {
  if (typeof value !== 'number' || !isTimeMs(value)) throw new BadEntry();
  return value;
}

function integer(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new BadEntry();
  return value;
}

function flag(value: unknown): boolean {
  if (value !== 0 && value !== 1) throw new BadEntry();
  return value === 1;
}

function rawString(value: unknown, check?: (s: string) => boolean): string {
  if (typeof value !== 'string' || (check !== undefined && !check(value))) throw new BadEntry();
  return value;
}

function extra(value: unknown, known: ReadonlySet<string>): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadEntry();
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (!known.has(key)) put(out, key, field);
  return out;
}

function decodeGithub(value: unknown, read: EntryReader): RunGithubContext | null {
  if (value === 0) return null;
  if (!Array.isArray(value) || value.length !== 9) throw new BadEntry();
  const github: RunGithubContext = {
    repository: read.str(value[0]),
    serverUrl: read.str(value[1]),
    workflow: read.str(value[2]),
    runId: read.str(value[3]),
    runAttempt: read.str(value[4]),
    job: read.str(value[5]),
  };
  if (value[6] !== null) github.prNumber = integer(value[6]);
  if (value[7] !== null) github.prBaseSha = rawString(value[7]);
  if (value[8] !== null) github.matrix = read.map(value[8]);
  return github;
}

function decodeMetrics(value: unknown, read: EntryReader): Record<string, MetricSummary> {
  if (!Array.isArray(value) || value.length % 7 !== 0) throw new BadEntry();
  const metrics: Record<string, MetricSummary> = {};
  for (let i = 0; i < value.length; i += 7) {
    put(metrics, read.str(value[i]), {
      value: dec(value[i + 1]),
      step: dec(value[i + 2]),
      timestamp: time(value[i + 3]),
      min: dec(value[i + 4]),
      max: dec(value[i + 5]),
      count: integer(value[i + 6]),
    });
  }
  return metrics;
}

function decodeArtifacts(value: unknown): ArtifactEntry[] {
  if (value === 0) return [];
  if (!Array.isArray(value)) throw new BadEntry();
  return value.map((item: unknown) => {
    if (!Array.isArray(item) || item.length !== 6) throw new BadEntry();
    const artifact: ArtifactEntry = {
      ...extra(item[5], ARTIFACT_FIELDS),
      path: rawString(item[0], (s) => s.length > 0),
      size: integer(item[1]),
      sha256: rawString(item[2], (s) => SHA256.test(s)),
      stored: flag(item[3]),
    };
    if (item[4] !== null) artifact.uri = rawString(item[4]);
    return artifact;
  });
}

function decodeRun(entry: unknown, read: EntryReader): SummarizedRun {
  if (!Array.isArray(entry) || entry.length !== 17) throw new BadEntry();
  const tree = rawString(entry[0], (s) => OID.test(s));
  const status = read.str(entry[5]);
  if (!STATUSES.has(status)) throw new BadEntry();
  const experiment = read.str(entry[3]);
  if (!isExperimentName(experiment)) throw new BadEntry();
  // Same key order as parseRunRecord, so sealed and open records print alike.
  const record: RunRecord = {
    ...extra(entry[16], RECORD_FIELDS),
    format: 2,
    id: rawString(entry[1], isRunId),
    experiment,
    name: read.nullableStr(entry[4]),
    status: status as RunStatus,
    startTime: time(entry[6]),
    endTime: entry[7] === null ? null : time(entry[7]),
    exitCode: entry[8] === null ? null : integer(entry[8]),
    source: {
      commit: rawString(entry[2], isCommitSha),
      branch: read.nullableStr(entry[9]),
      dirty: flag(entry[10]),
    },
    github: decodeGithub(entry[11], read),
    params: read.map(entry[12]),
    tags: read.map(entry[13]),
    metrics: decodeMetrics(entry[14], read),
    artifacts: decodeArtifacts(entry[15]),
  };
  return { tree, record };
}

function parseTopLevel(text: string, magic: string, length: number): unknown[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(json) || json.length !== length || json[0] !== magic || json[1] !== VERSION)
    return undefined;
  return json;
}

/** Decodes a summary chunk; a file that is not a whole chunk counts as one bad entry. */
export function decodeSummaryChunk(text: string): Decoded<SummarizedRun> {
  const json = parseTopLevel(text, SUMMARY_MAGIC, 4);
  if (!json || !Array.isArray(json[2]) || !Array.isArray(json[3])) return { items: [], bad: 1 };
  const read = new EntryReader(json[2] as unknown[]);
  const items: SummarizedRun[] = [];
  let bad = 0;
  for (const entry of json[3] as unknown[]) {
    try {
      items.push(decodeRun(entry, read));
    } catch (error) {
      if (!(error instanceof BadEntry)) throw error;
      bad++;
    }
  }
  return { items, bad };
}

/** A segment's `events.json`. */
export function encodeEventsFile(events: readonly SealedEvent[]): string {
  const entries = events.map((e) => [e.runId, e.id, e.event]);
  return `${JSON.stringify([EVENTS_MAGIC, VERSION, entries])}\n`;
}

/** Checks an event object from the branch; undefined when it is not one. */
export function checkEvent(value: unknown): RunEvent | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const kind = (value as Record<string, unknown>)['kind'];
  const at = (value as Record<string, unknown>)['at'];
  if (typeof kind !== 'string' || kind.length === 0) return undefined;
  if (typeof at !== 'number' || !isTimeMs(at)) return undefined;
  return value as RunEvent;
}

/** Decodes a segment's `events.json`; bad entries are skipped and counted. */
export function decodeEventsFile(text: string): Decoded<SealedEvent> {
  const json = parseTopLevel(text, EVENTS_MAGIC, 3);
  if (!json || !Array.isArray(json[2])) return { items: [], bad: 1 };
  const items: SealedEvent[] = [];
  let bad = 0;
  for (const entry of json[2] as unknown[]) {
    const event = Array.isArray(entry) && entry.length === 3 ? checkEvent(entry[2]) : undefined;
    const runId = Array.isArray(entry) ? entry[0] : undefined;
    const id = Array.isArray(entry) ? entry[1] : undefined;
    if (
      event === undefined ||
      typeof runId !== 'string' ||
      !isRunId(runId) ||
      typeof id !== 'string' ||
      !isRunId(id)
    ) {
      bad++;
      continue;
    }
    items.push({ runId, id, event });
  }
  return { items, bad };
}
