/**
 * The local queue: entries (runs and events) on the local tracking branch that the remote has
 * neither on its branch nor in its inbox, as last fetched. They are found from the commits
 * the remote-tracking ref does not reach (their trailers name what each added), then checked
 * against the remote tip (its open bucket, segments covering the id) and the inbox mirror:
 * in a shallow clone, commits below a depth-1 tip can look unpushed, and an entry folded or
 * sealed elsewhere must not be sent twice.
 *
 * `rebuildLocal` replays the queue on the remote-tracking tip, so the local branch always
 * holds the remote's runs plus this machine's unsent ones.
 */
import type { Git } from '../../git/git.js';
import type { ObjectReader } from '../../git/object-reader.js';
import { parseEntryTrailers } from './entry-commit.js';
import type { InboxEntry } from './inbox-entries.js';
import { listInboxEntries } from './inbox-entries.js';
import { parseEventPath, parseRunPath } from './run-path.js';
import { loadSegmentEvents, loadSegmentRuns, type DataWarning } from './segment-files.js';
import { buildOnTip, type BranchEntry, type TipBuilderContext } from './tip-builder.js';
import { readTipLayout, segmentsForIdPrefix, type TipLayout } from './tip-layout.js';
import { readRefState, type RefState, type TrackingRefs } from './tracking-refs.js';

/** An unsent entry and the local commit that added it. */
export interface QueuedEntry extends BranchEntry {
  /** The local commit that added it (its message is reused when it moves). */
  commit: string;
}

/** Commits on the local branch the remote-tracking ref does not reach, oldest first. */
async function unreachedCommits(
  git: Git,
  state: RefState,
): Promise<Array<{ oid: string; message: string }>> {
  if (state.local === undefined) return [];
  const range = [state.local];
  if (state.remoteTracking !== undefined) range.push(`^${state.remoteTracking}`);
  return git.commitMessages(range);
}

/** Tells whether an entry is already on the tip `layout` or in `inbox`. */
export function presenceChecker(
  git: Git,
  reader: ObjectReader,
  layout: TipLayout | undefined,
  inbox: readonly InboxEntry[],
  warn: DataWarning,
): (entry: Pick<BranchEntry, 'kind' | 'path' | 'id'>) => Promise<boolean> {
  const inboxIds = new Set(inbox.map((e) => e.id));
  let sealedEvents: Promise<Set<string>> | undefined;
  return async (entry) => {
    if (inboxIds.has(entry.id)) return true;
    if (layout === undefined) return false;
    if ((await reader.readObject(`${layout.root}:${entry.path}`)) !== undefined) return true;
    if (entry.kind === 'run') {
      const segments = segmentsForIdPrefix(layout, entry.id);
      if (segments.length === 0) return false;
      const runs = await loadSegmentRuns(git, reader, segments, warn);
      return runs.some((r) => r.record.id === entry.id);
    }
    sealedEvents ??= loadSegmentEvents(git, reader, layout.segments, warn).then(
      (events) => new Set(events.map((e) => e.id)),
    );
    return (await sealedEvents).has(entry.id);
  };
}

/** The entries of the local queue, oldest first. */
export async function listQueue(
  git: Git,
  reader: ObjectReader,
  refs: TrackingRefs,
  state: RefState,
  warn: DataWarning,
): Promise<QueuedEntry[]> {
  const commits = await unreachedCommits(git, state);
  if (commits.length === 0) return [];
  const layout =
    state.remoteTracking === undefined
      ? undefined
      : await readTipLayout(reader, state.remoteTracking, refs.remoteTracking);
  const inbox = await listInboxEntries(git, reader, refs, warn);
  const present = presenceChecker(git, reader, layout, inbox, warn);
  const queue: QueuedEntry[] = [];
  const seen = new Set<string>();
  for (const { oid, message } of commits) {
    const trailers = parseEntryTrailers(message);
    const summary = message.split('\n')[0] ?? '';
    const candidates: Array<Omit<QueuedEntry, 'object'>> = [];
    for (const path of trailers.runPaths) {
      const run = parseRunPath(path);
      if (run) candidates.push({ kind: 'run', path, id: run.runId, summary, commit: oid });
    }
    for (const path of trailers.eventPaths) {
      const event = parseEventPath(path);
      if (event) candidates.push({ kind: 'event', path, id: event.eventId, summary, commit: oid });
    }
    for (const candidate of candidates) {
      if (seen.has(candidate.id) || (await present(candidate))) continue;
      const object = await reader.readObject(`${oid}:${candidate.path}`);
      const type = candidate.kind === 'run' ? 'tree' : 'blob';
      if (object?.type !== type) continue;
      seen.add(candidate.id);
      queue.push({ ...candidate, ...movedPath(candidate), object: object.oid });
    }
  }
  return queue;
}

/** Format-1 events (inside the run folder) move to format 2's `events/` when replayed. */
function movedPath(entry: Pick<BranchEntry, 'kind' | 'path'>): { path: string } {
  if (entry.kind !== 'event') return { path: entry.path };
  const event = parseEventPath(entry.path);
  return { path: event ? `events/${event.runId}/${event.eventId}.json` : entry.path };
}

/**
 * Replays the local queue (minus `exclude`) on the remote-tracking tip and moves the local
 * branch there (CAS). Returns false when the local branch moved meanwhile (the caller retries).
 */
export async function rebuildLocal(
  context: TipBuilderContext,
  refs: TrackingRefs,
  exclude: ReadonlySet<string> = new Set(),
): Promise<boolean> {
  const { git } = context;
  const state = await readRefState(git, refs);
  const { local, remoteTracking } = state;
  if (local === undefined) return true;
  const queue = await listQueue(git, context.reader, refs, state, context.warn);
  const kept = queue.filter((e) => !exclude.has(e.id));
  if (remoteTracking === undefined) {
    // The remote has no branch yet: keep the local history unless something leaves the queue.
    if (
      kept.length === queue.length &&
      (await unreachedCommits(git, state)).length === queue.length
    )
      return true;
  } else if (exclude.size === 0) {
    if (local === remoteTracking || (await git.isAncestor(remoteTracking, local))) return true;
  }
  const base =
    remoteTracking === undefined ? undefined : { commit: remoteTracking, ref: refs.remoteTracking };
  const built = await buildOnTip(context, base, kept, 'skip');
  if (built.commit === local) return true;
  return git.tryUpdateRef(
    refs.local,
    built.commit,
    local ?? null,
    'ghml: rebuild on the remote tip',
  );
}
