/**
 * After a write (a run, an event), push it when the repository has the tracking remote. A
 * failed push never throws: the entry stays queued on the local branch for `ghml push`, and
 * the caller gets one line saying why.
 */
import type { GhmlConfig } from '../config/config-types.js';
import { GhmlError } from '../errors/ghml-error.js';
import type { Git } from '../git/git.js';
import type { PushResult, TrackingStore } from './store/tracking-store.js';

export interface PushOutcome {
  /** Set when the push went out (to the branch or the inbox). */
  pushed: PushResult | null;
  /** Why nothing (or not everything) was pushed; the entries stay queued locally. */
  problem: string | null;
}

/** Pushes `store`'s queue when `push` is set and the remote exists; never throws. */
export async function pushAfterWrite(
  git: Git,
  store: TrackingStore,
  config: GhmlConfig,
  push: boolean,
): Promise<PushOutcome> {
  const { remote, branch } = config.tracking;
  if (!push) return { pushed: null, problem: 'not pushed (--no-push): run `ghml push` to send it' };
  if (!(await git.hasRemote(remote))) {
    return {
      pushed: null,
      problem: `no remote '${remote}': kept on the local ${branch} branch`,
    };
  }
  try {
    return { pushed: await store.push(), problem: null };
  } catch (error) {
    const hint = error instanceof GhmlError && error.hint ? ` (${error.hint})` : '';
    return { pushed: null, problem: `${(error as Error).message}${hint}` };
  }
}
