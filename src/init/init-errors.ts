/** Typed errors of `ghml init`. */
import { UsageError } from '../errors/ghml-error.js';

/** Files `ghml init` would replace exist with other content, and --force was not given. */
export class InitFileExistsError extends UsageError {
  constructor(readonly files: readonly string[]) {
    super(
      `Not overwriting ${files.map((f) => `'${f}'`).join(', ')}: ${files.length === 1 ? 'it exists' : 'they exist'} with other content.`,
      {
        hint: 'nothing was written; move your files aside, or run `ghml init --force` to replace them',
      },
    );
    this.name = 'InitFileExistsError';
  }
}

/** A workflow name `ghml init --workflow` does not know. */
export class UnknownWorkflowError extends UsageError {
  constructor(
    readonly value: string,
    known: readonly string[],
  ) {
    super(`Unknown workflow '${value}'.`, { hint: `choose from: ${known.join(', ')}` });
    this.name = 'UnknownWorkflowError';
  }
}

/** `--action-ref` is not `owner/repo@ref`. */
export class InvalidActionRefError extends UsageError {
  constructor(readonly value: string) {
    super(`Invalid action reference '${value}': expected owner/repo@ref.`, {
      hint: 'e.g. --action-ref my-org/ghml@v1, the repository and tag of the ghml action',
    });
    this.name = 'InvalidActionRefError';
  }
}
