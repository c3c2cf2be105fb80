/** Typed errors of the tracking branch: its format, its runs, and pushing it. */
import { GhmlError, UsageError } from '../errors/ghml-error.js';

/** The branch (or a record on it) was written by a newer ghml. */
export class NewerFormatError extends GhmlError {
  readonly format: number;
  constructor(where: string, format: number) {
    super(`${where} was written by a newer ghml (format ${format}): upgrade ghml`, {
      hint: 'install the latest ghml (npm install -g ghml) and run the command again',
    });
    this.name = 'NewerFormatError';
    this.format = format;
  }
}

/** A run.json, metrics.jsonl, event or segment file does not have the shape its format gives. */
export class InvalidRunDataError extends GhmlError {
  readonly where: string;
  constructor(where: string, problem: string) {
    super(`invalid run data in ${where}: ${problem}`, {
      hint: 'the tracking branch holds only files written by ghml; remove or fix this file with a commit on the branch',
    });
    this.name = 'InvalidRunDataError';
    this.where = where;
  }
}

/** A name that cannot be a path segment on the tracking branch. */
export class InvalidNameError extends UsageError {
  readonly value: string;
  constructor(what: string, value: string, rule: string) {
    const article = /^[aeiou]/i.test(what) ? 'an' : 'a';
    super(`invalid ${what} '${value}': ${rule}`, {
      hint: `choose ${article} ${what} that ${rule}`,
    });
    this.name = 'InvalidNameError';
    this.value = value;
  }
}

/** The run is already on the tracking branch: run ids are written once. */
export class RunExistsError extends GhmlError {
  readonly runId: string;
  /** Where it is: a path on the branch, or a few words ('segment 000004 (…)', 'the inbox'). */
  constructor(runId: string, where: string) {
    super(`run '${runId}' is already recorded in ${where}`, {
      hint: 'each run is written once; start a new run (a new GHML_RUN_ID) instead of rewriting it',
    });
    this.name = 'RunExistsError';
    this.runId = runId;
  }
}

/**
 * Another run (different content, or another experiment or commit) already has this id: a
 * run id is written once anywhere on the branch, so a run cannot shadow another.
 */
export class RunIdTakenError extends GhmlError {
  readonly runId: string;
  constructor(runId: string, where: string) {
    super(
      `run id '${runId}' is taken: another run with this id is already in ${where}; this run was not written`,
      {
        hint: 'give the run a new id (a new GHML_RUN_ID, or run `ghml run` again); ids are unique across the whole tracking branch',
      },
    );
    this.name = 'RunIdTakenError';
    this.runId = runId;
  }
}

/** No run matches an id or id prefix. */
export class RunNotFoundError extends UsageError {
  readonly query: string;
  constructor(query: string, branch: string) {
    super(`no run '${query}' on the tracking branch '${branch}'`, {
      hint: 'run `ghml runs list` to see the recorded runs (it fetches runs recorded elsewhere first)',
    });
    this.name = 'RunNotFoundError';
    this.query = query;
  }
}

/** An id prefix matches several runs. */
export class AmbiguousRunError extends UsageError {
  readonly query: string;
  readonly matches: readonly string[];
  constructor(query: string, matches: readonly string[]) {
    super(
      `run id prefix '${query}' matches ${matches.length} runs: ${matches.slice(0, 5).join(', ')}`,
      {
        hint: 'give more characters of the run id',
      },
    );
    this.name = 'AmbiguousRunError';
    this.query = query;
    this.matches = matches;
  }
}

/** Other writers kept moving the branch while we tried to update it. */
export class BranchBusyError extends GhmlError {
  constructor(branch: string, attempts: number) {
    super(`could not update '${branch}': it changed under us ${attempts} times in a row`, {
      hint: `other ghml processes are writing to the same repository; try again. If none is running, a killed git may have left refs/heads/${branch}.lock in the git dir: delete it`,
    });
    this.name = 'BranchBusyError';
  }
}

/** The remote refused the push for a reason retrying cannot fix. */
export class PushRejectedError extends GhmlError {
  readonly remote: string;
  readonly branch: string;
  readonly reason: string;
  constructor(remote: string, branch: string, reason: string) {
    super(`pushing '${branch}' to '${remote}' was rejected: ${reason}`, {
      hint: `the run is kept locally on ${branch}; fix the cause, then run \`ghml push\``,
    });
    this.name = 'PushRejectedError';
    this.remote = remote;
    this.branch = branch;
    this.reason = reason;
  }
}

