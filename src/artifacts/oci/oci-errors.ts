/**
 * Typed errors of the OCI registry client. Messages name the registry, the repository and what
 * was refused; hints name a fix that exists (a workflow permission, `docker login`, the
 * GHML_REGISTRY_* variables, the `artifacts.store` setting, `ghml push`). No message ever holds
 * a password, a token or an Authorization header: callers pass only names and statuses here.
 */
import { GhmlError, UsageError } from '../../errors/ghml-error.js';

/** What the caller was doing, for the scope hint: reading needs pull, writing needs push. */
export type RegistryAccess = 'pull' | 'push' | 'delete';

/** The registry refused the credentials (401) or the action (403). */
export class RegistryAuthError extends GhmlError {
  constructor(
    readonly registry: string,
    readonly repository: string,
    readonly access: RegistryAccess,
    readonly status: number,
    detail: string,
    hint: string,
  ) {
    super(
      `${registry} refused to let ghml ${access} ${repository} (HTTP ${status}${detail ? `: ${detail}` : ''}).`,
      { hint },
    );
    this.name = 'RegistryAuthError';
  }
}

/**
 * The registry could not be reached, or kept answering 5xx/429 past the retry budget. The
 * caller may queue the work (`ghml push` uploads it later).
 */
export class RegistryUnavailableError extends GhmlError {
  constructor(
    readonly registry: string,
    readonly what: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${registry} is unavailable: ${what} failed (${reason}).`, {
      hint: 'check the network and the registry, then run `ghml push` to upload what is waiting',
      ...options,
    });
    this.name = 'RegistryUnavailableError';
  }
}

/** The registry answered in a way the distribution spec does not allow here. */
export class RegistryProtocolError extends GhmlError {
  constructor(
    readonly registry: string,
    readonly what: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${registry}: ${what} got HTTP ${status}${detail ? `: ${detail}` : ''}.`, {
      hint: 'check that `artifacts.store` in ghml.yml names an OCI registry (distribution spec v2)',
    });
    this.name = 'RegistryProtocolError';
  }
}

/** A plain-HTTP URL for a registry (or realm, or redirect) that is not on this machine. */
export class InsecureRegistryError extends UsageError {
  constructor(readonly url: string) {
    super(`Refusing plain HTTP to '${url}': only loopback registries may use http.`, {
      hint: 'serve the registry over HTTPS, or reach it through localhost (e.g. an SSH tunnel or `kubectl port-forward`)',
    });
    this.name = 'InsecureRegistryError';
  }
}

/** No manifest under this tag or digest. */
export class ManifestNotFoundError extends GhmlError {
  constructor(
    readonly registry: string,
    readonly repository: string,
    readonly reference: string,
  ) {
    super(`${registry}/${repository} has no manifest '${reference}'.`, {
      hint: 'if the run was recorded offline, upload it with `ghml push`; check `artifacts.store` in ghml.yml',
    });
    this.name = 'ManifestNotFoundError';
  }
}

/** A manifest names a blob the registry does not have. */
export class MissingBlobError extends GhmlError {
  constructor(
    readonly registry: string,
    readonly repository: string,
    readonly digest: string,
    readonly path: string | undefined,
  ) {
    super(
      `${registry}/${repository} has no blob ${digest}${path === undefined ? '' : ` for '${path}'`}, though a manifest names it.`,
      {
        hint: 'the store lost the file (deleted or garbage-collected); upload it again from a machine that has it with `ghml push`',
      },
    );
    this.name = 'MissingBlobError';
  }
}

/** The manifest read from the store is not one ghml can use (not JSON, wrong type, bad paths). */
export class InvalidManifestError extends GhmlError {
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where} is not a ghml manifest: ${problem}.`, {
      hint: 'the tag was written by another tool; check `artifacts.store` in ghml.yml',
    });
    this.name = 'InvalidManifestError';
  }
}

/** The registry does not support an operation (e.g. manifest deletion is disabled). */
export class RegistryUnsupportedError extends GhmlError {
  constructor(
    readonly registry: string,
    readonly what: string,
    hint: string,
  ) {
    super(`${registry} does not support ${what}.`, { hint });
    this.name = 'RegistryUnsupportedError';
  }
}

/** A model version tag already points at other content; registered versions never move. */
export class VersionTagConflictError extends GhmlError {
  constructor(
    readonly reference: string,
    readonly existing: string,
    readonly wanted: string,
  ) {
    super(`${reference} already points at ${existing}, not ${wanted}.`, {
      hint: 'a registered version is immutable: register a new version with `ghml model register --bump`',
    });
    this.name = 'VersionTagConflictError';
  }
}
