/** Typed errors of the comparison service. */
import { GhmlError, UsageError } from '../errors/ghml-error.js';

/** The head commit has no run to compare (of the requested experiments). */
export class NoRunsAtHeadError extends GhmlError {
  readonly commit: string;
  readonly experiments: readonly string[];

  constructor(commit: string, experiments: readonly string[], extraHint?: string) {
    const which =
      experiments.length > 0 ? ` of ${experiments.map((e) => `'${e}'`).join(', ')}` : '';
    const hint = 'run `ghml run -- <command>` first (or pass --head)';
    super(`no runs${which} at head commit '${commit}'`, {
      hint: extraHint === undefined ? hint : `${hint}; ${extraHint}`,
    });
    this.name = 'NoRunsAtHeadError';
    this.commit = commit;
    this.experiments = experiments;
  }
}

/** `--base` / `--head` names neither a commit nor (for --base) a run. */
export class UnknownRevisionError extends UsageError {
  readonly flag: '--base' | '--head';
  readonly value: string;

  constructor(flag: '--base' | '--head', value: string, hint: string) {
    super(`${flag} '${value}' is not a commit or a run id`, {
      hint,
    });
    this.name = 'UnknownRevisionError';
    this.flag = flag;
    this.value = value;
  }
}

/** A commit sha from the event payload (PR base/head) that is not a full hex sha. */
export class InvalidShaError extends UsageError {
  readonly field: string;
  readonly value: string;

  constructor(field: string, value: string) {
    super(`${field} '${value}' is not a full commit sha`, {
      hint: 'pass the 40- (or 64-) hex-digit sha from the pull_request event payload',
    });
    this.name = 'InvalidShaError';
    this.field = field;
    this.value = value;
  }
}
