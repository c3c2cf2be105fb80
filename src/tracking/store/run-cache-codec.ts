/**
 * The line format of the local run summary cache (see run-summary-cache.ts). NOT part of the
 * tracking branch format: it only ever lives under `<git dir>/ghml/cache/` and can be deleted.
 *
 * A segment is one line of JSON holding many runs: `["ghml-run-cache",1,[strings],[entries]]`.
 * Strings that repeat across runs (experiment, status, param and metric keys and values,
 * GitHub context) are stored once in the segment's string table and referenced by index;
 * each entry is a flat array, so loading 100,000 runs parses a fraction of the bytes of
 * run.json and allocates far fewer strings. Numbers that JSON cannot hold (NaN, ±Infinity,
 * -0) are stored as strings. Decoding checks every type and gives up on an entry (never
 * throws) when anything is off: a corrupt cache is a slower listing, never a wrong one.
 */
import type {
  ArtifactEntry,
  MetricSummary,
  RunGithubContext,
  RunRecord,
  RunStatus,
} from '../run-record.js';
import { RUN_STATUSES, TRACKING_FORMAT } from '../run-record.js';

/** A record with the oid of the run folder's tree it was read from. */
export interface CachedRun {
  /** Oid of the run folder's tree: content-addressed, so an entry can never go stale. */
  tree: string;
  record: RunRecord;
}

/** What decoding one segment line gave. */
export interface DecodedSegment {
  runs: CachedRun[];
  /** Entries (or the whole line, counted as one) that could not be decoded. */
  bad: number;
}

const MAGIC = 'ghml-run-cache';
const VERSION = 1;
const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const STATUSES = new Set<string>(RUN_STATUSES);

/** An entry that cannot be decoded; caught per entry. */
class BadEntry extends Error {}

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
  ];
}

function encodeRun(run: CachedRun, table: StringTable): unknown[] {
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
  ];
}

/** One segment line (without its newline) holding `runs`. */
export function encodeCacheSegment(runs: readonly CachedRun[]): string {
  const table = new StringTable();
  const entries = runs.map((run) => encodeRun(run, table));
  return JSON.stringify([MAGIC, VERSION, table.strings, entries]);
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
    // Plain assignment on purpose: it behaves exactly like parseRunRecord's.
    for (let i = 0; i < value.length; i += 2) out[this.str(value[i])] = this.str(value[i + 1]);
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

function nullableDec(value: unknown): number | null {
  return value === null ? null : dec(value);
}

function flag(value: unknown): boolean {
  if (value !== 0 && value !== 1) throw new BadEntry();
  return value === 1;
}

function rawString(value: unknown): string {
  if (typeof value !== 'string') throw new BadEntry();
  return value;
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
  if (value[6] !== null) github.prNumber = dec(value[6]);
  if (value[7] !== null) github.prBaseSha = rawString(value[7]);
  if (value[8] !== null) github.matrix = read.map(value[8]);
  return github;
}

function decodeMetrics(value: unknown, read: EntryReader): Record<string, MetricSummary> {
  if (!Array.isArray(value) || value.length % 7 !== 0) throw new BadEntry();
  const metrics: Record<string, MetricSummary> = {};
  for (let i = 0; i < value.length; i += 7) {
    metrics[read.str(value[i])] = {
      value: dec(value[i + 1]),
      step: dec(value[i + 2]),
      timestamp: dec(value[i + 3]),
      min: dec(value[i + 4]),
      max: dec(value[i + 5]),
      count: dec(value[i + 6]),
    };
  }
  return metrics;
}

function decodeArtifacts(value: unknown): ArtifactEntry[] {
  if (value === 0) return [];
  if (!Array.isArray(value)) throw new BadEntry();
  return value.map((item: unknown) => {
    if (!Array.isArray(item) || item.length !== 5) throw new BadEntry();
    const artifact: ArtifactEntry = {
      path: rawString(item[0]),
      size: dec(item[1]),
      sha256: rawString(item[2]),
      stored: flag(item[3]),
    };
    if (item[4] !== null) artifact.uri = rawString(item[4]);
    return artifact;
  });
}

function decodeRun(entry: unknown, read: EntryReader): CachedRun {
  if (!Array.isArray(entry) || entry.length !== 16) throw new BadEntry();
  const tree = rawString(entry[0]);
  if (!OID.test(tree)) throw new BadEntry();
  const status = read.str(entry[5]);
  if (!STATUSES.has(status)) throw new BadEntry();
  // Same key order as parseRunRecord, so cached and freshly read records print alike.
  const record: RunRecord = {
    format: TRACKING_FORMAT,
    id: rawString(entry[1]),
    experiment: read.str(entry[3]),
    name: read.nullableStr(entry[4]),
    status: status as RunStatus,
    startTime: dec(entry[6]),
    endTime: nullableDec(entry[7]),
    exitCode: nullableDec(entry[8]),
    source: {
      commit: rawString(entry[2]),
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

/** Decodes one segment line; a line that is not a whole segment counts as one bad entry. */
export function decodeCacheSegment(line: string): DecodedSegment {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { runs: [], bad: 1 };
  }
  if (
    !Array.isArray(json) ||
    json[0] !== MAGIC ||
    json[1] !== VERSION ||
    !Array.isArray(json[2]) ||
    !Array.isArray(json[3])
  ) {
    return { runs: [], bad: 1 };
  }
  const read = new EntryReader(json[2] as unknown[]);
  const runs: CachedRun[] = [];
  let bad = 0;
  for (const entry of json[3] as unknown[]) {
    try {
      runs.push(decodeRun(entry, read));
    } catch (error) {
      if (!(error instanceof BadEntry)) throw error;
      bad++;
    }
  }
  return { runs, bad };
}
