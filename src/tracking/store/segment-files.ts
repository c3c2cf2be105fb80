/**
 * Loads the files of sealed segments (summary chunks, events.json, commits.txt): the blobs of
 * every segment asked for are fetched in one request in a partial clone, decoded once per
 * process (segments never change), and bad entries are skipped with one warning per file.
 */
import type { Git } from '../../git/git.js';
import type { ObjectReader } from '../../git/object-reader.js';
import type { TreeEntry } from '../../git/tree-entry.js';
import { DecodedBlobMemo, prefetchBlobs, readBlobs } from './blob-batch.js';
import { SEGMENTS_DIR } from './run-path.js';
import {
  decodeEventsFile,
  decodeSummaryChunk,
  type Decoded,
  type SealedEvent,
  type SummarizedRun,
} from './summary-codec.js';
import type { SegmentRef } from './tip-layout.js';

export const SUMMARY_FILE = /^summary-(0|[1-9][0-9]{0,5})\.json$/;
export const EVENTS_FILE = 'events.json';
export const COMMITS_FILE = 'commits.txt';

/** Reports a problem with the branch's data that a read skipped over. */
export type DataWarning = (message: string) => void;

const summaries = new DecodedBlobMemo<Decoded<SummarizedRun>>(400);
const events = new DecodedBlobMemo<Decoded<SealedEvent>>(400);
const commits = new DecodedBlobMemo<ReadonlySet<string>>(2000);

interface SegmentFile {
  segment: SegmentRef;
  name: string;
  oid: string;
}

/** The files of `segments` whose names `wanted` accepts. */
async function segmentFiles(
  reader: ObjectReader,
  segments: readonly SegmentRef[],
  wanted: (name: string) => boolean,
): Promise<SegmentFile[]> {
  const listings = await Promise.all(segments.map((s) => reader.readTree(s.tree)));
  const files: SegmentFile[] = [];
  segments.forEach((segment, i) => {
    const entries: TreeEntry[] = listings[i] ?? [];
    for (const entry of entries) {
      if (entry.type === 'blob' && wanted(entry.name))
        files.push({ segment, name: entry.name, oid: entry.oid });
    }
  });
  return files;
}

function chunkIndex(name: string): number {
  return Number(SUMMARY_FILE.exec(name)?.[1] ?? 0);
}

/** Reads and decodes the files the memo lacks; returns the decoded value of every file. */
async function load<T>(
  git: Git,
  reader: ObjectReader,
  files: readonly SegmentFile[],
  memo: DecodedBlobMemo<T>,
  decode: (text: string, file: SegmentFile) => T,
): Promise<T[]> {
  const missing = files.filter((f) => memo.get(f.oid) === undefined);
  if (missing.length > 0) {
    await prefetchBlobs(
      git,
      [...new Set(missing.map((f) => f.segment.tree))],
      missing.map((f) => f.oid),
    );
    const blobs = await readBlobs(
      reader,
      missing.map((f) => f.oid),
    );
    missing.forEach((file, i) => {
      memo.set(file.oid, decode(blobs[i]?.toString('utf8') ?? '', file));
    });
  }
  return files.map((f) => memo.get(f.oid) as T);
}

function where(file: SegmentFile): string {
  return `${SEGMENTS_DIR}/${file.segment.name}/${file.name}`;
}

function warnBad(warn: DataWarning, file: SegmentFile, bad: number, what: string): void {
  if (bad > 0) warn(`skipped ${bad} unreadable ${what} in ${where(file)}`);
}

/** Every run of `segments`, in segment then chunk order. */
export async function loadSegmentRuns(
  git: Git,
  reader: ObjectReader,
  segments: readonly SegmentRef[],
  warn: DataWarning,
): Promise<SummarizedRun[]> {
  const files = (await segmentFiles(reader, segments, (n) => SUMMARY_FILE.test(n))).sort(
    (a, b) => a.segment.number - b.segment.number || chunkIndex(a.name) - chunkIndex(b.name),
  );
  const decoded = await load(git, reader, files, summaries, (text) => decodeSummaryChunk(text));
  const runs: SummarizedRun[] = [];
  decoded.forEach((d, i) => {
    warnBad(warn, files[i] as SegmentFile, d.bad, 'run summaries');
    for (const run of d.items) runs.push(run);
  });
  return runs;
}

/** Every event sealed in `segments`. */
export async function loadSegmentEvents(
  git: Git,
  reader: ObjectReader,
  segments: readonly SegmentRef[],
  warn: DataWarning,
): Promise<SealedEvent[]> {
  const files = await segmentFiles(reader, segments, (n) => n === EVENTS_FILE);
  const decoded = await load(git, reader, files, events, (text) => decodeEventsFile(text));
  const out: SealedEvent[] = [];
  decoded.forEach((d, i) => {
    warnBad(warn, files[i] as SegmentFile, d.bad, 'events');
    for (const event of d.items) out.push(event);
  });
  return out;
}

/** The segments among `segments` that hold a run trained on one of `shas`. */
export async function segmentsWithCommits(
  git: Git,
  reader: ObjectReader,
  segments: readonly SegmentRef[],
  shas: readonly string[],
): Promise<SegmentRef[]> {
  const files = await segmentFiles(reader, segments, (n) => n === COMMITS_FILE);
  const sets = await load(
    git,
    reader,
    files,
    commits,
    (text) => new Set(text.split('\n').filter((line) => line.length > 0)),
  );
  const hits = new Set<SegmentRef>();
  files.forEach((file, i) => {
    if (shas.some((sha) => sets[i]?.has(sha))) hits.add(file.segment);
  });
  return segments.filter((s) => hits.has(s));
}
