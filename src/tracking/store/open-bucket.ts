/**
 * The runs and events of a tip that are not sealed: the run folders under `runs/` (every run
 * of a format-1 branch) and the event files under `events/` (format 2). Folders are found with
 * ONE `ls-tree -r -d` (trees only, so it works in a blobless clone and does not grow with
 * artifacts); records are read through the caller's cat-file process after one batch fetch of
 * the missing blobs. A record that cannot be read is skipped and reported, never fatal.
 */
import type { Git } from '../../git/git.js';
import type { ObjectReader } from '../../git/object-reader.js';
import { parseLsTree } from '../../git/tree-entry.js';
import type { RunRecord } from '../run-record.js';
import { parseRunRecord } from '../run-record-json.js';
import { prefetchBlobs, readBlobs } from './blob-batch.js';
import { prefetchMissingBlobs } from './branch-prefetch.js';
import { EVENTS_DIR, RUNS_DIR, isCommitSha, isExperimentName, isRunId } from './run-path.js';
import { checkEvent, type SealedEvent } from './summary-codec.js';
import type { DataWarning } from './segment-files.js';

/** Where a run is: its identity, its folder's path on the branch, and its folder's tree. */
export interface RunLocation {
  id: string;
  experiment: string;
  /** Full sha of the commit the run trained on. */
  commit: string;
  /** The run folder's path (in the open bucket, or where it was before it was sealed). */
  path: string;
  /**
   * Oid of the run folder's tree (reads of its files go through it). '' for a sealed run
   * listed in bulk (listRuns, locateRuns): store methods resolve it themselves, and
   * TrackingStore.resolveTrees fills it in for callers that read the tree with git directly.
   */
  tree: string;
}

/** From this many runs on, records are read through two processes at once. */
const PARALLEL_THRESHOLD = 2000;

/** The canonical folder path of a run. */
export function runFolderPath(experiment: string, commit: string, id: string): string {
  return `${RUNS_DIR}/${experiment}/${commit.slice(0, 2)}/${commit.slice(2)}/${id}`;
}

/**
 * Every run folder under the tree `runsTree` (the tip's `runs/`), optionally of one
 * experiment, from one `ls-tree -r -d -z`. The output is scanned in place: at 100,000 runs
 * (format 1) it is 15 MB, and only the run folders are kept.
 */
export async function walkRunFolders(
  git: Git,
  runsTree: string | undefined,
  experiment?: string,
): Promise<RunLocation[]> {
  if (runsTree === undefined) return [];
  const scope = experiment === undefined ? runsTree : `${runsTree}:${experiment}`;
  const result = await git.tryExec(['ls-tree', '-r', '-d', '-z', '--end-of-options', scope]);
  if (result.exitCode !== 0) return [];
  return runFolders(result.stdout, experiment);
}

function runFolders(output: string, experiment: string | undefined): RunLocation[] {
  const runs: RunLocation[] = [];
  const validExperiments = new Map<string, boolean>();
  let start = 0;
  while (start < output.length) {
    let end = output.indexOf('\0', start);
    if (end < 0) end = output.length;
    const tab = output.indexOf('\t', start);
    const idSlash = output.lastIndexOf('/', end);
    // Intermediate folders (<exp>, <exp>/<xx>, <exp>/<xx>/<rest>) are skipped cheaply.
    if (tab > start && tab < end && idSlash > tab && end - idSlash - 1 === 26) {
      const name = output.slice(tab + 1, end);
      const oid = output.slice(output.lastIndexOf(' ', tab) + 1, tab);
      const parts = (experiment === undefined ? name : `${experiment}/${name}`).split('/');
      if (parts.length === 4) {
        const [exp = '', head = '', tail = '', id = ''] = parts;
        const commit = head + tail;
        let valid = validExperiments.get(exp);
        if (valid === undefined) {
          valid = isExperimentName(exp);
          validExperiments.set(exp, valid);
        }
        if (valid && head.length === 2 && isRunId(id) && isCommitSha(commit)) {
          runs.push({
            id,
            experiment: exp,
            commit,
            path: runFolderPath(exp, commit, id),
            tree: oid,
          });
        }
      }
    }
    start = end + 1;
  }
  return runs;
}

