/**
 * Pushes the tracking branch without force, the way many parallel matrix jobs can:
 * 1. push the local tip;
 * 2. when the remote moved (non-fast-forward, fetch first, stale info, lock failure), wait a
 *    random time (exponential backoff, full jitter), fetch the new remote tip, and rebuild our
 *    unpushed commits on it by grafting each one's run folder (or event file) at its path.
 *    Paths are unique, so there is never a conflict; a path the remote already has is skipped,
 *    so no run is written twice. The local branch moves by compare-and-swap;
 * 3. push again, until the time budget runs out.
 * Any other rejection throws PushRejectedError. In every failure the runs stay on the local
 * branch, and a later `ghml push` sends them.
 */
import type { Git } from '../../git/git.js';
import { summarizeStderr } from '../../git/git-errors.js';
import { TREE_MODE } from '../../git/tree-entry.js';
import { setTreeEntry } from '../../git/tree-edit.js';
import { MARKER_PATH, checkMarker } from './branch-format.js';
import { EVENT_TRAILER, FALLBACK_IDENTITY, RUN_TRAILER } from './branch-writer.js';
import { fetchTrackingBranch } from './tracking-fetch.js';
import { PushRejectedError, PushTimeoutError } from '../tracking-errors.js';
import { readRefState, type RefState, type TrackingRefs } from './tracking-refs.js';

/** A local commit the remote does not have yet. */
export interface UnpushedCommit {
  oid: string;
  message: string;
  /** Paths the commit added (from its Ghml-Run / Ghml-Event trailers). */
  runPaths: string[];
  eventPaths: string[];
}

