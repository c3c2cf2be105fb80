/**
 * A run whose run.json would pass 40 MiB (docs/storage-format.md, "Limits") is refused after
 * training, and must not wedge the clone: its open folder moves to .git/ghml/dropped/<run-id>/
 * with a one-line error naming it, and later `ghml run`s record and push as usual.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, git, makeBareRemote, makeRepo } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

/** Logs 9,000 tags of 5,000 characters each: a 43 MB run.json. */
const HUGE_TAGS = `const fs = require('node:fs');
const value = 'x'.repeat(5000);
let out = '';
for (let i = 0; i < 9000; i++) out += JSON.stringify({ type: 'tag', key: 't' + i, value }) + '\\n';
fs.appendFileSync(process.env.GHML_EVENTS, out);`;

describe('a run too large for the branch', () => {
  it('is moved to .git/ghml/dropped with a one-line error, and later runs are not blocked', async () => {
    const origin = makeBareRemote();
    const repo = makeRepo();
    git(repo, 'remote', 'add', 'origin', `file://${origin}`);
    git(repo, 'push', '-q', 'origin', 'main');

    const big = await runGhml(['run', '--', process.execPath, '-e', HUGE_TAGS], {
      cwd: repo,
      env: ghmlEnv(),
    });
    expect(big.code, big.stderr).not.toBe(0);
    const id = /run ([0-9A-Z]{26}) started/.exec(big.stderr)?.[1] ?? '';
    expect(id).not.toBe('');
    const dropped = join(repo, '.git', 'ghml', 'dropped', id);
    const errorLine = big.stderr.split('\n').find((l) => l.includes('over the 40 MiB'));
    expect(errorLine).toContain(`run ${id}'s record (run.json) would be`);
    expect(errorLine).toContain(`its files were moved to ${dropped}`);
    expect(big.stderr).toContain('log fewer or shorter params and tags');
    expect(existsSync(join(dropped, 'events.jsonl'))).toBe(true);
    expect(existsSync(join(dropped, 'session.json'))).toBe(true);
    const openRoot = join(repo, '.git', 'ghml', 'open');
    expect(existsSync(openRoot) ? readdirSync(openRoot) : []).toEqual([]);

    // The next run records and pushes, and nothing retries the refused one.
    const next = await runGhml(['run', '--', 'true'], { cwd: repo, env: ghmlEnv() });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toContain(id);
    const pushed = await runGhml(['push'], { cwd: repo, env: ghmlEnv() });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).not.toContain(id);
    const list = await runGhml(['runs', 'list', '--json'], { cwd: repo, env: ghmlEnv() });
    const ids = (JSON.parse(list.stdout) as Array<{ id: string }>).map((r) => r.id);
    expect(ids).toHaveLength(1);
    expect(ids).not.toContain(id);
    expect(git(origin, 'ls-tree', '-r', '--name-only', 'ghml/runs')).toContain(
      `/${ids[0]}/run.json`,
    );
  }, 120_000);
});
