/** Which account the client's token writes as, so ghml can recognise its own comments. */
import type { GitHubClient } from './github-client.js';
import { isRequestError, RateLimitError, toGitHubError } from './github-errors.js';

/** The author of everything Actions' `GITHUB_TOKEN` writes. */
export const GITHUB_ACTIONS_LOGIN = 'github-actions[bot]';

/**
 * The login the token acts as: `override` when given (e.g. `my-app[bot]` for a GitHub App
 * token), else `GET /user`, else — when GitHub refuses `/user` to an installation token with
 * 403, as it does for Actions' `GITHUB_TOKEN` — `github-actions[bot]`.
 */
export async function resolveTokenLogin(client: GitHubClient, override?: string): Promise<string> {
  if (override !== undefined && override.trim() !== '') return override.trim();
  try {
    const { data } = await client.rest.users.getAuthenticated();
    return data.login;
  } catch (error) {
    // A rate limit is not an answer about identity; any other 403 is.
    if (
      isRequestError(error) &&
      error.status === 403 &&
      !(toGitHubError(error) instanceof RateLimitError)
    ) {
      return GITHUB_ACTIONS_LOGIN;
    }
    throw toGitHubError(error, 'learn which account the token belongs to');
  }
}