/** Run folders of `experiment` at `commit` in the open bucket: one tree read. */
export async function openRunsAt(
  reader: ObjectReader,
  runsTree: string | undefined,
  experiment: string,
  commit: string,
): Promise<RunLocation[]> {
  if (runsTree === undefined) return [];
  const dir = `${experiment}/${commit.slice(0, 2)}/${commit.slice(2)}`;
  const entries = (await reader.readTree(`${runsTree}:${dir}`)) ?? [];
  return entries
    .filter((e) => e.type === 'tree' && isRunId(e.name))
    .map((e) => ({
      id: e.name,
      experiment,
      commit,
      path: runFolderPath(experiment, commit, e.name),
      tree: e.oid,
    }));
}

function matchesLocation(record: RunRecord, loc: RunLocation): boolean {
  return (
    record.id === loc.id &&
    record.experiment === loc.experiment &&
    record.source.commit === loc.commit
  );
}

/** A location with its record. */
export interface LocatedRecord {
  location: RunLocation;
  record: RunRecord;
}

/** A record a read skipped: its file and why. */
interface Skipped {
  where: string;
  why: string;
}

async function readWith(
  reader: ObjectReader,
  locations: readonly RunLocation[],
  skipped: Skipped[],
): Promise<Array<LocatedRecord | undefined>> {
  return Promise.all(
    locations.map(async (location) => {
      const where = `${location.path}/run.json`;
      try {
        const data = await reader.read(`${location.tree}:run.json`);
        if (data === undefined) {
          skipped.push({ where, why: 'the file is missing' });
          return undefined;
        }
        const record = parseRunRecord(data.toString('utf8'), where);
        if (!matchesLocation(record, location)) {
          skipped.push({ where, why: 'its id, experiment or commit does not match its path' });
          return undefined;
        }
        return { location, record };
      } catch (error) {
        skipped.push({ where, why: (error as Error).message });
        return undefined;
      }
    }),
  );
}

/** How many skipped records one warning names; the rest are counted. */
export const NAMED_SKIPPED = 5;

/**
 * One warning for every record a read skipped: how many, the first few files with their
 * reasons, and how many more.
 */
