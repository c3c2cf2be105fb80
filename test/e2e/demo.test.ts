/** `ghml demo`, the README's first command: the whole local tour, with no GitHub and no network. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ghmlEnv, runGhml } from '../support/run-ghml.js';
import { cleanupTempDirs, git, tempDir } from '../support/temp-repo.js';

afterAll(cleanupTempDirs);

describe('ghml demo', () => {
  it('trains twice, lists, compares, registers, promotes and renders the deploy', async () => {
    const dir = join(tempDir(), 'demo');
    // No git identity at all, as on a fresh laptop: the demo must still commit.
    const env = ghmlEnv({
      GIT_AUTHOR_NAME: undefined,
      GIT_AUTHOR_EMAIL: undefined,
      GIT_COMMITTER_NAME: undefined,
      GIT_COMMITTER_EMAIL: undefined,
      HOME: tempDir(),
    });
    const result = await runGhml(['demo', dir], { cwd: tempDir(), env });
    expect(result.code, result.stderr).toBe(0);

    // Two runs, then the register and promote events recorded on the second run.
    const subjects = git(dir, 'log', '--format=%s', 'ghml/runs').split('\n');
    expect(subjects.filter((s) => s.startsWith('run '))).toHaveLength(2);
    expect(subjects).toHaveLength(4);
    expect(result.stdout).toMatch(/\| n\\_estimators \| 10 \| 50 \|/);
    expect(result.stdout).toMatch(/log_loss\s+1\.2296\s+0\.1430/);
    expect(git(dir, 'tag', '--list')).toBe('iris#prod#1\niris@v0.0.1');
    expect(git(dir, 'cat-file', '-t', 'iris@v0.0.1')).toBe('tag');
    expect(result.stdout).toContain('versions:   iris@v0.0.1 (prod)');
    expect(result.stdout).toContain('kind: Deployment');
    expect(result.stderr).toContain('$ ghml deploy iris --stage prod --dry-run');
  });

  it('refuses a folder that is not empty', async () => {
    const dir = tempDir();
    git(dir, 'init', '-q');
    const result = await runGhml(['demo', dir], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is not empty/);
  });
});
