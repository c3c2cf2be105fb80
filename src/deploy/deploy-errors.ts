/**
 * Typed errors of `ghml deploy`. Each quotes the bad value and says what to do next.
 */
import { GhmlError, UsageError } from '../errors/ghml-error.js';

/** `kubectl` is not on PATH (or not executable). */
export class KubectlNotFoundError extends GhmlError {
  constructor(readonly binary: string) {
    super(`kubectl was not found: '${binary}' is not on PATH.`, {
      hint:
        'Install kubectl (https://kubernetes.io/docs/tasks/tools/), or run with --dry-run to ' +
        'print the manifests without a cluster.',
    });
    this.name = 'KubectlNotFoundError';
  }
}

/** kubectl could not reach the cluster's API server. */
export class ClusterUnreachableError extends GhmlError {
  constructor(
    readonly context: string | null,
    readonly detail: string,
  ) {
    super(
      `Cannot reach the Kubernetes cluster${context === null ? '' : ` of context '${context}'`}: ${detail}`,
      {
        hint:
          'Check KUBECONFIG and the context (kubectl config current-context), that the cluster ' +
          'is up and reachable from here, or use --dry-run.',
      },
    );
    this.name = 'ClusterUnreachableError';
  }
}

/** The kubeconfig has no context of that name. */
export class UnknownContextError extends UsageError {
  constructor(readonly context: string) {
    super(`The kubeconfig has no context '${context}'.`, {
      hint: 'List the contexts with: kubectl config get-contexts (and check KUBECONFIG).',
    });
    this.name = 'UnknownContextError';
  }
}

/** Any other failed kubectl command. */
export class KubectlError extends GhmlError {
  constructor(
    readonly args: readonly string[],
    /** kubectl's exit status (null when it was killed). */
    readonly status: number | null,
    readonly stderr: string,
    hint?: string,
  ) {
    super(`kubectl ${args.join(' ')} failed: ${stderr.trim() || `exit status ${String(status)}`}`, {
      hint: hint ?? 'Run the same kubectl command with -v=6 to see the API calls.',
    });
    this.name = 'KubectlError';
  }
}

/** A `--timeout` value that is not a duration. */
export class InvalidDurationError extends UsageError {
  constructor(readonly value: string) {
    super(`Invalid timeout '${value}': expected a duration such as 300s, 5m or 1m30s.`, {
      hint: 'Use whole seconds, minutes or hours: 90s, 5m, 1h.',
    });
    this.name = 'InvalidDurationError';
  }
}

/** The template directory does not exist or holds no manifests. */
export class TemplateDirectoryError extends UsageError {
  constructor(
    readonly directory: string,
    problem: string,
  ) {
    super(`Template directory '${directory}' ${problem}.`, {
      hint:
        "Set deploy.<stage>.templates in ghml.yml to 'deployment', 'kserve', 'kserve-mlflow' or a folder of " +
        '*.yaml manifests inside the repository.',
    });
    this.name = 'TemplateDirectoryError';
  }
}

/** A template that is not valid YAML, or not a list of Kubernetes objects. */
export class TemplateSyntaxError extends UsageError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    problem: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${problem}`, {
      hint: 'Each YAML document must be one Kubernetes object with apiVersion, kind and metadata.name.',
    });
    this.name = 'TemplateSyntaxError';
  }
}

/** A `${ghml.*}` placeholder that ghml does not know. */
export class UnknownPlaceholderError extends UsageError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly placeholder: string,
    known: readonly string[],
  ) {
    super(
      `${file}${line === undefined ? '' : `:${line}`}: unknown placeholder '\${ghml.${placeholder}}'.`,
      { hint: `Known placeholders: ${known.map((k) => `\${ghml.${k}}`).join(', ')}.` },
    );
    this.name = 'UnknownPlaceholderError';
  }
}

/** The version's artifact cannot be fetched by the cluster (no URI, a local file, no digest). */
export class ArtifactNotDeployableError extends GhmlError {
  constructor(
    readonly reference: string,
    problem: string,
  ) {
    super(`${reference}: ${problem}`, {
      hint:
        'Register the model with a GitHub release asset (ghml model register uploads it), so ' +
        'the cluster can download it by URL; --dry-run still prints the manifests.',
    });
    this.name = 'ArtifactNotDeployableError';
  }
}

/** The stage or version has nothing ghml can deploy (no version, a bare commit). */
export class NothingToDeployError extends GhmlError {
  constructor(
    readonly reference: string,
    message: string,
    hint: string,
  ) {
    super(message, { hint });
    this.name = 'NothingToDeployError';
  }
}

/** Another deploy of the same model and stage holds the lock. */
export class DeployLockedError extends GhmlError {
  constructor(
    readonly lease: string,
    readonly holder: string,
    readonly since: string | undefined,
  ) {
    super(
      `Another deploy of this model and stage is in progress: Lease '${lease}' is held by ` +
        `'${holder}'${since === undefined ? '' : ` since ${since}`}.`,
      {
        hint:
          'Wait for it to finish and run the command again. Workflows serialise deploys with ' +
          "the concurrency group 'ghml-deploy-<model>-<stage>'. A lock left by a crashed deploy " +
          `expires by itself, or remove it: kubectl delete lease ${lease}`,
      },
    );
    this.name = 'DeployLockedError';
  }
}

/** `ghml deploy rollback` found no earlier version to go back to. */
export class NoPreviousDeploymentError extends GhmlError {
  constructor(
    readonly model: string,
    readonly stage: string,
    reason: string,
  ) {
    super(`Cannot roll back ${model} in stage '${stage}': ${reason}`, {
      hint: `Deploy a version explicitly: ghml deploy ${model} --stage ${stage} --version vX.Y.Z`,
    });
    this.name = 'NoPreviousDeploymentError';
  }
}
