/**
 * Pushes the local queue the way many parallel matrix jobs can (docs/storage-format.md,
 * "Pushing: the concurrency argument"):
 * 1. fast path: push the local tip to the branch, without force (replayed on the fetched
 *    remote tip first, and tried a second time after one fetch);
 * 2. when the branch keeps moving, deliver each entry as its own create-only inbox ref: no two
 *    writers ever touch the same ref, so every delivery lands in one push;
 * 3. fold the inbox into the branch, for a few seconds at most: graft every delivered entry
 *    (anyone's) on the remote tip and push the branch update with the inbox refs' deletion in
 *    one atomic push. A lost race is dropped: the entries stay in the inbox for the next fold.
 * Entries are sent one ref each, so one the remote refuses never blocks the others; refused
 * ones stay queued and are reported by id (EntriesRefusedError) after the rest went out.
 */
import type { Git } from '../../git/git.js';
import { summarizeStderr } from '../../git/git-errors.js';
import { setTreeEntry } from '../../git/tree-edit.js';
import { TREE_MODE } from '../../git/tree-entry.js';
import { stripTerminalEscapes as stripAnsi } from '../../text/plain-text.js';
import { EntriesRefusedError, PushRejectedError, type RefusedEntry } from '../tracking-errors.js';
import { listInboxEntries, type InboxEntry } from './inbox-entries.js';
import { listQueue, presenceChecker, rebuildLocal, type QueuedEntry } from './local-queue.js';
import type { DataWarning } from './segment-files.js';
import {
  FALLBACK_IDENTITY,
  buildOnTip,
  markerEntry,
  type BranchEntry,
  type TipBuilderContext,
  withTipBuilder,
} from './tip-builder.js';
import { readTipLayout } from './tip-layout.js';
import { fetchTrackingBranch } from './tracking-fetch.js';
import { readRefState, type TrackingRefs } from './tracking-refs.js';
import { entryMessage } from './entry-commit.js';

export interface PushOptions {
  /** Time budget for pushing the queue, in ms (config tracking.push_timeout). */
  timeoutMs: number;
  /** How long to keep trying to fold the inbox after delivering to it. Default 10 s. */
  foldBudgetMs?: number;
  warn?: DataWarning;
  /** See TipBuilderContext.sealAt. */
  sealAt?: number | undefined;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface PushResult {
  /** Runs of the local queue that reached the remote (on the branch or in its inbox). */
  pushed: number;
  /** Of those, runs delivered to the inbox (on the branch once someone folds them). */
  delivered: number;
  /** Entries (anyone's) this push folded from the inbox into the branch. */
  folded: number;
  /** Push attempts made. */
  attempts: number;
  /** The remote branch tip after the push; undefined when it does not exist. */
  tip: string | undefined;
  /** Why the inbox could not be folded, when it could not; the entries wait there meanwhile. */
  foldProblem: string | undefined;
}

const RETRYABLE =
  /non-fast-forward|fetch first|stale info|failed to lock|cannot lock|failed to update ref|incorrect old value|is at [0-9a-f]+ but expected/i;

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One line of `git push --porcelain` output. */
interface RefStatus {
  ref: string;
  ok: boolean;
  reason: string;
}

function refStatuses(stdout: string): RefStatus[] {
  const out: RefStatus[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^([ +\-*=!])\t([^\t]*)\t?(.*)$/.exec(line);
    if (!match) continue;
    const [, flag = '', spec = '', rest = ''] = match;
    const ref = spec.includes(':') ? spec.slice(spec.indexOf(':') + 1) : spec;
    out.push({ ref, ok: flag !== '!', reason: rest.trim() });
  }
  return out;
}

/** What the remote said (hook output, protection rules): the actual cause of a refusal. */
function remoteSaid(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('remote: ') && l.slice(8).trim() !== '')
    .slice(0, 5)
    .map((l) => stripAnsi(l.slice(8)).trim())
    .join(' / ');
}

