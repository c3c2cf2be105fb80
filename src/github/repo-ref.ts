/** `owner/name` repository references, as in `GITHUB_REPOSITORY` or `--repo`. */
import { UsageError } from '../errors/ghml-error.js';

/** A repository on GitHub. */
export interface RepoRef {
  owner: string;
  repo: string;
}

// GitHub logins: letters, digits and single inner hyphens, at most 39 characters.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
// Repository names: letters, digits, '.', '-', '_', at most 100 characters; not '.' or '..'.
const NAME = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;

/** A repository reference that is not `owner/name`. */
export class InvalidRepositoryError extends UsageError {
  constructor(readonly value: string) {
    super(`Invalid repository '${value}': expected 'owner/name'.`, {
      hint: "use the repository's full name as on GitHub, e.g. 'octo-org/ml-models'",
    });
    this.name = 'InvalidRepositoryError';
  }
}

/** Parses `owner/name`; undefined when it is not a valid GitHub repository name. */
export function tryParseRepository(value: string): RepoRef | undefined {
  const parts = value.trim().split('/');
  if (parts.length !== 2) return undefined;
  const [owner = '', repo = ''] = parts;
  if (!OWNER.test(owner) || !NAME.test(repo)) return undefined;
  return { owner, repo };
}

/** Parses `owner/name`, throwing {@link InvalidRepositoryError} when it is not valid. */
export function parseRepository(value: string): RepoRef {
  const ref = tryParseRepository(value);
  if (ref === undefined) throw new InvalidRepositoryError(value);
  return ref;
}

/** `owner/name` again. */
export function formatRepository(ref: RepoRef): string {
  return `${ref.owner}/${ref.repo}`;
}
