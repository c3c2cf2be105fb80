/**
 * Builds new commits on a tracking-branch tip: each entry (a run folder or an event file) is
 * grafted at its path, one commit per entry, and the open bucket is sealed first when it is
 * full. Only the trees on the path from the root to each entry are read and rewritten, so the
 * cost does not grow with history. No ref is touched: callers move refs by compare-and-swap.
 *
 * Used for every write: a new run or event (writer), replaying unpushed entries on a new
 * remote tip (push protocol), and folding the inbox into the branch.
 */
import type { Git } from '../../git/git.js';
import type { ObjectReader } from '../../git/object-reader.js';
import { TREE_MODE, type TreeEntry } from '../../git/tree-entry.js';
import { setTreeEntry } from '../../git/tree-edit.js';
import type { TreeWriter } from '../../git/tree-writer.js';
import { fallbackIdentity } from '../../git/fallback-identity.js';
import type { GitIdentity } from '../../git/git.js';
import { MARKER_PATH, checkWritableMarker, formatMarker } from './branch-format.js';
import { commitMessage, entryMessage, parseEntryTrailers } from './entry-commit.js';
import { walkRunFolders } from './open-bucket.js';
import type { DataWarning } from './segment-files.js';
import { SEAL_AT, sealOpenBucket } from './segment-sealer.js';
import { readTipLayout, segmentsForIdPrefix, type TipLayout } from './tip-layout.js';
import { loadSegmentRuns } from './segment-files.js';

/** Commits made without a configured user.name/email (fresh CI runners) use this identity. */
export const FALLBACK_IDENTITY: GitIdentity = fallbackIdentity({});

/** One thing to put on the branch. */
export interface BranchEntry {
  kind: 'run' | 'event';
  /** Its path on the branch (run folder, or event file). */
  path: string;
  /** The run folder's tree oid, or the event blob's oid. */
  object: string;
  /** Summary line of its commit. */
  summary: string;
  /** The run id, or the event id. */
  id: string;
}

/** What to do when something already sits at an entry's path. */
export type OnExisting = 'skip' | 'throw';

export interface BuildResult {
  /** The new tip (the base itself when nothing was added). */
  commit: string;
  added: BranchEntry[];
  /** Entries whose path was already taken (with onExisting 'skip'). */
  skipped: BranchEntry[];
  /** Segments sealed on the way. */
  sealed: string[];
}

/** Thrown (with onExisting 'throw') when an entry is already on the branch. */
export class EntryExistsError extends Error {
  constructor(
    readonly entry: BranchEntry,
    /** Where it is: its path, or a few words ('segment …', 'the inbox'). */
    readonly where: string,
  ) {
    super(`${entry.id} already exists in ${where}`);
    this.name = 'EntryExistsError';
  }
}

export interface BuildOptions {
  /**
   * Also refuse a run whose id exists anywhere: in the open bucket at another path, in a
   * segment covering it, or among `inboxIds` (a fork must not shadow a registered run).
   */
  uniqueRunIds?: { inboxIds: ReadonlySet<string> };
}

/** Where run `id` already is on the tip `layout` (besides its own path), if anywhere. */
async function findRunId(
  context: TipBuilderContext,
  layout: TipLayout,
  id: string,
  openIds: () => Promise<Set<string>>,
): Promise<string | undefined> {
  if ((await openIds()).has(id)) return `the open bucket (${layout.ref})`;
  for (const segment of segmentsForIdPrefix(layout, id)) {
    const runs = await loadSegmentRuns(context.git, context.reader, [segment], context.warn);
    if (runs.some((r) => r.record.id === id)) return `segment ${segment.name} (${layout.ref})`;
  }
  return undefined;
}

export interface TipBuilderContext {
  git: Git;
  reader: ObjectReader;
  writer: TreeWriter;
  /** The branch name, for messages. */
  branch: string;
  warn: DataWarning;
  /** Seal the open bucket at this many entries instead of SEAL_AT (tests and benchmarks). */
  sealAt?: number | undefined;
}

/**
 * Runs `work` with a builder context: one `cat-file --batch` reader and one `mktree --batch`
 * writer, both closed afterwards whatever happens.
 */
export async function withTipBuilder<T>(
  git: Git,
  options: { branch: string; warn: DataWarning; sealAt?: number | undefined },
  work: (context: TipBuilderContext) => Promise<T>,
): Promise<T> {
  const reader = git.openObjectReader();
  const writer = git.openTreeWriter();
  try {
    return await work({ git, reader, writer, ...options });
  } finally {
    await Promise.all([reader.close(), writer.close()]);
  }
}

/** Open entries of `commit`: from its trailer, else counted (one tree walk). */
async function openEntries(
  context: TipBuilderContext,
  commit: string,
  runsTree: string | undefined,
  eventsTree: string | undefined,
): Promise<number> {
  const raw = await context.reader.readObject(commit);
  const said =
    raw?.type === 'commit' ? parseEntryTrailers(commitMessage(raw.data)).open : undefined;
  if (said !== undefined) return said;
  let count = (await walkRunFolders(context.git, runsTree)).length;
  if (eventsTree !== undefined) {
    const listing = await context.git.exec(['ls-tree', '-r', '-z', '--name-only', eventsTree]);
    count += listing.split('\0').filter((n) => n.length > 0).length;
  }
  return count;
}

