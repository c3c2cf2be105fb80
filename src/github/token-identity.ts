/**
 * Which account the client's token writes as, so ghml can recognise its own comments.
 * `GET /user` answers for personal tokens; installation tokens (Actions' `GITHUB_TOKEN`, a
 * GitHub App's token) get 403 there, so their login is unknown until the user names it
 * (`--comment-author`, the action's `comment-author` input) or ghml learns it from the author
 * of a comment it created (remembered per client for the rest of the process).
 */
import { UsageError } from '../errors/ghml-error.js';
import type { GitHubClient } from './github-client.js';
import { isRequestError, RateLimitError, toGitHubError } from './github-errors.js';

/** The author of everything Actions' `GITHUB_TOKEN` writes. */
export const GITHUB_ACTIONS_LOGIN = 'github-actions[bot]';

/** Who the token writes as. */
export interface TokenIdentity {
  login: string;
  /**
   * False when `GET /user` refused an installation token and `login` is only the likely
   * `github-actions[bot]`: the token may be a GitHub App's, writing as `<app>[bot]`.
   */
  known: boolean;
}

const learned = new WeakMap<GitHubClient, string>();

/** Remembers the login the token was seen writing as (e.g. the author of a created comment). */
export function rememberTokenLogin(client: GitHubClient, login: string): void {
  if (login.trim() !== '') learned.set(client, login);
}

/**
 * The identity the token acts as: `override` when given (e.g. `my-app[bot]`), else a login
 * learned earlier in this process, else `GET /user`, else — when GitHub refuses `/user` to an
 * installation token with 403 — `github-actions[bot]`, marked as not known.
 */
export async function resolveTokenIdentity(
  client: GitHubClient,
  override?: string,
): Promise<TokenIdentity> {
  if (override !== undefined && override.trim() !== '') {
    return { login: override.trim(), known: true };
  }
  const seen = learned.get(client);
  if (seen !== undefined) return { login: seen, known: true };
  try {
    const { data } = await client.rest.users.getAuthenticated();
    rememberTokenLogin(client, data.login);
    return { login: data.login, known: true };
  } catch (error) {
    // A rate limit is not an answer about identity; any other 403 is.
    if (
      isRequestError(error) &&
      error.status === 403 &&
      !(toGitHubError(error) instanceof RateLimitError)
    ) {
      return { login: GITHUB_ACTIONS_LOGIN, known: false };
    }
    throw toGitHubError(error, 'learn which account the token belongs to');
  }
}

/** A GitHub login: letters, digits and single '-', up to 39; apps add `[bot]`. */
const LOGIN = /^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}(?:\[bot\])?$/;

/** `--comment-author` / `comment-author` is not a GitHub login. */
export class InvalidLoginError extends UsageError {
  readonly value: string;

  constructor(
    readonly option: string,
    value: string,
  ) {
    super(`Invalid ${option} '${value.slice(0, 80)}': not a GitHub login.`, {
      hint: `give the account the token writes as, e.g. '${option} my-app[bot]' for a GitHub App named my-app`,
    });
    this.name = 'InvalidLoginError';
    this.value = value;
  }
}

/** The comment-author override as given, checked; undefined when empty. */
export function parseCommentAuthor(value: string | undefined, option: string): string | undefined {
  const login = value?.trim() ?? '';
  if (login === '') return undefined;
  if (!LOGIN.test(login)) throw new InvalidLoginError(option, login);
  return login;
}
