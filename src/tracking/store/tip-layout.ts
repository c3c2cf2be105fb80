/**
 * The top level of a tracking-branch tip: its format, and where its open bucket, open events
 * and sealed segments are (docs/storage-format.md). Read with two tree reads and one blob
 * (the marker), so it costs the same at 100 runs as at 100,000.
 */
import type { ObjectReader } from '../../git/object-reader.js';
import type { TreeEntry } from '../../git/tree-entry.js';
import type { TrackingFormat } from '../run-record.js';
import { MARKER_PATH, checkMarker } from './branch-format.js';
import {
  EVENTS_DIR,
  RUNS_DIR,
  SEGMENTS_DIR,
  parseSegmentName,
  type SegmentName,
} from './run-path.js';

/** A sealed segment: its folder name's parts and its tree. */
export interface SegmentRef extends SegmentName {
  name: string;
  tree: string;
}

export interface TipLayout {
  /** The tip commit. */
  commit: string;
  /** The ref it was read from (for messages). */
  ref: string;
  format: TrackingFormat;
  /** Root tree oid. */
  root: string;
  /** Entries of the root tree. */
  rootEntries: TreeEntry[];
  /** Tree of `runs/` (the open bucket; every run in format 1), if any. */
  runsTree: string | undefined;
  /** Tree of `events/` (open events, format 2), if any. */
  eventsTree: string | undefined;
  /** Sealed segments in number order (format 2). */
  segments: SegmentRef[];
}

function subtree(entries: readonly TreeEntry[], name: string): string | undefined {
  const entry = entries.find((e) => e.name === name);
  return entry?.type === 'tree' ? entry.oid : undefined;
}

/** Reads the layout of the commit `commit` (named `ref` in errors); checks the marker. */
export async function readTipLayout(
  reader: ObjectReader,
  commit: string,
  ref: string,
): Promise<TipLayout> {
  const [marker, root] = await Promise.all([
    reader.read(`${commit}:${MARKER_PATH}`),
    reader.readObject(`${commit}^{tree}`),
  ]);
  const format = checkMarker(marker, ref);
  const rootEntries = root ? ((await reader.readTree(root.oid)) ?? []) : [];
  const segmentsTree = subtree(rootEntries, SEGMENTS_DIR);
  const segments: SegmentRef[] = [];
  if (format === 2 && segmentsTree !== undefined) {
    for (const entry of (await reader.readTree(segmentsTree)) ?? []) {
      const parsed = entry.type === 'tree' ? parseSegmentName(entry.name) : undefined;
      if (parsed) segments.push({ ...parsed, name: entry.name, tree: entry.oid });
    }
    segments.sort((a, b) => a.number - b.number);
  }
  return {
    commit,
    ref,
    format,
    root: root?.oid ?? '',
    rootEntries,
    runsTree: subtree(rootEntries, RUNS_DIR),
    eventsTree: format === 2 ? subtree(rootEntries, EVENTS_DIR) : undefined,
    segments,
  };
}

/** Segments whose run-id range could hold a run id starting with `prefix`. */
export function segmentsForIdPrefix(layout: TipLayout, prefix: string): SegmentRef[] {
  const low = prefix.padEnd(26, '0');
  const high = prefix.padEnd(26, 'Z');
  return layout.segments.filter(
    (s) =>
      s.minRunId !== undefined &&
      s.maxRunId !== undefined &&
      s.minRunId <= high &&
      s.maxRunId >= low,
  );
}
