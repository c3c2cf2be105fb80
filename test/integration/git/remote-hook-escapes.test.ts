/**
 * L7: what a remote's hooks print reaches the user without terminal escapes, through the tag
 * push of the registry and through every git error message (summarizeStderr).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import { GitCommandError } from '../../../src/git/git-errors.js';
import { TagStore } from '../../../src/registry/tags/tag-store.js';
import { cleanupTempDirs, git, makeBareRemote, makeRepo } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

/** A bare origin whose pre-receive hook paints its refusal red and sets the window title. */
function hostileOrigin(): string {
  const origin = makeBareRemote();
  const hook = join(origin, 'hooks', 'pre-receive');
  writeFileSync(
    hook,
    "#!/bin/sh\nprintf '\\033[31mDENIED\\033[0m by \\033]0;pwned\\007policy\\n' >&2\nexit 1\n",
  );
  chmodSync(hook, 0o755);
  return origin;
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const ESC = /[\u001b\u0007\u009b]/u;

describe('remote hook messages', () => {
  it('reach a tag push refusal without terminal escapes', async () => {
    const repo = makeRepo();
    git(repo, 'remote', 'add', 'origin', `file://${hostileOrigin()}`);
    git(repo, 'tag', 'model@v1.0.0');
    const tags = new TagStore(await createGit(repo), 'origin');
    const outcome = await tags.push('model@v1.0.0');
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.detail).toContain('the remote said: DENIED by policy');
    expect(outcome.detail).not.toMatch(ESC);
    expect(outcome.detail).not.toContain('[31m');
  });

  it('reach a git error message without terminal escapes', async () => {
    const repo = makeRepo();
    git(repo, 'remote', 'add', 'origin', `file://${hostileOrigin()}`);
    const g = await createGit(repo);
    const error = await g.exec(['push', 'origin', 'main']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GitCommandError);
    const message = (error as GitCommandError).message;
    expect(message).toContain('DENIED by policy');
    expect(message).not.toMatch(ESC);
    expect(message).not.toContain('[31m');
  });
});
