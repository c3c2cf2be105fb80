/**
 * Seals the open bucket of a format-2 tip into a new segment (docs/storage-format.md): the
 * records and events of every open run and event become the segment's summary chunks,
 * events.json and commits.txt, and `runs/` and `events/` leave the tip tree. The run folders
 * stay reachable through history and through the tree oids the summaries record. A record
 * that cannot be read stays in the open bucket, so sealing never drops anything.
 */
import type { Git } from '../../git/git.js';
import type { ObjectReader } from '../../git/object-reader.js';
import { TREE_MODE, type TreeEntry } from '../../git/tree-entry.js';
import { setTreeEntry } from '../../git/tree-edit.js';
import type { TreeWriter } from '../../git/tree-writer.js';
import { readOpenEvents, readRunRecords, walkRunFolders } from './open-bucket.js';
import { EVENTS_DIR, RUNS_DIR, SEGMENTS_DIR, formatSegmentName } from './run-path.js';
import { COMMITS_FILE, EVENTS_FILE, type DataWarning } from './segment-files.js';
import { encodeEventsFile, encodeSummaryChunks, type SummarizedRun } from './summary-codec.js';
import type { TipLayout } from './tip-layout.js';

/** The open bucket is sealed once it holds this many entries (runs plus events). */
export const SEAL_AT = 1000;

/** Summary chunks and metric-series chunks stay under this size (GitHub warns at 50 MB). */
export const CHUNK_BYTES = 16 * 1024 * 1024;

/** What sealing produced. */
export interface SealResult {
  /** The new root tree. */
  tree: string;
  /** The segment folder's name. */
  segment: string;
  runs: number;
  events: number;
  /** Entries left in the open bucket because they could not be read. */
  leftOpen: number;
}

/**
 * Builds the root tree of `layout` with its open bucket sealed; undefined when there is
 * nothing to seal.
 */
export async function sealOpenBucket(
  git: Git,
  reader: ObjectReader,
  writer: TreeWriter,
  layout: TipLayout,
  warn: DataWarning,
): Promise<SealResult | undefined> {
  const folders = await walkRunFolders(git, layout.runsTree);
  const read = await readRunRecords(git, reader, folders, warn, {
    ...(layout.runsTree !== undefined ? { runsTree: layout.runsTree } : {}),
  });
  const events = await readOpenEvents(git, reader, layout.eventsTree, warn);
  if (read.length === 0 && events.length === 0) return undefined;

  const runs: SummarizedRun[] = read
    .map(({ location, record }) => ({
      tree: location.tree,
      record: { ...record, format: 2 as const },
    }))
    .sort((a, b) => (a.record.id < b.record.id ? -1 : 1));
  const number = (layout.segments[layout.segments.length - 1]?.number ?? 0) + 1;
  const segment = formatSegmentName({
    number,
    minRunId: runs[0]?.record.id,
    maxRunId: runs[runs.length - 1]?.record.id,
  });
  const commits = [...new Set(runs.map((r) => r.record.source.commit))].sort();
  const chunks = encodeSummaryChunks(runs, CHUNK_BYTES);
  const blobs = await git.writeBlobs([
    ...chunks,
    encodeEventsFile([...events].sort((a, b) => (a.id < b.id ? -1 : 1))),
    commits.map((c) => `${c}\n`).join(''),
  ]);
  const files: TreeEntry[] = chunks.map((_, i) => ({
    mode: '100644',
    type: 'blob',
    oid: blobs[i] as string,
    name: `summary-${i}.json`,
  }));
  files.push({
    mode: '100644',
    type: 'blob',
    oid: blobs[chunks.length] as string,
    name: EVENTS_FILE,
  });
  files.push({
    mode: '100644',
    type: 'blob',
    oid: blobs[chunks.length + 1] as string,
    name: COMMITS_FILE,
  });
  const segmentTree = await writer.write(files);

  // What could not be read stays open; everything sealed leaves the tip tree.
  const sealedRuns = new Set(read.map((r) => r.location.path));
  const sealedEvents = new Set(events.map((e) => `${e.runId}/${e.id}.json`));
  const kept = layout.rootEntries.filter((e) => e.name !== RUNS_DIR && e.name !== EVENTS_DIR);
  let rootTree = await writer.write(kept);
  let leftOpen = 0;
  for (const folder of folders) {
    if (sealedRuns.has(folder.path)) continue;
    leftOpen++;
    const placed = await setTreeEntry(reader, writer, rootTree, folder.path, {
      mode: TREE_MODE,
      type: 'tree',
      oid: folder.tree,
    });
    if ('tree' in placed) rootTree = placed.tree;
  }
  if (layout.eventsTree !== undefined) {
    const listing = await git.exec(['ls-tree', '-r', '-z', '--end-of-options', layout.eventsTree]);
    for (const record of listing.split('\0')) {
      const tab = record.indexOf('\t');
      if (tab < 0) continue;
      const name = record.slice(tab + 1);
      if (sealedEvents.has(name)) continue;
      const [mode = '', type = '', oid = ''] = record.slice(0, tab).split(' ');
      if (type !== 'blob') continue;
      leftOpen++;
      const placed = await setTreeEntry(reader, writer, rootTree, `${EVENTS_DIR}/${name}`, {
        mode,
        type: 'blob',
        oid,
      });
      if ('tree' in placed) rootTree = placed.tree;
    }
  }
  const placed = await setTreeEntry(reader, writer, rootTree, `${SEGMENTS_DIR}/${segment}`, {
    mode: TREE_MODE,
    type: 'tree',
    oid: segmentTree,
  });
  if (!('tree' in placed)) throw new Error(`segment ${segment} already exists`);
  return { tree: placed.tree, segment, runs: runs.length, events: events.length, leftOpen };
}
