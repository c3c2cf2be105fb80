/**
 * The inbox (docs/storage-format.md, "Pushing"): runs and events delivered to
 * `refs/ghml/inbox/<branch>/<entry-id>` while the branch was busy, as mirrored locally under
 * `refs/ghml/remotes/<remote>/inbox/<branch>/`. Each ref points at a root commit holding one
 * entry at its branch path, named by the commit's trailer. Anything else found there is
 * ignored (and reported): the inbox is written by other machines.
 */
import type { Git } from '../../git/git.js';
import type { ObjectReader } from '../../git/object-reader.js';
import { commitMessage, parseEntryTrailers } from './entry-commit.js';
import { isRunId, parseEventPath, parseRunPath } from './run-path.js';
import type { DataWarning } from './segment-files.js';
import type { TrackingRefs } from './tracking-refs.js';

/** One delivered entry. */
export interface InboxEntry {
  /** The ref it was read from (the local mirror, or the remote's own name when listing a push). */
  ref: string;
  /** Oid of the entry commit. */
  commit: string;
  /** The run id (for a run) or the event id (for an event). */
  id: string;
  kind: 'run' | 'event';
  /** Path of the entry in the commit's tree (and on the branch once folded). */
  path: string;
  /** Oid of the run folder's tree, or of the event blob. */
  object: string;
  /** For an event: the run it belongs to. */
  runId: string;
  /** The first line of the entry commit's message. */
  summary: string;
}

/** The entries under `prefix` (default: the local mirror of the remote's inbox). */
export async function listInboxEntries(
  git: Git,
  reader: ObjectReader,
  refs: TrackingRefs,
  warn: DataWarning,
  prefix = refs.inboxMirrorPrefix,
): Promise<InboxEntry[]> {
  const rows = await git.forEachRef(prefix, ['refname', 'objectname']);
  return readInboxEntries(
    reader,
    rows.map((row) => ({ ref: row['refname'] ?? '', commit: row['objectname'] ?? '' })),
    prefix,
    warn,
  );
}

/** Reads the entries the refs `rows` (under `prefix`) point at. */
export async function readInboxEntries(
  reader: ObjectReader,
  rows: ReadonlyArray<{ ref: string; commit: string }>,
  prefix: string,
  warn: DataWarning,
): Promise<InboxEntry[]> {
  const found = await Promise.all(
    rows.map(async ({ ref, commit }): Promise<InboxEntry | undefined> => {
      const id = ref.slice(prefix.length);
      const raw = isRunId(id) ? await reader.readObject(commit) : undefined;
      if (raw?.type !== 'commit') {
        warn(`ignored ${ref}: not a ghml inbox entry`);
        return undefined;
      }
      const message = commitMessage(raw.data);
      const trailers = parseEntryTrailers(message);
      const [runPath] = trailers.runPaths;
      const [eventPath] = trailers.eventPaths;
      const single = trailers.runPaths.length + trailers.eventPaths.length === 1;
      const run = runPath === undefined ? undefined : parseRunPath(runPath);
      const event = eventPath === undefined ? undefined : parseEventPath(eventPath);
      const path = runPath ?? eventPath;
      const matches = run?.runId === id || event?.eventId === id;
      const object =
        single && matches && path ? await reader.readObject(`${commit}:${path}`) : undefined;
      const kind = run ? 'run' : 'event';
      if (object === undefined || object.type !== (kind === 'run' ? 'tree' : 'blob') || !path) {
        warn(`ignored ${ref}: not a ghml inbox entry`);
        return undefined;
      }
      return {
        ref,
        commit,
        id,
        kind,
        path,
        object: object.oid,
        runId: run?.runId ?? event?.runId ?? id,
        summary: message.split('\n')[0] ?? '',
      };
    }),
  );
  return found
    .filter((e): e is InboxEntry => e !== undefined)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
