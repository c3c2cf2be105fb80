/**
 * Typed errors of the model registry. Each quotes the bad value and says what to do next.
 */
import { GhmlError, UsageError } from '../errors/ghml-error.js';

/** What kind of registry name was refused. */
export type RegistryNameKind = 'model' | 'stage' | 'version' | 'tag' | 'reference';

const NAME_RULES: Record<RegistryNameKind, string> = {
  model: "use letters, digits, '-', '_' or '/'",
  stage: "use letters, digits, '-' or '_'",
  version: "use SemVer with a 'v' prefix, e.g. v1.2.3",
  tag: 'use the GTO grammar name@vX.Y.Z, name#stage#N, name@deprecated',
  reference: 'use name@vX.Y.Z, name@latest or name#stage',
};

const NAME_HINTS: Record<RegistryNameKind, string> = {
  model:
    "A model name starts and ends with a letter or digit, e.g. 'churn' or 'models/churn' " +
    "(GTO's 'path:name' form is accepted too).",
  stage: "A stage name starts and ends with a letter or digit, e.g. 'staging' or 'prod'.",
  version: 'Versions look like v1.2.3, v1.2.3-rc.1 or v1.2.3+build.5 (no leading zeros).',
  tag: "Run 'ghml model list' to see the registry's tags.",
  reference: "For example 'churn@v1.2.3', 'churn@latest' or 'churn#prod'.",
};

/** A model, stage, version, tag or reference that does not match the registry grammar. */
export class InvalidNameError extends UsageError {
  readonly kind: RegistryNameKind;
  readonly value: string;

  constructor(kind: RegistryNameKind, value: string, reason?: string) {
    const why = reason === undefined ? `${NAME_RULES[kind]}.` : `${reason}.`;
    super(`Invalid ${kind} name '${value}': ${why}`, { hint: NAME_HINTS[kind] });
    this.name = 'InvalidNameError';
    this.kind = kind;
    this.value = value;
  }
}

/** A stage outside the `registry.stages` allowlist of ghml.yml. */
export class StageNotAllowedError extends UsageError {
  readonly stage: string;
  readonly allowed: readonly string[];

  constructor(stage: string, allowed: readonly string[], file: 'ghml.yml' | '.gto' = 'ghml.yml') {
    super(
      `Stage '${stage}' is not allowed: the allowed stages are ${allowed.join(', ')}` +
        `${file === '.gto' ? " (the stages: list of GTO's .gto file)" : ''}.`,
      {
        hint:
          file === '.gto'
            ? 'Use one of those stages, or add it to the stages: list in .gto (GTO refuses the others too).'
            : 'Use one of those stages, or add it to registry.stages in ghml.yml.',
      },
    );
    this.name = 'StageNotAllowedError';
    this.stage = stage;
    this.allowed = allowed;
  }
}

/** A promotion that breaks an ordering rule of `registry.requires` (e.g. prod needs staging). */
export class StageOrderError extends GhmlError {
  readonly stage: string;
  readonly requiredStage: string;

  constructor(model: string, version: string, stage: string, requiredStage: string) {
    super(
      `Cannot promote ${model} ${version} to '${stage}': it has never been in '${requiredStage}'.`,
      {
        hint: `Promote it to '${requiredStage}' first: ghml model promote ${model} ${version} ${requiredStage}`,
      },
    );
    this.name = 'StageOrderError';
    this.stage = stage;
    this.requiredStage = requiredStage;
  }
}

/** Registering a version that already has a tag (registered, deregistered or pending). */
export class VersionExistsError extends GhmlError {
  readonly model: string;
  readonly version: string;

  constructor(model: string, version: string, hint?: string) {
    super(`Version ${version} of model '${model}' already exists.`, {
      hint: hint ?? `Pick a new version, or use --bump major|minor|patch.`,
    });
    this.name = 'VersionExistsError';
    this.model = model;
    this.version = version;
  }
}

/** A model, version or stage the registry does not hold. */
export class RegistryLookupError extends GhmlError {
  /** What was looked up, e.g. 'churn@v1.2.3' or 'churn#prod'. */
  readonly reference: string;

  constructor(reference: string, message: string, hint: string) {
    super(message, { hint });
    this.name = 'RegistryLookupError';
    this.reference = reference;
  }
}

/** Which registry rule an operation would break. */
export type RegistryRule =
  | 'deregistered'
  | 'already-in-stage'
  | 'already-deprecated'
  | 'commit-has-version'
  | 'clock-behind'
  | 'not-lightweight'
  | 'not-adoptable'
  | 'bad-arguments';

/** An operation the registry's current state does not allow. */
export class RegistryRuleError extends GhmlError {
  readonly rule: RegistryRule;

  constructor(rule: RegistryRule, message: string, hint: string) {
    super(message, { hint, exitCode: rule === 'bad-arguments' ? 2 : 1 });
    this.name = 'RegistryRuleError';
    this.rule = rule;
  }
}

/** Another writer pushed the same tag first; the local tag was removed again. */
export class TagConflictError extends GhmlError {
  readonly tag: string;

  constructor(tag: string, hint: string) {
    super(`Tag '${tag}' was pushed by someone else first; nothing was changed here.`, { hint });
    this.name = 'TagConflictError';
    this.tag = tag;
  }
}

/** Pushing a tag failed for another reason (network, permissions); the local tag was removed. */
export class TagPushError extends GhmlError {
  readonly tag: string;
  readonly remote: string;

  constructor(tag: string, remote: string, detail: string) {
    super(`Could not push tag '${tag}' to '${remote}': ${detail}`, {
      hint: 'Check access to the remote (a token with contents: write in Actions), then retry.',
    });
    this.name = 'TagPushError';
    this.tag = tag;
    this.remote = remote;
  }
}

/** `git for-each-ref` printed something the reader cannot parse. */
export class RegistryReadError extends GhmlError {
  constructor(detail: string) {
    super(`Could not read the registry tags: ${detail}`, {
      hint: 'Check the repository with git fsck; please report this if it persists.',
    });
    this.name = 'RegistryReadError';
  }
}
