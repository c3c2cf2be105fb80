/**
 * H3 and L6 through the real CLI: a cleanup error after a run is recorded never fails the run
 * (it is on the branch, the exit status is the command's, a warning says what was left), and
 * `ghml run` itself records a run left open by a ghml process that died as KILLED.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, describe, expect, it } from 'vitest';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, git, makeRepo, tempDir } from '../../support/temp-repo.js';

const held: string[] = [];
afterAll(() => {
  for (const dir of held) spawnSync('chattr', ['-i', dir]);
  cleanupTempDirs();
});

/** True when this machine lets the test make a folder immutable (root with CAP_LINUX_IMMUTABLE). */
function canHoldFolders(): boolean {
  const dir = join(tempDir(), 'probe');
  mkdirSync(dir);
  const ok = spawnSync('chattr', ['+i', dir]).status === 0;
  if (ok) spawnSync('chattr', ['-i', dir]);
  return ok;
}

async function listRuns(repo: string): Promise<Array<{ id: string; status: string }>> {
  const result = await runGhml(['runs', 'list', '--json'], { cwd: repo, env: ghmlEnv() });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Array<{ id: string; status: string }>;
}

describe('after a run is recorded', () => {
  it.skipIf(!canHoldFolders())(
    'a folder that cannot be removed is a warning; the run is recorded and the exit status is the command’s',
    async () => {
      const repo = makeRepo();
      // The training leaves a folder in its artifacts that nothing may delete (immutable).
      const script =
        'mkdir -p "$GHML_ARTIFACTS_DIR/held" && echo x > "$GHML_ARTIFACTS_DIR/held/f" && chattr +i "$GHML_ARTIFACTS_DIR/held" && exit 3';
      const result = await runGhml(['run', '--no-push', '--', 'sh', '-c', script], {
        cwd: repo,
        env: ghmlEnv(),
      });
      const id = /run ([0-9A-Z]{26}) started/.exec(result.stderr)?.[1] ?? '';
      held.push(join(repo, '.git', 'ghml', 'open', id, 'artifacts', 'held'));
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toContain(`ghml: warning: run ${id} is recorded, but its open folder`);
      const runs = await listRuns(repo);
      expect(runs.map((r) => [r.id, r.status])).toEqual([[id, 'FAILED']]);
    },
  );
});

describe('a run left open by a ghml that died', () => {
  it('is recorded as KILLED by the next ghml run', async () => {
    const repo = makeRepo();
    const head = git(repo, 'rev-parse', 'HEAD');
    // A process that has exited: its pid is dead.
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid as number;
    const id = ulid();
    const folder = join(repo, '.git', 'ghml', 'open', id);
    mkdirSync(join(folder, 'artifacts'), { recursive: true });
    writeFileSync(
      join(folder, 'events.jsonl'),
      `${JSON.stringify({ type: 'metric', key: 'loss', value: 0.5, step: 0 })}\n`,
    );
    writeFileSync(
      join(folder, 'session.json'),
      JSON.stringify({
        id,
        experiment: 'iris',
        name: null,
        startTime: Date.now() - 1000,
        source: { commit: head, branch: 'main', dirty: false },
        github: null,
        params: { lr: '0.1' },
        cwd: repo,
        paramsFiles: [],
        metricsFiles: [],
        pid: dead,
        host: hostname(),
      }),
    );
    const result = await runGhml(['run', '--no-push', '--', 'true'], {
      cwd: repo,
      env: ghmlEnv(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `ghml: run ${id} was left open by a ghml process that is gone: recording it as KILLED`,
    );
    const runs = await listRuns(repo);
    expect(runs.find((r) => r.id === id)?.status).toBe('KILLED');
    expect(runs.filter((r) => r.status === 'FINISHED')).toHaveLength(1);
    expect(execFileSync('ls', [join(repo, '.git', 'ghml', 'open')], { encoding: 'utf8' })).toBe('');
  });
});
