/**
 * `ghml migrate`: turns a format-1 tracking branch into format 2 in ONE commit on top of the
 * remote tip (docs/storage-format.md, "Migration"). Every run of the format-1 tree goes into
 * sealed segments of 1,000 runs in id order, the events format 1 kept inside run folders go
 * into their segment's events.json, and the tip tree keeps only the marker and the segments
 * (plus, in the open bucket, any run folder whose record cannot be read, so nothing is lost).
 * The commit is pushed as a fast-forward of the tip it was built on, with a lease: if anyone
 * pushed meanwhile, nothing changes and the migration starts again from the new tip.
 */
import type { Git } from '../../git/git.js';
import { TREE_MODE, type TreeEntry } from '../../git/tree-entry.js';
import { setTreeEntry } from '../../git/tree-edit.js';
import { stripTerminalEscapes } from '../../text/plain-text.js';
import { PushRejectedError } from '../tracking-errors.js';
import { entryMessage } from './entry-commit.js';
import { readFolderEvents, readRunRecords, walkRunFolders } from './open-bucket.js';
import { SEGMENTS_DIR } from './run-path.js';
import type { DataWarning } from './segment-files.js';
import { SEAL_AT, writeSegment } from './segment-sealer.js';
import type { SealedEvent, SummarizedRun } from './summary-codec.js';
import {
  FALLBACK_IDENTITY,
  markerEntry,
  withTipBuilder,
  type TipBuilderContext,
} from './tip-builder.js';
import { readTipLayout } from './tip-layout.js';
import { fetchTrackingBranch } from './tracking-fetch.js';
import { rebuildLocal } from './local-queue.js';
import { readRefState, type TrackingRefs } from './tracking-refs.js';

export interface MigrationResult {
  /** False when the branch already was format 2 (or does not exist). */
  migrated: boolean;
  runs: number;
  events: number;
  segments: number;
  /** Run folders left in the open bucket because their record could not be read. */
  leftOpen: number;
  /** The new tip. */
  tip: string | undefined;
  /** Whether the migration commit was pushed (false without a remote branch). */
  pushed: boolean;
  /** Attempts made (more than one when other writers pushed meanwhile). */
  attempts: number;
}

const MAX_ATTEMPTS = 20;

/** Builds the format-2 commit for the format-1 tip `base`; undefined when `base` is format 2. */
async function buildMigration(
  context: TipBuilderContext,
  base: string,
  ref: string,
): Promise<Omit<MigrationResult, 'pushed' | 'attempts'> | undefined> {
  const { git, reader, writer, warn } = context;
  const layout = await readTipLayout(reader, base, ref);
  if (layout.format === 2) return undefined;
  const folders = await walkRunFolders(git, layout.runsTree);
  const read = await readRunRecords(git, reader, folders, warn, {
    ...(layout.runsTree !== undefined ? { runsTree: layout.runsTree } : {}),
    openReader: () => git.openObjectReader(),
  });
  const runs: SummarizedRun[] = read
    .map(({ location, record }) => ({
      tree: location.tree,
      record: { ...record, format: 2 as const },
    }))
    .sort((a, b) => (a.record.id < b.record.id ? -1 : 1));
  const eventsByRun = new Map<string, SealedEvent[]>();
  let eventCount = 0;
  for (const { location } of read) {
    const events = await readFolderEvents(git, reader, location, warn);
    if (events.length > 0) eventsByRun.set(location.id, events);
    eventCount += events.length;
  }

  const segmentEntries: TreeEntry[] = [];
  for (let start = 0, number = 1; start < runs.length; start += SEAL_AT, number++) {
    const slice = runs.slice(start, start + SEAL_AT);
    const events = slice.flatMap((r) => eventsByRun.get(r.record.id) ?? []);
    segmentEntries.push(await writeSegment(git, writer, number, slice, events));
  }
  const root: TreeEntry[] = [await markerEntry(git)];
  if (segmentEntries.length > 0) {
    root.push({
      mode: TREE_MODE,
      type: 'tree',
      oid: await writer.write(segmentEntries),
      name: SEGMENTS_DIR,
    });
  }
  let tree = await writer.write(root);
  const readable = new Set(read.map((r) => r.location.path));
  let leftOpen = 0;
  for (const folder of folders) {
    if (readable.has(folder.path)) continue;
    const placed = await setTreeEntry(reader, writer, tree, folder.path, {
      mode: TREE_MODE,
      type: 'tree',
      oid: folder.tree,
    });
    if ('tree' in placed) {
      tree = placed.tree;
      leftOpen++;
    }
  }
  const tip = await git.commitTree({
    tree,
    parents: [base],
    message: entryMessage(
      `ghml: migrate to format 2 (${runs.length} runs in ${segmentEntries.length} segments)`,
      { open: leftOpen },
    ),
    fallbackIdentity: FALLBACK_IDENTITY,
  });
  return {
    migrated: true,
    runs: runs.length,
    events: eventCount,
    segments: segmentEntries.length,
    leftOpen,
    tip,
  };
}

/** Migrates the branch `refs` names (on its remote when it has one); see the file comment. */
export async function migrateBranch(
  git: Git,
  refs: TrackingRefs,
  options: { warn?: DataWarning; hasRemote: boolean },
): Promise<MigrationResult> {
  const warn = options.warn ?? (() => undefined);
  const withContext = <T>(work: (context: TipBuilderContext) => Promise<T>): Promise<T> =>
    withTipBuilder(git, { branch: refs.branch, warn }, work);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const onRemote = options.hasRemote && (await fetchTrackingBranch(git, refs));
    const state = await readRefState(git, refs);
    const base = onRemote ? state.remoteTracking : state.local;
    const nothing = {
      migrated: false,
      runs: 0,
      events: 0,
      segments: 0,
      leftOpen: 0,
      pushed: false,
      attempts: attempt,
    };
    if (base === undefined) return { ...nothing, tip: undefined };
    const built = await withContext((c) =>
      buildMigration(c, base, onRemote ? refs.remoteTracking : refs.local),
    );
    if (built === undefined) return { ...nothing, tip: base };
    if (!onRemote) {
      if (
        await git.tryUpdateRef(refs.local, built.tip as string, base, 'ghml: migrate to format 2')
      ) {
        return { ...built, pushed: false, attempts: attempt };
      }
      continue;
    }
    const result = await git.tryExec([
      'push',
      '--porcelain',
      '--no-follow-tags',
      `--force-with-lease=${refs.local}:${base}`,
      refs.remote,
      `${built.tip as string}:${refs.local}`,
    ]);
    if (result.exitCode === 0) {
      await git.updateRef(refs.remoteTracking, built.tip as string, 'ghml: migrated');
      // Runs recorded here but not pushed yet move onto the migrated branch.
      for (let i = 0; i < 10 && !(await withContext((c) => rebuildLocal(c, refs))); i++);
      return { ...built, pushed: true, attempts: attempt };
    }
    // Someone pushed since the fetch: the lease refused the migration; start again.
    if (!/stale info|non-fast-forward|fetch first/.test(result.stdout)) {
      throw new PushRejectedError(
        refs.remote,
        refs.branch,
        stripTerminalEscapes(result.stderr.trim()) || 'git push failed',
      );
    }
  }
  throw new PushRejectedError(
    refs.remote,
    refs.branch,
    `other writers kept pushing during ${MAX_ATTEMPTS} migration attempts`,
  );
}