export function skippedRecordsWarning(skipped: readonly Skipped[]): string {
  const sorted = [...skipped].sort((a, b) => (a.where < b.where ? -1 : a.where > b.where ? 1 : 0));
  const named = sorted.slice(0, NAMED_SKIPPED).map((s) => `${s.where} (${s.why})`);
  const more = sorted.length - named.length;
  const count =
    sorted.length === 1 ? '1 unreadable run record' : `${sorted.length} unreadable run records`;
  return `skipped ${count}: ${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

/**
 * Reads the run.json of each location (fetching the missing ones in one request first).
 * Unreadable records are left out, with ONE warning that counts them and names the first few.
 */
export async function readRunRecords(
  git: Git,
  reader: ObjectReader,
  locations: readonly RunLocation[],
  warn: DataWarning,
  options: { runsTree?: string; openReader?: () => ObjectReader } = {},
): Promise<LocatedRecord[]> {
  if (locations.length === 0) return [];
  await prefetchRecords(git, reader, locations, options.runsTree);
  let read: Array<LocatedRecord | undefined>;
  const skipped: Skipped[] = [];
  if (locations.length < PARALLEL_THRESHOLD || options.openReader === undefined) {
    read = await readWith(reader, locations, skipped);
  } else {
    // git's object lookup, not JSON parsing, is the bottleneck for big format-1 listings.
    const half = Math.ceil(locations.length / 2);
    const other = options.openReader();
    try {
      const [first, second] = await Promise.all([
        readWith(reader, locations.slice(0, half), skipped),
        readWith(other, locations.slice(half), skipped),
      ]);
      read = [...first, ...second];
    } finally {
      await other.close();
    }
  }
  if (skipped.length > 0) warn(skippedRecordsWarning(skipped));
  return read.filter((r): r is LocatedRecord => r !== undefined);
}

async function prefetchRecords(
  git: Git,
  reader: ObjectReader,
  locations: readonly RunLocation[],
  runsTree: string | undefined,
): Promise<void> {
  if ((await git.promisorRemote()) === undefined) return;
  if (runsTree !== undefined && locations.length > 5000) {
    // A whole format-1 bucket: one walk of the subtree beats 100,000 tree reads.
    await prefetchMissingBlobs(git, runsTree, (path) => path.endsWith('/run.json'));
    return;
  }
  // Trees are always local in a blobless clone, so this reads without fetching.
  const listings = await Promise.all(locations.map((l) => reader.readTree(l.tree)));
  const wanted: string[] = [];
  for (const entries of listings) {
    for (const entry of entries ?? [])
      if (entry.name === 'run.json' && entry.type === 'blob') wanted.push(entry.oid);
  }
  await prefetchBlobs(
    git,
    locations.map((l) => l.tree),
    wanted,
  );
}

/** An open event file: `events/<run-id>/<event-id>.json` in format 2. */
interface EventFile {
  runId: string;
  id: string;
  oid: string;
}

/** Every open event of a format-2 tip (`events/`), read and checked; bad ones are skipped. */
export async function readOpenEvents(
  git: Git,
  reader: ObjectReader,
  eventsTree: string | undefined,
  warn: DataWarning,
): Promise<SealedEvent[]> {
  if (eventsTree === undefined) return [];
  const listing = await git.exec(['ls-tree', '-r', '-z', '--end-of-options', eventsTree]);
  const files: EventFile[] = [];
  for (const entry of parseLsTree(listing)) {
    const [runId = '', name = '', extra] = entry.name.split('/');
    const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
    if (entry.type === 'blob' && extra === undefined && isRunId(runId) && isRunId(id))
      files.push({ runId, id, oid: entry.oid });
  }
  return readEventFiles(
    git,
    reader,
    [eventsTree],
    files,
    (f) => `${EVENTS_DIR}/${f.runId}/${f.id}.json`,
    warn,
  );
}

/** The events a format-1 run folder holds under `events/`. */
export async function readFolderEvents(
  git: Git,
  reader: ObjectReader,
  run: RunLocation,
  warn: DataWarning,
): Promise<SealedEvent[]> {
  const entries = (await reader.readTree(`${run.tree}:events`)) ?? [];
  const files: EventFile[] = [];
  for (const entry of entries) {
    const id = entry.name.endsWith('.json') ? entry.name.slice(0, -'.json'.length) : '';
    if (entry.type === 'blob' && isRunId(id)) files.push({ runId: run.id, id, oid: entry.oid });
  }
  return readEventFiles(
    git,
    reader,
    [run.tree],
    files,
    (f) => `${run.path}/events/${f.id}.json`,
    warn,
  );
}

async function readEventFiles(
  git: Git,
  reader: ObjectReader,
  roots: readonly string[],
  files: readonly EventFile[],
  pathOf: (file: EventFile) => string,
  warn: DataWarning,
): Promise<SealedEvent[]> {
  if (files.length === 0) return [];
  await prefetchBlobs(
    git,
    roots,
    files.map((f) => f.oid),
  );
  const blobs = await readBlobs(
    reader,
    files.map((f) => f.oid),
  );
  const out: SealedEvent[] = [];
  files.forEach((file, i) => {
    let event;
    try {
      event = checkEvent(JSON.parse(blobs[i]?.toString('utf8') ?? ''));
    } catch {
      event = undefined;
    }
    if (event === undefined) warn(`skipped ${pathOf(file)}: not a valid event file`);
    else out.push({ runId: file.runId, id: file.id, event });
  });
  return out;
}