export interface PushOptions {
  /** Time budget for all attempts, in ms (config tracking.pushTimeoutMs). */
  timeoutMs: number;
  /** First backoff ceiling in ms (doubles per attempt). Default 50. */
  baseDelayMs?: number;
  /** Largest backoff ceiling in ms. Default 5000. */
  maxDelayMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface PushResult {
  /** Runs that reached the remote with this push. */
  pushed: number;
  /** Push attempts made (1 when nobody else was pushing). */
  attempts: number;
  /** The remote tip after the push; undefined when there was nothing to push. */
  tip: string | undefined;
}

const RETRYABLE =
  /non-fast-forward|fetch first|stale info|failed to lock|cannot lock|failed to update ref|incorrect old value|is at [0-9a-f]+ but expected/i;

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Commits on the local branch the remote-tracking ref does not reach, oldest first. */
export async function listUnpushedCommits(git: Git, state: RefState): Promise<UnpushedCommit[]> {
  if (state.local === undefined) return [];
  const args = [
    'log',
    '--no-show-signature',
    '--reverse',
    '--no-decorate',
    '--format=%H%x00%B%x1e',
    state.local,
  ];
  if (state.remoteTracking !== undefined) args.push('--not', state.remoteTracking);
  const out = await git.exec([...args, '--']);
  const commits: UnpushedCommit[] = [];
  for (const record of out.split('\x1e')) {
    const text = record.replace(/^\n/, '');
    const nul = text.indexOf('\0');
    if (nul < 0) continue;
    const message = text.slice(nul + 1);
    commits.push({
      oid: text.slice(0, nul),
      message,
      runPaths: trailerValues(message, RUN_TRAILER),
      eventPaths: trailerValues(message, EVENT_TRAILER),
    });
  }
  // In a shallow clone, remote commits below a depth-1 tip can look unpushed: drop paths
  // the remote tip already has.
  if (state.remoteTracking === undefined) return commits;
  const remoteTip = state.remoteTracking;
  const reader = git.openObjectReader();
  try {
    const present = async (path: string): Promise<boolean> =>
      (await reader.readObject(`${remoteTip}:${path}`)) !== undefined;
    for (const commit of commits) {
      const keep = async (paths: string[]): Promise<string[]> => {
        const flags = await Promise.all(paths.map(present));
        return paths.filter((_, i) => !flags[i]);
      };
      commit.runPaths = await keep(commit.runPaths);
      commit.eventPaths = await keep(commit.eventPaths);
    }
  } finally {
    await reader.close();
  }
  return commits;
}

function trailerValues(message: string, key: string): string[] {
  const values: string[] = [];
  for (const line of message.split('\n')) {
    if (line.startsWith(`${key}: `)) values.push(line.slice(key.length + 2).trim());
  }
  return values;
}

/** Why a push failed, from git's porcelain output and stderr. */
function rejection(stdout: string, stderr: string): { retryable: boolean; reason: string } {
  const line = stdout.split('\n').find((l) => l.startsWith('!\t'));
  if (line) {
    const reason = (line.split('\t')[2] ?? line).trim();
    // What the remote said (a hook's message, a protection rule) is the actual cause.
    const remoteSaid = stderr
      .split('\n')
      .filter((l) => l.startsWith('remote: ') && l.slice(8).trim() !== '')
      .slice(0, 5)
      .map((l) => l.slice(8).trim());
    const full =
      remoteSaid.length > 0 ? `${reason}; the remote said: ${remoteSaid.join(' / ')}` : reason;
    return { retryable: RETRYABLE.test(reason), reason: full };
  }
  const reason = summarizeStderr(stderr, 3).replace(/\n+/g, ' ') || 'git push failed';
  return { retryable: RETRYABLE.test(stderr) && !/fatal:/.test(stderr), reason };
}

/**
 * Replays `commits` on the remote-tracking tip and moves the local branch there (CAS).
 * Returns false when the local branch moved meanwhile (the caller retries).
 */
export async function rebuildOnRemote(git: Git, refs: TrackingRefs): Promise<boolean> {
  const state = await readRefState(git, refs);
  const { local, remoteTracking } = state;
  if (local === undefined || remoteTracking === undefined || local === remoteTracking) return true;
  if (await git.isAncestor(remoteTracking, local)) return true;
  const commits = await listUnpushedCommits(git, state);
  const reader = git.openObjectReader();
  const writer = git.openTreeWriter();
  let tip = remoteTracking;
  try {
    checkMarker(await reader.read(`${remoteTracking}:${MARKER_PATH}`), refs.remoteTracking);
    let tree = (await reader.readObject(`${remoteTracking}^{tree}`))?.oid as string;
    for (const commit of commits) {
      let changed = false;
      for (const path of [...commit.runPaths, ...commit.eventPaths]) {
        const object = await reader.readObject(`${commit.oid}:${path}`);
        if (object === undefined || (object.type !== 'tree' && object.type !== 'blob')) continue;
        const mode = object.type === 'tree' ? TREE_MODE : '100644';
        const result = await setTreeEntry(reader, writer, tree, path, {
          mode,
          type: object.type,
          oid: object.oid,
        });
        if ('tree' in result) {
          tree = result.tree;
          changed = true;
        }
      }
      if (changed) {
        tip = await git.commitTree({
          tree,
          parents: [tip],
          message: commit.message,
          fallbackIdentity: FALLBACK_IDENTITY,
        });
      }
    }
  } finally {
    await Promise.all([reader.close(), writer.close()]);
  }
  return git.tryUpdateRef(refs.local, tip, local, 'ghml: rebuild on the remote tip');
}

/** Pushes the local tracking branch; see the file comment for the protocol. */
export async function pushTrackingBranch(
  git: Git,
  refs: TrackingRefs,
  options: PushOptions,
): Promise<PushResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const base = options.baseDelayMs ?? 50;
  const cap = options.maxDelayMs ?? 5000;
  const deadline = now() + options.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    // Build on what we last fetched first, so a known-stale push is not even tried.
    await rebuildOnRemote(git, refs);
    const state = await readRefState(git, refs);
    if (state.local === undefined)
      return { pushed: 0, attempts: attempt - 1, tip: state.remoteTracking };
    const pending = await listUnpushedCommits(git, state);
    const runs = pending.reduce((n, c) => n + c.runPaths.length, 0);
    const events = pending.reduce((n, c) => n + c.eventPaths.length, 0);
    if (runs + events === 0 && state.remoteTracking !== undefined) {
      return { pushed: 0, attempts: attempt - 1, tip: state.remoteTracking };
    }
    const args = [
      'push',
      '--porcelain',
      '--no-follow-tags',
      '--recurse-submodules=no',
      refs.remote,
      `${state.local}:${refs.local}`,
    ];
    const result = await git.tryExec(args);
    if (result.exitCode === 0) {
      await git.updateRef(refs.remoteTracking, state.local, 'ghml: pushed');
      return { pushed: runs, attempts: attempt, tip: state.local };
    }
    const { retryable, reason } = rejection(result.stdout, result.stderr);
    if (!retryable) throw new PushRejectedError(refs.remote, refs.branch, reason);
    if (now() >= deadline)
      throw new PushTimeoutError(refs.remote, refs.branch, options.timeoutMs, attempt);
    const ceiling = Math.min(cap, base * 2 ** Math.min(attempt - 1, 30));
    await sleep(Math.min(random() * ceiling, Math.max(0, deadline - now())));
    await fetchTrackingBranch(git, refs);
  }
}
