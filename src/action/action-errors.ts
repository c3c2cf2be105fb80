/** Typed errors of the GitHub Action: bad inputs, the wrong event, untrusted artifacts. */
import { GhmlError, UsageError } from '../errors/ghml-error.js';

/** `command` is not one the action knows. */
export class UnknownCommandError extends UsageError {
  constructor(
    readonly value: string,
    readonly commands: readonly string[],
  ) {
    super(`Unknown command '${value}' for the ghml action.`, {
      hint: `set the input 'command' to one of: ${commands.join(', ')}`,
    });
    this.name = 'UnknownCommandError';
  }
}

/** A required input was not given (or was empty). */
export class MissingInputError extends UsageError {
  constructor(
    readonly input: string,
    readonly command: string,
  ) {
    super(`Input '${input}' is required for command '${command}' but was not supplied.`, {
      hint: `add '${input}:' under 'with:' in the step that uses the ghml action`,
    });
    this.name = 'MissingInputError';
  }
}

/** An input has a value of the wrong form. */
export class InvalidInputError extends UsageError {
  constructor(
    readonly input: string,
    readonly value: string,
    expected: string,
  ) {
    super(
      `Invalid value '${value.length > 200 ? `${value.slice(0, 200)}…` : value}' for input '${input}': expected ${expected}.`,
      {
        hint: `fix '${input}:' under 'with:' in the workflow step`,
      },
    );
    this.name = 'InvalidInputError';
  }
}

/** The workflow's event cannot drive this command. */
export class UnsupportedEventError extends UsageError {
  constructor(
    readonly event: string,
    readonly command: string,
    readonly supported: readonly string[],
    reason?: string,
  ) {
    super(
      `Command '${command}' does not run on '${event}' events${reason ? ` (${reason})` : ''}.`,
      { hint: `trigger the workflow on one of: ${supported.join(', ')}` },
    );
    this.name = 'UnsupportedEventError';
  }
}

/** The training command failed; the run is recorded (FAILED/KILLED) all the same. */
export class TrainingFailedError extends GhmlError {
  constructor(
    readonly runId: string,
    readonly exitStatus: number,
  ) {
    super(
      `The training command exited with status ${exitStatus}; run ${runId} was recorded as failed.`,
      {
        hint: 'read the training output above; the run is on the tracking branch with what it logged',
      },
    );
    this.name = 'TrainingFailedError';
  }
}

/** The comparison failed (a metric regressed, or a head run did not finish) with `fail-on-regression`. */
export class RegressionError extends GhmlError {
  constructor(readonly regressions: number) {
    super(
      regressions === 0
        ? 'The comparison failed: a head run did not finish.'
        : `${regressions} metric${regressions === 1 ? '' : 's'} regressed beyond ${regressions === 1 ? 'its' : 'their'} threshold.`,
      {
        hint: 'see the comparison in the job summary; set fail-on-regression: false to report without failing',
      },
    );
    this.name = 'RegressionError';
  }
}

/**
 * A run artifact uploaded by a pull_request workflow (possibly from a fork) failed validation.
 * Nothing from it was written.
 */
export class UntrustedArtifactError extends GhmlError {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`Rejected the run artifact at '${path}': ${problem}. Nothing was written.`, {
      hint: 'the artifact comes from a pull request and is untrusted; re-run the pull_request workflow, and check nobody tampered with it',
    });
    this.name = 'UntrustedArtifactError';
  }
}

/** A pull request's runs would take more of the tracking branch than ghml.yml allows. */
export class PullRequestBudgetError extends GhmlError {
  constructor(
    readonly prNumber: number,
    readonly usedBytes: number,
    readonly addingBytes: number,
    readonly budgetBytes: number,
    format: (bytes: number) => string,
  ) {
    super(
      `Refused the runs of pull request #${prNumber}: they would add ${format(addingBytes)} to the tracking branch, and its earlier runs hold ${format(usedBytes)}, over the budget of ${format(budgetBytes)} per pull request. Nothing was written.`,
      {
        hint: 'keep large files out of the run (the artifact store holds them off the branch), or raise tracking.pr_budget in ghml.yml on the default branch',
      },
    );
    this.name = 'PullRequestBudgetError';
  }
}

/** The run was recorded, but could not be pushed (and `fail-on-push-error` is on). */
export class RunNotPushedError extends GhmlError {
  constructor(
    readonly runId: string,
    readonly problem: string,
    recordDir: string | undefined,
  ) {
    super(`Run ${runId} was recorded but not pushed: ${problem}`, {
      hint:
        recordDir === undefined
          ? 'a later step can send it with `ghml push`; set fail-on-push-error: false to let the job go on'
          : `its record is in ${recordDir} for upload; a later step can send it with \`ghml push\`, or set fail-on-push-error: false to let the job go on`,
    });
    this.name = 'RunNotPushedError';
  }
}
