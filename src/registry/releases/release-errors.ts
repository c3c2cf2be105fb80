/** Errors of GitHub releases and model files. Each quotes the bad value and says what to do. */
import { GhmlError, UsageError } from '../../errors/ghml-error.js';

/**
 * Publishing the release failed after retries. The tag exists; the draft release was deleted
 * (or, for a release someone else made, only ghml's uploads were removed).
 */
export class ReleasePublishError extends GhmlError {
  readonly tag: string;
  /** True when no release for the tag is left behind by ghml. */
  readonly cleanedUp: boolean;

  constructor(tag: string, detail: string, cleanedUp: boolean, options: { cause?: unknown } = {}) {
    super(
      `Could not publish the GitHub release for '${tag}': ${detail}. ` +
        (cleanedUp
          ? 'The tag exists; the unfinished release was removed.'
          : 'The tag exists; the release may be incomplete.'),
      { hint: `Retry with: ghml model release ${tag}`, ...options },
    );
    this.name = 'ReleasePublishError';
    this.tag = tag;
    this.cleanedUp = cleanedUp;
  }
}

/** A model file named by --path or ghml.yml is neither in the run's artifacts nor on disk. */
export class ModelFileMissingError extends UsageError {
  readonly path: string;

  constructor(path: string, where: string, hint?: string) {
    super(`Model file '${path}' was not found ${where}; no tag was created.`, {
      hint:
        hint ??
        "Check registry.models.<name>.path in ghml.yml or --path: it is relative to the run's " +
          'artifacts or to the repository (train first if the file is made by training).',
    });
    this.name = 'ModelFileMissingError';
    this.path = path;
  }
}

/**
 * Uploading a release's assets before the version's tag is written failed (files streamed from
 * the artifact store are checked as they go): nothing was registered, and the draft release
 * was removed. The hint is the cause's own when it has one (a refused token, a damaged blob).
 */
export class ReleaseStagingError extends GhmlError {
  readonly tag: string;
  readonly cleanedUp: boolean;

  constructor(tag: string, cause: unknown, detail: string, cleanedUp: boolean) {
    super(
      `Could not upload the release assets of '${tag}': ${detail}. Nothing was registered: ` +
        (cleanedUp
          ? 'no tag was written and the draft release was removed.'
          : 'no tag was written, but the draft release could not be removed (delete it on GitHub).'),
      {
        hint:
          cause instanceof GhmlError && cause.hint !== undefined
            ? cause.hint
            : 'Fix the cause above and register again.',
        cause,
      },
    );
    this.name = 'ReleaseStagingError';
    this.tag = tag;
    this.cleanedUp = cleanedUp;
  }
}

/** A model file path that leaves the repository, or two files with the same asset name. */
export class InvalidModelFileError extends UsageError {
  readonly path: string;

  constructor(path: string, reason: string, hint: string) {
    super(`Invalid model file '${path}': ${reason}.`, { hint });
    this.name = 'InvalidModelFileError';
    this.path = path;
  }
}

/** No run to register from: none at the commit, or the one named is not FINISHED. */
export class NoRunForModelError extends GhmlError {
  constructor(message: string, hint: string) {
    super(message, { hint });
    this.name = 'NoRunForModelError';
  }
}

/** A downloaded file does not have the sha256 (or size) the tag message records. */
export class ChecksumMismatchError extends GhmlError {
  readonly file: string;
  readonly expected: string;
  readonly actual: string;

  constructor(file: string, expected: string, actual: string, source: string) {
    super(
      `'${file}' from ${source} has sha256 ${actual}, but the tag records ${expected}; ` +
        'the file was not written.',
      {
        hint: 'The release asset or artifact was changed after registration; re-upload it with ghml model release <tag>, or register a new version.',
      },
    );
    this.name = 'ChecksumMismatchError';
    this.file = file;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A registered version whose model files cannot be downloaded from anywhere. */
export class ModelDownloadError extends GhmlError {
  readonly reference: string;

  constructor(reference: string, message: string, hint: string) {
    super(message, { hint });
    this.name = 'ModelDownloadError';
    this.reference = reference;
  }
}
