/**
 * Names in the distribution API and ghml's repository layout under a store's prefix:
 *   <prefix>/runs               one manifest per run, tagged with the run id
 *   <prefix>/models/<model>     model versions: tags such as v1.3.0 on a run's manifest
 *   <prefix>/modelcars/<model>  KServe modelcar images, tagged like the version
 * Every repository, tag and digest is checked before it becomes part of a URL, so nothing read
 * from a file or a registry can steer a request to another path.
 */
import { REPOSITORY_PATH } from '../../config/artifact-store-url.js';
import { UsageError } from '../../errors/ghml-error.js';

/** An OCI tag: the distribution spec's grammar. */
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** A sha256 digest as the registry spells it. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `sha256:<hex>` from a bare hex digest. */
export function toDigest(sha256: string): string {
  return `sha256:${sha256}`;
}

/** The hex of a `sha256:` digest, or undefined for any other string. */
export function digestHex(digest: string): string | undefined {
  return SHA256_DIGEST.test(digest) ? digest.slice('sha256:'.length) : undefined;
}

/** Throws unless `name` is a repository path the registry will accept. */
export function assertRepository(name: string): string {
  if (name.length > 255 || !REPOSITORY_PATH.test(name)) {
    throw new UsageError(`'${name.slice(0, 300)}' is not an OCI repository name.`, {
      hint: "use lowercase letters and digits separated by '.', '_', '__', '-' or '/' (set `artifacts.store` in ghml.yml)",
    });
  }
  return name;
}

/** Throws unless `reference` is a tag or a sha256 digest. */
export function assertReference(reference: string): string {
  if (!TAG.test(reference) && !SHA256_DIGEST.test(reference)) {
    throw new UsageError(`'${reference.slice(0, 200)}' is not an OCI tag or sha256 digest.`, {
      hint: "a tag is 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
    });
  }
  return reference;
}

function join(prefix: string, rest: string): string {
  return prefix === '' ? rest : `${prefix}/${rest}`;
}

/** The repository holding run manifests. */
export function runsRepository(prefix: string): string {
  return assertRepository(join(prefix, 'runs'));
}

/**
 * One path component of a repository for a model name: lowercase, with each run of characters
 * the grammar does not allow between letters and digits turned into '-'. GTO names may hold
 * '/' (kept as folders) and a 'dir:' prefix (a folder too).
 */
function modelPath(model: string): string {
  const parts = model
    .toLowerCase()
    .split(/[/:=]+/)
    .map((part) => part.replace(/[^a-z0-9]+/g, (run) => (/^(\.|_|__|-+)$/.test(run) ? run : '-')))
    .map((part) => part.replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, ''))
    .filter((part) => part !== '');
  if (parts.length === 0) {
    throw new UsageError(`The model name '${model.slice(0, 200)}' has no letters or digits.`, {
      hint: 'register the model under a name with letters or digits',
    });
  }
  return parts.join('/');
}

/** The repository holding a model's versions. */
export function modelRepository(prefix: string, model: string): string {
  return assertRepository(join(prefix, `models/${modelPath(model)}`));
}

/** The repository holding a model's modelcar images. */
export function modelcarRepository(prefix: string, model: string): string {
  return assertRepository(join(prefix, `modelcars/${modelPath(model)}`));
}

/**
 * The tag of a model version: the version itself, with '+' (SemVer build metadata, which
 * tags cannot hold) written as '_', as Helm does for charts in OCI registries.
 */
export function versionTag(version: string): string {
  const tag = version.replace(/\+/g, '_');
  if (!TAG.test(tag)) {
    throw new UsageError(`The version '${version.slice(0, 200)}' cannot be an OCI tag.`, {
      hint: 'use a SemVer version such as v1.2.0',
    });
  }
  return tag;
}
