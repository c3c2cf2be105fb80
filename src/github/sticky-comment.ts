/**
 * One comment per PR and marker that ghml keeps up to date ("sticky").
 *
 * Algorithm:
 * 1. Learn the token's login (see token-identity.ts) and list every comment on the issue,
 *    100 per page, following pagination to the end.
 * 2. Ours are the comments by that login whose body STARTS with the marker line; a comment
 *    that quotes the marker anywhere else is never ours, whoever wrote it. When the login is
 *    not known (an installation token: `GET /user` answers 403, and a GitHub App writes as
 *    `<app>[bot]`, not `github-actions[bot]`), comments by any bot account that start with the
 *    marker are ours too: users cannot write as a bot, and no other bot starts a comment with
 *    ghml's marker. Once ghml creates a comment, its author is the login, used from then on
 *    in this process (other experiments' comments, the race check below).
 * 3. If ours exist, the oldest (lowest id) is the sticky one: unchanged body → no write;
 *    otherwise it is updated in place. Extra copies are deleted (see 5).
 * 4. If none exists, create it.
 * 5. Race: two jobs can both find nothing and both create. So after creating, list again —
 *    only comments updated since shortly before ours was created (`since`), so this check is
 *    one small page rather than a second walk over the whole PR; if several of ours carry the marker, keep the oldest, give it the newest comment's body when
 *    they differ, and delete the others (a 404 means the other job already deleted it). Every
 *    job converges on the same comment, so the PR ends with exactly one.
 */
import { GhmlError } from '../errors/ghml-error.js';
import type { GitHubClient } from './github-client.js';
import { GitHubApiError, NoWritePermissionError, withGitHubErrors } from './github-errors.js';
import { rememberTokenLogin, resolveTokenIdentity, type TokenIdentity } from './token-identity.js';

/** Input of {@link upsertStickyComment}. */
export interface StickyCommentOptions {
  client: GitHubClient;
  owner: string;
  repo: string;
  /** The pull request (or issue) number. */
  issueNumber: number;
  /** The hidden marker line, `<!-- ghml:<kind>:<key> -->`, already formatted and sanitized. */
  marker: string;
  /** The full comment body; it must contain `marker`. */
  body: string;
  /**
   * The login the token writes as, when `GET /user` cannot tell (e.g. `my-app[bot]`):
   * `--comment-author` / the action's `comment-author` input.
   */
  authorLogin?: string | undefined;
}

/** What {@link upsertStickyComment} did. */
export interface StickyCommentResult {
  action: 'created' | 'updated' | 'unchanged';
  /** The comment's html_url. */
  url: string;
  id: number;
}

interface CommentSummary {
  id: number;
  body: string;
  url: string;
  author: string;
}

/** The body begins with the marker line (the marker alone, or followed by a line break). */
export function startsWithMarker(body: string, marker: string): boolean {
  if (!body.startsWith(marker)) return false;
  const next = body.charAt(marker.length);
  return next === '' || next === '\n' || next === '\r';
}

export { NoWritePermissionError };

/** The body does not contain its marker, so the comment could never be found again. */
export class MarkerMissingError extends GhmlError {
  constructor(readonly marker: string) {
    super(`The sticky comment body does not start with its marker '${marker}'.`, {
      hint: 'build the body with the comment-marker helper so it starts with the marker line',
    });
    this.name = 'MarkerMissingError';
  }
}

/** How far before our comment's creation a racing job's comment may have been created. */
const RACE_WINDOW_MS = 10 * 60 * 1000;

/** Creates or updates the sticky comment; see the module comment for the algorithm. */
export async function upsertStickyComment(
  options: StickyCommentOptions,
): Promise<StickyCommentResult> {
  const { client, owner, repo, issueNumber, marker, body } = options;
  if (marker.trim() === '' || !startsWithMarker(body, marker)) {
    throw new MarkerMissingError(marker);
  }
  let identity = await resolveTokenIdentity(client, options.authorLogin);
  const ours = await findOurs(options, identity);
  const keeper = ours[0];

  if (keeper !== undefined) {
    await deleteExtras(options, ours.slice(1));
    if (keeper.body === body) return { action: 'unchanged', url: keeper.url, id: keeper.id };
    const updated = await withGitHubErrors('update the PR comment', () =>
      client.rest.issues.updateComment({ owner, repo, comment_id: keeper.id, body }),
    );
    return { action: 'updated', url: updated.data.html_url, id: keeper.id };
  }

  const created = await withGitHubErrors('post the PR comment', () =>
    client.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body }),
  );
  const mine = created.data.id;
  const author = created.data.user?.login;
  if (author !== undefined && author !== '') {
    identity = { login: author, known: true };
    rememberTokenLogin(client, author);
  }
  // Another job may have created one too: converge on the oldest, carrying the newest body.
  // A rival created it after its own walk found nothing, so within moments of ours.
  const since = new Date(Date.parse(created.data.created_at) - RACE_WINDOW_MS).toISOString();
  const after = await findOurs(options, identity, since);
  const oldest = after[0];
  const newest = after[after.length - 1];
  if (oldest === undefined || newest === undefined) {
    return { action: 'created', url: created.data.html_url, id: mine };
  }
  let url = oldest.url;
  if (oldest.body !== newest.body) {
    const updated = await withGitHubErrors('update the PR comment', () =>
      client.rest.issues.updateComment({ owner, repo, comment_id: oldest.id, body: newest.body }),
    );
    url = updated.data.html_url;
  }
  await deleteExtras(options, after.slice(1));
  return { action: oldest.id === mine ? 'created' : 'updated', url, id: oldest.id };
}

/** Our comments starting with the marker, oldest first. */
async function findOurs(
  options: StickyCommentOptions,
  identity: TokenIdentity,
  since?: string,
): Promise<CommentSummary[]> {
  const { client, owner, repo, issueNumber, marker } = options;
  const ours: CommentSummary[] = [];
  await withGitHubErrors('list the PR comments', async () => {
    const pages = client.paginate.iterator(client.rest.issues.listComments, {
      owner,
      repo,
      issue_number: issueNumber,
      per_page: 100,
      ...(since === undefined ? {} : { since }),
    });
    for await (const page of pages) {
      for (const comment of page.data) {
        const author = comment.user?.login;
        if (author === undefined) continue;
        const mine = author === identity.login || (!identity.known && comment.user?.type === 'Bot');
        if (!mine || comment.body === undefined || !startsWithMarker(comment.body, marker)) {
          continue;
        }
        ours.push({ id: comment.id, body: comment.body, url: comment.html_url, author });
      }
    }
  });
  return ours.sort((a, b) => a.id - b.id);
}

async function deleteExtras(
  options: StickyCommentOptions,
  extras: CommentSummary[],
): Promise<void> {
  const { client, owner, repo } = options;
  for (const extra of extras) {
    try {
      await withGitHubErrors('delete a duplicate PR comment', () =>
        client.rest.issues.deleteComment({ owner, repo, comment_id: extra.id }),
      );
    } catch (error) {
      // The other job got there first.
      if (!(error instanceof GitHubApiError && error.status === 404)) throw error;
    }
  }
}
