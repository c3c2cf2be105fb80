import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMetricLines } from '../../../src/tracking/run-record-json.js';
import { ghmlEnv, runGhml } from '../../support/run-ghml.js';
import {
  cleanupTempDirs,
  cloneRepo,
  commitFile,
  git,
  makeBareRemote,
  makeRepo,
} from '../../support/temp-repo.js';
import { writeFormat1Branch } from '../tracking/fixtures/format1-branch.js';
import { sampleRecord, samplePoints } from '../tracking/fixtures/sample-run.js';

afterAll(cleanupTempDirs);

interface RunJson {
  id: string;
  name: string | null;
  tags: Record<string, string>;
  deleted?: boolean;
}

async function ghml(
  repo: string,
  ...args: string[]
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return runGhml(args, { cwd: repo, env: ghmlEnv() });
}

async function record(repo: string, extra: string[] = []): Promise<string> {
  const result = await ghml(repo, 'run', '--no-push', ...extra, '--', 'sh', '-c', 'echo ok');
  expect(result.code).toBe(0);
  return result.stdout.trim().split('\n').pop() as string;
}

async function ids(repo: string, ...args: string[]): Promise<string[]> {
  const result = await ghml(repo, 'runs', 'list', '--json', '--no-fetch', ...args);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as RunJson[]).map((r) => r.id).sort();
}

describe('ghml runs delete|restore|tag|rename', () => {
  let repo: string;
  let a: string;
  let b: string;
  beforeAll(async () => {
    repo = makeRepo();
    a = await record(repo);
    b = await record(repo);
  });

  it('deletes a run without rewriting history; listings hide it unless --view asks', async () => {
    const before = git(repo, 'rev-list', '--count', 'ghml/runs');
    const deleted = await ghml(repo, 'runs', 'delete', a.slice(0, 10), '--no-fetch');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`deleted run ${a} (\`ghml runs restore ${a}\` brings it back)\n`);
    expect(deleted.stderr).toContain(`no remote 'origin'`);
    expect(Number(git(repo, 'rev-list', '--count', 'ghml/runs'))).toBe(Number(before) + 1);
    expect(await ids(repo)).toEqual([b]);
    expect(await ids(repo, '--view', 'deleted')).toEqual([a]);
    expect(await ids(repo, '--view', 'all')).toEqual([a, b].sort());
    expect((await ghml(repo, 'runs', 'delete', a, '--no-fetch')).stdout).toBe(
      `run ${a} is already deleted\n`,
    );
    const restored = await ghml(repo, 'runs', 'restore', a, '--no-fetch', '--json');
    expect(JSON.parse(restored.stdout)).toMatchObject({ id: a, deleted: false, changed: true });
    expect(await ids(repo)).toEqual([a, b].sort());
    const bad = await ghml(repo, 'runs', 'list', '--view', 'some', '--no-fetch');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--view expects active, deleted or all, got 'some'`);
  });

  it('sets, changes and removes tags, and renames, with MLflow limits', async () => {
    expect((await ghml(repo, 'runs', 'tag', b, 'review', 'ok', '--no-fetch')).stdout).toBe(
      `tagged run ${b}: review=ok\n`,
    );
    await ghml(repo, 'runs', 'rename', b, 'baseline', '--no-fetch');
    const shown = JSON.parse(
      (await ghml(repo, 'runs', 'show', b, '--json', '--no-fetch')).stdout,
    ) as RunJson & {
      events: Array<{ kind: string }>;
    };
    expect(shown).toMatchObject({ name: 'baseline', tags: { review: 'ok' } });
    expect(shown.events.map((e) => e.kind)).toEqual(['run.tag', 'run.renamed']);
    await ghml(repo, 'runs', 'tag', b, 'review', '--delete', '--no-fetch');
    const after = JSON.parse(
      (await ghml(repo, 'runs', 'show', b, '--json', '--no-fetch')).stdout,
    ) as RunJson;
    expect(after.tags).toEqual({});
    const tooLong = await ghml(repo, 'runs', 'tag', b, 'k'.repeat(251), 'v', '--no-fetch');
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('tag key');
    const both = await ghml(repo, 'runs', 'tag', b, 'k', 'v', '--delete', '--no-fetch');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--delete removes tag');
    const missing = await ghml(repo, 'runs', 'delete', '01ARZ3NDEKTSV4RRFFQ69G5FAV', '--no-fetch');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no run '01ARZ3NDEKTSV4RRFFQ69G5FAV'`);
  });

  it('pushes each change like a run, so other clones see it', async () => {
    const origin = makeBareRemote();
    const seed = makeRepo();
    git(seed, 'remote', 'add', 'origin', `file://${origin}`);
    git(seed, 'push', '-q', 'origin', 'main');
    const result = await ghml(seed, 'run', '--', 'sh', '-c', 'true');
    const id = result.stdout.trim().split('\n').pop() as string;
    expect((await ghml(seed, 'runs', 'delete', id)).code).toBe(0);
    const other = cloneRepo(origin);
    const listed = await ghml(other, 'runs', 'list', '--json', '--view', 'deleted');
    expect((JSON.parse(listed.stdout) as RunJson[]).map((r) => r.id)).toEqual([id]);
  });
});

