/**
 * Who commits and tags when the repository has no user.name/user.email, as on a fresh CI
 * runner: on GitHub Actions the user who triggered the workflow (GITHUB_ACTOR, with GitHub's
 * noreply address), so tags keep "who" for the audit trail; elsewhere a ghml identity.
 */
import type { GitIdentity } from './git.js';

export function fallbackIdentity(env: NodeJS.ProcessEnv): GitIdentity {
  const actor = env.GITHUB_ACTOR;
  if (actor && /^[A-Za-z0-9][A-Za-z0-9-]*(\[bot\])?$/.test(actor)) {
    const id =
      env.GITHUB_ACTOR_ID && /^\d+$/.test(env.GITHUB_ACTOR_ID) ? `${env.GITHUB_ACTOR_ID}+` : '';
    return { name: actor, email: `${id}${actor}@users.noreply.github.com` };
  }
  return { name: 'ghml', email: 'ghml@users.noreply.github.com' };
}

/** git's message when it has no identity to write with. */
export const IDENTITY_MISSING =
  /Please tell me who you are|unable to auto-detect email|empty ident name/i;