async function commit(
  context: TipBuilderContext,
  tree: string,
  parent: string | undefined,
  message: string,
): Promise<string> {
  return context.git.commitTree({
    tree,
    parents: parent === undefined ? [] : [parent],
    message,
    fallbackIdentity: FALLBACK_IDENTITY,
  });
}

/** The marker entry of a new branch. */
export async function markerEntry(git: Git): Promise<TreeEntry> {
  const [marker] = await git.writeBlobs([formatMarker()]);
  return { mode: '100644', type: 'blob', oid: marker as string, name: MARKER_PATH };
}

/** Starts a new, empty format-2 branch: one orphan commit holding the marker. */
export async function startBranch(context: TipBuilderContext): Promise<string> {
  const tree = await context.writer.write([await markerEntry(context.git)]);
  return commit(
    context,
    tree,
    undefined,
    entryMessage('ghml: start the tracking branch (format 2)', { open: 0 }),
  );
}

/**
 * Grafts `entries` onto `base` (undefined = a new branch), one commit each, sealing the open
 * bucket first whenever it is full. Refuses a base that is not format 2.
 */
export async function buildOnTip(
  context: TipBuilderContext,
  base: { commit: string; ref: string } | undefined,
  entries: readonly BranchEntry[],
  onExisting: OnExisting,
  options: BuildOptions = {},
): Promise<BuildResult> {
  const { reader, writer } = context;
  const ref = base?.ref ?? context.branch;
  // A new branch: the first entry's commit is the root commit, holding the marker too.
  let tip: string | undefined = base?.commit;
  let tree: string | undefined;
  /** On a new branch the marker goes into the first root tree written (no dangling tree). */
  let rootExtras: TreeEntry[] = [];
  let open = 0;
  let layout: TipLayout | undefined;
  if (tip !== undefined) {
    checkWritableMarker(await reader.read(`${tip}:${MARKER_PATH}`), ref, context.branch);
    layout = await readTipLayout(reader, tip, ref);
    open = await openEntries(context, tip, layout.runsTree, layout.eventsTree);
    tree = layout.root;
  } else {
    rootExtras = [await markerEntry(context.git)];
  }
  const result: BuildResult = { commit: tip ?? '', added: [], skipped: [], sealed: [] };
  const unique = options.uniqueRunIds;
  let openIdSet: Promise<Set<string>> | undefined;
  const openIds = (): Promise<Set<string>> =>
    (openIdSet ??= walkRunFolders(context.git, layout?.runsTree).then(
      (runs) => new Set(runs.map((r) => r.id)),
    ));
  /** Run ids grafted by this build: two entries may not bring the same id either. */
  const grafted = new Map<string, string>();
  for (const entry of entries) {
    if (unique && entry.kind === 'run') {
      const earlier = grafted.get(entry.id);
      const where =
        earlier !== undefined
          ? `'${earlier}'`
          : unique.inboxIds.has(entry.id)
            ? 'the inbox'
            : layout && (await findRunId(context, layout, entry.id, openIds));
      if (where) {
        if (onExisting === 'throw') throw new EntryExistsError(entry, where);
        result.skipped.push(entry);
        continue;
      }
    }
    if (open >= (context.sealAt ?? SEAL_AT) && tip !== undefined) {
      // Re-read: entries grafted since the last read are in the bucket being sealed.
      const current = await readTipLayout(reader, tip, ref);
      const seal = await sealOpenBucket(context.git, reader, writer, current, context.warn);
      if (seal) {
        tip = await commit(
          context,
          seal.tree,
          tip,
          entryMessage(
            `ghml: seal segment ${seal.segment} (${seal.runs} runs, ${seal.events} events)`,
            {
              seal: seal.segment,
              open: seal.leftOpen,
            },
          ),
        );
        result.sealed.push(seal.segment);
        open = seal.leftOpen;
        tree = seal.tree;
      }
    }
    const placed = await setTreeEntry(
      reader,
      writer,
      tree,
      entry.path,
      {
        mode: entry.kind === 'run' ? TREE_MODE : '100644',
        type: entry.kind === 'run' ? 'tree' : 'blob',
        oid: entry.object,
      },
      { rootExtras },
    );
    if ('existing' in placed) {
      if (onExisting === 'throw') throw new EntryExistsError(entry, `'${entry.path}'`);
      result.skipped.push(entry);
      continue;
    }
    tree = placed.tree;
    rootExtras = [];
    open += 1;
    const trailers =
      entry.kind === 'run' ? { runPaths: [entry.path], open } : { eventPaths: [entry.path], open };
    tip = await commit(context, tree, tip, entryMessage(entry.summary, trailers));
    result.added.push(entry);
    if (entry.kind === 'run') grafted.set(entry.id, entry.path);
  }
  if (tip === undefined) {
    // Nothing was added to a new branch: it starts empty, holding the marker.
    tree ??= await writer.write(rootExtras);
    tip = await commit(
      context,
      tree,
      undefined,
      entryMessage('ghml: start the tracking branch (format 2)', { open: 0 }),
    );
  }
  result.commit = tip;
  return result;
}