function describeRefusal(status: RefStatus | undefined, stderr: string): string {
  const said = remoteSaid(stderr);
  const reason =
    stripAnsi(status?.reason ?? '') || summarizeStderr(stripAnsi(stderr), 3).replace(/\n+/g, ' ');
  return said ? `${reason || 'refused'}; the remote said: ${said}` : reason || 'git push failed';
}

export class PushProtocol {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly warn: DataWarning;

  constructor(
    private readonly git: Git,
    private readonly refs: TrackingRefs,
    private readonly options: PushOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.warn = options.warn ?? (() => undefined);
  }

  /** Pushes the local queue; see the file comment. */
  async push(): Promise<PushResult> {
    const deadline = this.now() + this.options.timeoutMs;
    let attempts = 0;
    let lastFailure = '';
    for (let round = 0; round < 2; round++) {
      await this.rebuild();
      const state = await readRefState(this.git, this.refs);
      const queue = await this.queue();
      if (queue.length === 0) {
        const fold = await this.foldIfAny(deadline);
        return { pushed: 0, delivered: 0, attempts, ...fold };
      }
      attempts++;
      const result = await this.git.tryExec([
        'push',
        '--porcelain',
        '--no-follow-tags',
        '--recurse-submodules=no',
        this.refs.remote,
        `${state.local}:${this.refs.local}`,
      ]);
      if (result.exitCode === 0) {
        await this.git.updateRef(this.refs.remoteTracking, state.local as string, 'ghml: pushed');
        const fold = await this.foldIfAny(deadline);
        return {
          pushed: runsIn(queue),
          delivered: 0,
          attempts,
          ...fold,
          tip: fold.tip ?? state.local,
        };
      }
      const status = refStatuses(result.stdout)[0];
      lastFailure = describeRefusal(status, result.stderr);
      const retryable =
        RETRYABLE.test(status?.reason ?? result.stderr) && !/fatal:/.test(result.stderr);
      if (status === undefined && !retryable) {
        // Not a refusal of the ref: the remote could not be reached at all.
        throw new PushRejectedError(this.refs.remote, this.refs.branch, lastFailure);
      }
      if (!retryable) break;
      await this.fetch();
    }
    return this.deliverAndFold(deadline, attempts, lastFailure);
  }

  /** Delivers the queue to the inbox, one ref per entry, then folds. */
  private async deliverAndFold(
    deadline: number,
    attempts: number,
    why: string,
  ): Promise<PushResult> {
    const queue = await this.queue();
    const { delivered, refused } = await this.deliver(queue);
    attempts++;
    // Delivered entries now live in the inbox mirror; drop them from the local branch.
    for (let i = 0; i < 10 && !(await this.withContext((c) => rebuildLocal(c, this.refs))); i++);
    const fold = await this.foldIfAny(deadline);
    if (refused.length > 0) {
      throw new EntriesRefusedError(this.refs.remote, this.refs.branch, refused, delivered.length);
    }
    if (delivered.length === 0 && queue.length > 0) {
      throw new PushRejectedError(this.refs.remote, this.refs.branch, why);
    }
    // Ours that are still in the inbox (nobody folded them yet) are delivered, not on the branch.
    const waiting = new Set(
      (
        await this.withContext((c) => listInboxEntries(this.git, c.reader, this.refs, this.warn))
      ).map((e) => e.id),
    );
    const runs = delivered.filter((e) => e.kind === 'run');
    return {
      pushed: runs.length,
      delivered: runs.filter((e) => waiting.has(e.id)).length,
      attempts,
      ...fold,
    };
  }

