/**
 * The git operations of the registry: create and delete tags locally, fetch and push them.
 * Every call goes through GitRunner with argument arrays; tag names are validated before.
 */
import { fallbackIdentity, IDENTITY_MISSING } from '../../git/fallback-identity.js';
import type { GitRunner } from '../../git/git-runner.js';
import { stripTerminalEscapes } from '../../text/plain-text.js';
import { RegistryLookupError, TagConflictError, TagPushError } from '../registry-errors.js';

/** How a push of one tag ended. */
export type PushOutcome = { ok: true } | { ok: false; conflict: boolean; detail: string };

export class TagStore {
  constructor(
    private readonly git: GitRunner,
    /** Name of the remote tags are pushed to. */
    readonly remote: string,
  ) {}

  /** True when the repository has the configured remote. */
  async hasRemote(): Promise<boolean> {
    const result = await this.git.tryExec(['remote']);
    if (result.exitCode !== 0) return false;
    return result.stdout.split('\n').some((line) => line.trim() === this.remote);
  }

  /**
   * Fetches the remote's tags without overwriting local ones. Returns a warning when some tags
   * could not be updated (e.g. a local lightweight tag the remote has as an annotated one).
   */
  async fetchTags(): Promise<string | undefined> {
    const result = await this.git.tryExec([
      'fetch',
      '--quiet',
      '--no-tags',
      this.remote,
      'refs/tags/*:refs/tags/*',
    ]);
    if (result.exitCode === 0) return undefined;
    return `Could not fetch every tag from '${this.remote}': ${lastLine(result.stderr)}`;
  }

  /** The full sha of the commit `rev` names. */
  async resolveCommit(rev: string): Promise<string> {
    const result = await this.git.tryExec([
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${rev}^{commit}`,
    ]);
    const sha = result.stdout.trim();
    if (result.exitCode !== 0 || sha === '') {
      throw new RegistryLookupError(
        rev,
        `Commit '${rev}' was not found in this repository.`,
        'Pass a commit sha, branch or tag that exists here (fetch it first in a shallow clone).',
      );
    }
    return sha;
  }

  /**
   * Creates (or with `force` replaces) an annotated tag; returns the tag object's sha. The
   * tagger comes from git config; `date` (unix seconds) overrides the tagger date.
   */
  async createAnnotated(
    tag: string,
    commit: string,
    message: string,
    options: { force?: boolean; date?: number } = {},
  ): Promise<string> {
    const args = ['tag', '-a', '--no-sign', '--cleanup=whitespace', '-F', '-'];
    if (options.force) args.push('-f');
    const env: Record<string, string> =
      options.date === undefined ? {} : { GIT_COMMITTER_DATE: `${options.date} +0000` };
    const first = await this.git.tryExec([...args, tag, commit], { input: message, env });
    if (first.exitCode !== 0) {
      if (!IDENTITY_MISSING.test(first.stderr)) {
        // Rerun to raise git's own typed error with its message.
        await this.git.exec([...args, tag, commit], { input: message, env });
      }
      // A fresh CI runner has no git identity: tag as the workflow's actor.
      const { name, email } = fallbackIdentity(process.env);
      await this.git.exec([...args, tag, commit], {
        input: message,
        env: { ...env, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email },
      });
    }
    return (await this.git.exec(['rev-parse', '--verify', `refs/tags/${tag}`])).trim();
  }

  /** Deletes a local tag, only if it still names `expected` (so a newer tag is never lost). */
  async deleteLocal(tag: string, expected: string): Promise<void> {
    await this.git.tryExec(['update-ref', '-d', `refs/tags/${tag}`, expected]);
  }

  /** Points a local tag at `target` again (used to restore a lightweight tag). */
  async setLocal(tag: string, target: string, expected: string): Promise<void> {
    await this.git.tryExec(['update-ref', `refs/tags/${tag}`, target, expected]);
  }

  /** The object the remote's tag names, or undefined when the remote has no such tag. */
  async remoteTagObject(tag: string): Promise<string | undefined> {
    const out = await this.git.exec(['ls-remote', '--tags', this.remote, `refs/tags/${tag}`]);
    for (const line of out.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (ref === `refs/tags/${tag}` && sha) return sha;
    }
    return undefined;
  }

  private async tryRemoteTagObject(tag: string): Promise<string | undefined> {
    try {
      return await this.remoteTagObject(tag);
    } catch {
      return undefined;
    }
  }

  /**
   * Pushes one tag. Without `lease` the push never overwrites a remote tag; with `lease`, only
   * a remote tag that still names `lease` is replaced (--force-with-lease on that one ref).
   */
  async push(tag: string, lease?: string): Promise<PushOutcome> {
    const ref = `refs/tags/${tag}`;
    const args = ['push', '--porcelain', '--no-verify'];
    if (lease !== undefined) args.push(`--force-with-lease=${ref}:${lease}`);
    const result = await this.git.tryExec([...args, this.remote, `${ref}:${ref}`]);
    if (result.exitCode === 0) return { ok: true };
    const rejected = result.stdout
      .split('\n')
      .find((line) => line.startsWith('!') && line.includes(ref));
    const conflict =
      rejected !== undefined &&
      /\((already exists|stale info|fetch first|non-fast-forward)\)/.test(rejected);
    // What the remote says (its hooks' output) is shown, inert: no terminal escapes.
    const reason = stripTerminalEscapes(rejected?.split('\t').at(-1) ?? lastLine(result.stderr));
    const said = remoteSaid(result.stderr);
    const detail = said === '' ? reason : `${reason}; the remote said: ${said}`;
    return { ok: false, conflict, detail };
  }

  /**
   * Pushes a freshly created tag; on failure removes the local tag again and throws
   * TagConflictError (someone pushed it first) or TagPushError.
   */
  async pushOrRollBack(tag: string, object: string, conflictHint: string): Promise<void> {
    const outcome = await this.push(tag);
    if (outcome.ok) return;
    // Two pushes at the same instant can fail on the remote's ref lock rather than report
    // "already exists": ask the remote what the tag is now.
    const now = await this.tryRemoteTagObject(tag);
    if (now === object) return;
    await this.deleteLocal(tag, object);
    if (outcome.conflict || now !== undefined) throw new TagConflictError(tag, conflictHint);
    throw new TagPushError(tag, this.remote, outcome.detail);
  }
}

/** The remote's own lines (`remote: …`, hook output), without terminal escapes, joined. */
function remoteSaid(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('remote: '))
    .map((l) => stripTerminalEscapes(l.slice(8)).trim())
    .filter((l) => l !== '')
    .slice(0, 5)
    .join(' / ');
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.at(-1) ?? 'unknown error';
}