/** Other pushers kept winning until the time budget ran out. */
export class PushTimeoutError extends GhmlError {
  readonly attempts: number;
  constructor(remote: string, branch: string, budgetMs: number, attempts: number) {
    super(
      `pushing '${branch}' to '${remote}' did not succeed within ${Math.round(budgetMs / 1000)} s (${attempts} attempts)`,
      {
        hint: `the run is kept locally on ${branch}; run \`ghml push\` again, or raise tracking.push_timeout in ghml.yml`,
      },
    );
    this.name = 'PushTimeoutError';
    this.attempts = attempts;
  }
}

/** A run has no stored artifact at that path. */
export class ArtifactNotFoundError extends UsageError {
  constructor(runId: string, path: string) {
    super(`run '${runId}' has no stored artifact '${path}'`, {
      hint: 'run `ghml runs show <id>` to list its artifacts; files over the size limit are kept only by URI',
    });
    this.name = 'ArtifactNotFoundError';
  }
}

/** A format-2 writer met a branch of an older format. */
export class FormatMigrationNeededError extends UsageError {
  readonly branch: string;
  readonly format: number;
  constructor(branch: string, format: number) {
    super(
      `the tracking branch '${branch}' uses format ${format}; this ghml writes format 2 only (reading format ${format} still works)`,
      {
        hint: 'run `ghml migrate` once: it converts the branch in one atomic push, and writers started meanwhile retry on the new format',
      },
    );
    this.name = 'FormatMigrationNeededError';
    this.branch = branch;
    this.format = format;
  }
}

/** One entry (a run or an event) the remote refused; the others were pushed. */
export interface RefusedEntry {
  /** The run id, or the event id for an event. */
  id: string;
  kind: 'run' | 'event';
  reason: string;
}

/** The remote refused some entries for a reason retrying cannot fix. */
export class EntriesRefusedError extends GhmlError {
  readonly refused: RefusedEntry[];
  readonly pushed: number;
  constructor(remote: string, branch: string, refused: RefusedEntry[], pushed: number) {
    const first = refused[0];
    const list = refused.map((r) => `${r.kind} ${r.id}: ${r.reason}`).join('; ');
    super(
      `'${remote}' refused ${refused.length} of the ${refused.length + pushed} entries pushed to '${branch}': ${list}`,
      {
        hint: `the refused entries stay queued locally; fix the cause and run \`ghml push\`, or drop one with \`ghml push --drop ${first?.id ?? '<id>'}\` (its files are saved to .git/ghml/dropped/)`,
      },
    );
    this.name = 'EntriesRefusedError';
    this.refused = refused;
    this.pushed = pushed;
  }
}

/** A run record over the size the branch accepts (docs/storage-format.md, "Limits"). */
export class RunTooLargeError extends GhmlError {
  readonly runId: string;
  /** Where the run's open folder was moved to, when it was (so it blocks no later run). */
  readonly savedTo: string | undefined;
  readonly bytes: number;
  readonly max: number;

  constructor(runId: string, bytes: number, max: number, savedTo?: string) {
    super(
      `run ${runId}'s record (run.json) would be ${Math.ceil(bytes / 1048576)} MiB, over the ${Math.round(max / 1048576)} MiB a tracking branch file may hold` +
        (savedTo === undefined
          ? ''
          : `; it was not recorded, and its files were moved to ${savedTo}`),
      {
        hint: 'log fewer or shorter params and tags, or keep bulky text as an artifact (ghml log artifact)',
      },
    );
    this.name = 'RunTooLargeError';
    this.runId = runId;
    this.savedTo = savedTo;
    this.bytes = bytes;
    this.max = max;
  }

  /** The same refusal, saying where the run's files went. */
  movedTo(savedTo: string): RunTooLargeError {
    return new RunTooLargeError(this.runId, this.bytes, this.max, savedTo);
  }
}

/** `ghml push --drop` of something that is not waiting in the local queue. */
export class NotQueuedError extends UsageError {
  constructor(id: string, branch: string) {
    super(
      `'${id}' is not waiting in the local queue of '${branch}': only runs not pushed yet can be dropped`,
      {
        hint: '`ghml push --json` lists what waits to be pushed; a run already pushed can be hidden with `ghml runs delete <id>`',
      },
    );
    this.name = 'NotQueuedError';
  }
}