describe('ghml runs get', () => {
  it('downloads stored and large artifacts, sha256-checked, and refuses to clobber or escape', async () => {
    const repo = makeRepo();
    commitFile(repo, 'ghml.yml', 'artifacts:\n  max_file_size: 1000\n');
    const big = 'x'.repeat(5000);
    const result = await ghml(
      repo,
      'run',
      '--no-push',
      '--',
      'sh',
      '-c',
      `mkdir -p "$GHML_ARTIFACTS_DIR/model" && printf small > "$GHML_ARTIFACTS_DIR/model/config.txt" && printf '${big}' > "$GHML_ARTIFACTS_DIR/model/weights.bin" && printf notes > "$GHML_ARTIFACTS_DIR/notes.txt"`,
    );
    expect(result.code).toBe(0);
    const id = result.stdout.trim().split('\n').pop() as string;
    // The open folder is gone; the large file waits in the local content-addressed cache.
    expect(readdirSync(join(repo, '.git', 'ghml', 'open'))).toEqual([]);
    const digest = createHash('sha256').update(big).digest('hex');
    expect(
      existsSync(join(repo, '.git', 'ghml', 'objects', digest.slice(0, 2), digest.slice(2))),
    ).toBe(true);

    const got = await ghml(repo, 'runs', 'get', id, 'model', '-o', 'out', '--json', '--no-fetch');
    expect(got.code).toBe(0);
    const report = JSON.parse(got.stdout) as { files: Array<{ path: string; from: string }> };
    expect(report.files.map((f) => [f.path, f.from])).toEqual([
      ['model/config.txt', 'branch'],
      ['model/weights.bin', 'the local cache'],
    ]);
    expect(readFileSync(join(repo, 'out', 'model', 'weights.bin'), 'utf8')).toBe(big);
    expect(existsSync(join(repo, 'out', 'notes.txt'))).toBe(false);
    // Same content again: nothing to do. Different content: refused unless --force.
    expect((await ghml(repo, 'runs', 'get', id, '-o', 'out', '--no-fetch')).stdout).toContain(
      '3 file(s)',
    );
    writeFileSync(join(repo, 'out', 'notes.txt'), 'mine');
    const clobber = await ghml(repo, 'runs', 'get', id, 'notes.txt', '-o', 'out', '--no-fetch');
    expect(clobber.code).toBe(1);
    expect(clobber.stderr).toContain('exists and differs');
    expect(readFileSync(join(repo, 'out', 'notes.txt'), 'utf8')).toBe('mine');
    expect(
      (await ghml(repo, 'runs', 'get', id, 'notes.txt', '-o', 'out', '--force', '--no-fetch')).code,
    ).toBe(0);
    expect(readFileSync(join(repo, 'out', 'notes.txt'), 'utf8')).toBe('notes');
    const nothing = await ghml(repo, 'runs', 'get', id, 'nope', '--no-fetch');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain(`has no artifact 'nope'`);
  });

  it('refuses an artifact path from the branch that would leave the output folder', async () => {
    const repo = makeRepo();
    const head = git(repo, 'rev-parse', 'HEAD');
    const hostile = sampleRecord(head, {
      format: 1,
      artifacts: [{ path: '../../escape.txt', size: 1, sha256: 'a'.repeat(64), stored: false }],
    });
    writeFormat1Branch(repo, [{ record: hostile, metrics: formatMetricLines(samplePoints()) }]);
    const result = await ghml(repo, 'runs', 'get', hostile.id, '-o', 'out', '--no-fetch');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`refusing artifact path '../../escape.txt'`);
    expect(existsSync(join(repo, 'escape.txt'))).toBe(false);
    expect(existsSync(join(repo, '..', 'escape.txt'))).toBe(false);
  });
});