  /** Sends each entry to its own create-only inbox ref (no --atomic: each lands or not alone). */
  private async deliver(
    queue: readonly QueuedEntry[],
  ): Promise<{ delivered: QueuedEntry[]; refused: RefusedEntry[] }> {
    if (queue.length === 0) return { delivered: [], refused: [] };
    const commits = await this.withContext(async (context) => {
      const marker = await markerEntry(this.git);
      return Promise.all(
        queue.map(async (entry) => {
          const placed = await setTreeEntry(
            context.reader,
            context.writer,
            undefined,
            entry.path,
            {
              mode: entry.kind === 'run' ? TREE_MODE : '100644',
              type: entry.kind === 'run' ? 'tree' : 'blob',
              oid: entry.object,
            },
            { rootExtras: [marker] },
          );
          if (!('tree' in placed)) throw new Error('unreachable: empty tree had an entry');
          const trailers =
            entry.kind === 'run' ? { runPaths: [entry.path] } : { eventPaths: [entry.path] };
          return this.git.commitTree({
            tree: placed.tree,
            parents: [],
            message: entryMessage(entry.summary, trailers),
            fallbackIdentity: FALLBACK_IDENTITY,
          });
        }),
      );
    });
    const args = ['push', '--porcelain', '--no-follow-tags', '--recurse-submodules=no'];
    queue.forEach((entry) => args.push(`--force-with-lease=${this.refs.inboxPrefix}${entry.id}:`));
    args.push(this.refs.remote);
    queue.forEach((entry, i) => args.push(`${commits[i]}:${this.refs.inboxPrefix}${entry.id}`));
    const result = await this.git.tryExec(args);
    const statuses = new Map(refStatuses(result.stdout).map((s) => [s.ref, s]));
    if (statuses.size === 0 && result.exitCode !== 0) {
      throw new PushRejectedError(
        this.refs.remote,
        this.refs.branch,
        describeRefusal(undefined, result.stderr),
      );
    }
    const delivered: QueuedEntry[] = [];
    const refused: RefusedEntry[] = [];
    for (const [i, entry] of queue.entries()) {
      const ref = `${this.refs.inboxPrefix}${entry.id}`;
      const status = statuses.get(ref);
      // "stale info": the ref exists already, i.e. an earlier delivery of this entry landed.
      if (status?.ok || /stale info/.test(status?.reason ?? '')) {
        delivered.push(entry);
        await this.git.updateRef(
          `${this.refs.inboxMirrorPrefix}${entry.id}`,
          commits[i] as string,
          'ghml: delivered',
        );
      } else {
        refused.push({
          id: entry.id,
          kind: entry.kind,
          reason: describeRefusal(status, result.stderr),
        });
      }
    }
    return { delivered, refused };
  }

  /** Folds the inbox when it holds anything, within the fold budget. */
  private async foldIfAny(
    deadline: number,
  ): Promise<{ folded: number; tip: string | undefined; foldProblem: string | undefined }> {
    const inbox = await this.withContext((c) =>
      listInboxEntries(this.git, c.reader, this.refs, this.warn),
    );
    const tip = (await readRefState(this.git, this.refs)).remoteTracking;
    if (inbox.length === 0) return { folded: 0, tip, foldProblem: undefined };
    return this.fold(Math.min(deadline, this.now() + (this.options.foldBudgetMs ?? 10_000)));
  }