describe('ghml push', () => {
  it('records runs left open by a dead ghml process as KILLED and pushes them with registry tags made offline', async () => {
    const origin = makeBareRemote();
    const repo = makeRepo();
    const recorded = await record(repo);
    // A ghml process died mid-run: its open folder names a pid that no longer exists.
    const openId = '01JDQ0Z6Y8K3M4N5P6Q7R8S9T0';
    const folder = join(repo, '.git', 'ghml', 'open', openId);
    mkdirSync(join(folder, 'artifacts'), { recursive: true });
    writeFileSync(join(folder, 'events.jsonl'), '{"type":"metric","key":"loss","value":0.5}\n');
    writeFileSync(
      join(folder, 'session.json'),
      JSON.stringify({
        id: openId,
        experiment: 'default',
        name: null,
        startTime: Date.now() - 1000,
        source: { commit: git(repo, 'rev-parse', 'HEAD'), branch: 'main', dirty: false },
        github: null,
        params: {},
        cwd: repo,
        paramsFiles: [],
        metricsFiles: [],
        pid: 2 ** 22 + 12345,
        host: hostname(),
      }),
    );
    git(repo, 'tag', '-a', 'iris@v1.0.0', '-m', 'Registering iris v1.0.0');
    git(repo, 'tag', 'not-a-registry-tag');
    git(repo, 'remote', 'add', 'origin', `file://${origin}`);
    const pushed = await ghml(repo, 'push', '--json');
    expect(pushed.code).toBe(0);
    const report = JSON.parse(pushed.stdout) as {
      pushed: number;
      recordedKilled: string[];
      tags: { pushed: string[] };
    };
    expect(report).toMatchObject({
      pushed: 2,
      recordedKilled: [openId],
      tags: { pushed: ['iris@v1.0.0'] },
    });
    expect(pushed.stderr).toContain(`run ${openId} was left open by a ghml process that is gone`);
    expect(existsSync(folder)).toBe(false);
    expect(git(origin, 'tag', '--list').split('\n')).toEqual(['iris@v1.0.0']);
    const other = cloneRepo(origin);
    const runs = JSON.parse((await ghml(other, 'runs', 'list', '--json')).stdout) as Array<{
      id: string;
      status: string;
    }>;
    expect(runs.map((r) => [r.id, r.status]).sort()).toEqual(
      [
        [recorded, 'FINISHED'],
        [openId, 'KILLED'],
      ].sort(),
    );
    expect((await ghml(repo, 'push')).stdout).toBe('nothing to push: origin has every run\n');
  });

  it('names a run the remote refuses, keeps pushing the others, and --drop removes it with its files saved', async () => {
    const origin = makeBareRemote();
    const repo = makeRepo();
    git(repo, 'remote', 'add', 'origin', `file://${origin}`);
    git(repo, 'push', '-q', 'origin', 'main');
    const good = await record(repo);
    const bad = await record(repo);
    writeFileSync(
      join(origin, 'hooks', 'update'),
      `#!/bin/sh\ncase "$1" in refs/heads/*|*${bad}) echo "too big for us" >&2; exit 1;; esac\nexit 0\n`,
      { mode: 0o755 },
    );
    const refused = await ghml(repo, 'push');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`run ${bad}`);
    expect(refused.stderr).toContain('too big for us');
    expect(refused.stderr).toContain(`ghml push --drop ${bad}`);
    expect(refused.stdout).toContain('pushed 1 run(s)');
    const dropped = await ghml(repo, 'push', '--drop', bad);
    expect(dropped.code).toBe(0);
    expect(dropped.stdout).toContain(`dropped run ${bad} from the queue`);
    expect(existsSync(join(repo, '.git', 'ghml', 'dropped', bad, 'run.json'))).toBe(true);
    const again = await ghml(repo, 'push', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ runs: [] });
    expect(await ids(repo)).toEqual([good]);
  });
});

describe('ghml migrate', () => {
  it('converts a format-1 branch; until then ghml run refuses before training and says what to do', async () => {
    const origin = makeBareRemote();
    const repo = makeRepo();
    git(repo, 'remote', 'add', 'origin', `file://${origin}`);
    git(repo, 'push', '-q', 'origin', 'main');
    const head = git(repo, 'rev-parse', 'HEAD');
    const old = sampleRecord(head, { format: 1 });
    writeFormat1Branch(repo, [{ record: old, metrics: formatMetricLines(samplePoints()) }]);
    git(repo, 'push', '-q', 'origin', 'ghml/runs');
    const marker = join(repo, 'trained');
    const refused = await ghml(repo, 'run', '--', 'sh', '-c', `touch ${marker}`);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`uses format 1`);
    expect(refused.stderr).toContain('run `ghml migrate` once');
    expect(existsSync(marker)).toBe(false);
    expect(await ids(repo)).toEqual([old.id]);

    const migrated = await ghml(repo, 'migrate');
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toBe(
      'migrated origin/ghml/runs to format 2: 1 runs and 0 events in 1 segment(s)\n',
    );
    expect(JSON.parse(git(origin, 'show', 'ghml/runs:ghml.json'))).toEqual({ format: 2 });
    expect((await ghml(repo, 'migrate')).stdout).toBe(
      `'ghml/runs' already uses format 2: nothing to do\n`,
    );
    const fresh = await ghml(repo, 'run', '--', 'sh', '-c', 'true');
    expect(fresh.code).toBe(0);
    expect((await ids(repo)).length).toBe(2);
  });
});