  /**
   * Folds every inbox entry into the branch (see the file comment). Returns how many entries
   * it folded (0 when another writer folded them, or when the budget ran out).
   */
  async fold(
    deadline = this.now() + (this.options.foldBudgetMs ?? 10_000),
  ): Promise<{ folded: number; tip: string | undefined; foldProblem: string | undefined }> {
    let problem: string | undefined;
    for (let attempt = 1; ; attempt++) {
      await this.fetch();
      const state = await readRefState(this.git, this.refs);
      const plan = await this.withContext(async (context) => {
        const inbox = await listInboxEntries(this.git, context.reader, this.refs, this.warn);
        if (inbox.length === 0) return undefined;
        const base = state.remoteTracking;
        const layout = base
          ? await readTipLayout(context.reader, base, this.refs.remoteTracking)
          : undefined;
        const present = presenceChecker(this.git, context.reader, layout, [], this.warn);
        const fresh: InboxEntry[] = [];
        for (const entry of inbox) if (!(await present(entry))) fresh.push(entry);
        // A run id is written once: an entry whose id is on the branch at another path (another
        // experiment or commit), or that another entry of this fold brings, is not grafted.
        const built = await buildOnTip(
          context,
          base ? { commit: base, ref: this.refs.remoteTracking } : undefined,
          fresh.map((e) => this.inboxBranchEntry(e)),
          'skip',
          { uniqueRunIds: { inboxIds: new Set() } },
        );
        return { inbox, base, built };
      });
      if (plan === undefined)
        return { folded: 0, tip: state.remoteTracking, foldProblem: undefined };
      const { inbox, base, built } = plan;
      const args = [
        'push',
        '--porcelain',
        '--atomic',
        '--no-follow-tags',
        '--recurse-submodules=no',
      ];
      args.push(`--force-with-lease=${this.refs.local}:${base ?? ''}`);
      for (const entry of inbox)
        args.push(`--force-with-lease=${this.refs.inboxPrefix}${entry.id}:${entry.commit}`);
      args.push(this.refs.remote, `${built.commit}:${this.refs.local}`);
      for (const entry of inbox) args.push(`:${this.refs.inboxPrefix}${entry.id}`);
      const result = await this.git.tryExec(args);
      if (result.exitCode === 0) {
        for (const entry of built.skipped.filter((e) => e.kind === 'run')) {
          this.warn(
            `dropped inbox entry ${entry.path}: run id ${entry.id} is already taken on ${this.refs.branch} by another run`,
          );
        }
        await this.git.updateRef(this.refs.remoteTracking, built.commit, 'ghml: folded the inbox');
        for (const entry of inbox) await this.git.tryExec(['update-ref', '-d', entry.ref]);
        await this.withContext((c) => rebuildLocal(c, this.refs));
        return { folded: built.added.length, tip: built.commit, foldProblem: undefined };
      }
      const statuses = refStatuses(result.stdout);
      const failed = statuses.find((s) => !s.ok && !/atomic/.test(s.reason));
      problem = describeRefusal(failed, result.stderr);
      const retryable =
        RETRYABLE.test(failed?.reason ?? result.stderr) || /atomic push failed/.test(result.stdout);
      if (!retryable || this.now() >= deadline) {
        if (!retryable) this.warn(`could not fold the inbox into ${this.refs.branch}: ${problem}`);
        return { folded: 0, tip: state.remoteTracking, foldProblem: problem };
      }
      const ceiling = Math.min(2000, 100 * 2 ** Math.min(attempt - 1, 10));
      await this.sleep(Math.min(this.random() * ceiling, Math.max(0, deadline - this.now())));
    }
  }

  private inboxBranchEntry(entry: InboxEntry): BranchEntry {
    return {
      kind: entry.kind,
      path: entry.path,
      object: entry.object,
      id: entry.id,
      summary: entry.summary,
    };
  }

  /** Fetches the branch and inbox; a fetch failure leaves the last known state. */
  private async fetch(): Promise<void> {
    await fetchTrackingBranch(this.git, this.refs);
  }

  private async queue(): Promise<QueuedEntry[]> {
    const state = await readRefState(this.git, this.refs);
    return this.withContext((c) => listQueue(this.git, c.reader, this.refs, state, this.warn));
  }

  private async rebuild(): Promise<void> {
    for (let i = 0; i < 10; i++) {
      if (await this.withContext((c) => rebuildLocal(c, this.refs))) return;
    }
  }

  private withContext<T>(work: (context: TipBuilderContext) => Promise<T>): Promise<T> {
    const options = { branch: this.refs.branch, warn: this.warn, sealAt: this.options.sealAt };
    return withTipBuilder(this.git, options, work);
  }
}

function runsIn(queue: readonly BranchEntry[]): number {
  return queue.filter((e) => e.kind === 'run').length;
}
