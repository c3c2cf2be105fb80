import { existsSync, readdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, ghmlEnv, runGhml, startGhml } from '../../support/run-ghml.js';
import {
  cleanupTempDirs,
  cloneRepo,
  commitFile,
  git,
  makeBareRemote,
  makeRepo,
  tempDir,
} from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

interface RunJson {
  id: string;
  experiment: string;
  status: string;
  params: Record<string, string>;
  metrics: Record<
    string,
    { value: number | string; step: number; min: number | string; max: number | string }
  >;
  source: { commit: string; branch: string | null; dirty: boolean };
  exitCode: number | null;
}

async function listRuns(repo: string): Promise<RunJson[]> {
  const result = await runGhml(['runs', 'list', '--json', '--no-fetch'], { cwd: repo });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as RunJson[];
}

function script(repo: string, name: string, body: string): string {
  const path = join(repo, name);
  writeFileSync(path, body);
  chmodSync(path, 0o755);
  return path;
}

describe('ghml run', () => {
  it('records params, metrics from every source, and the exit code; prints the run id', async () => {
    const repo = makeRepo();
    commitFile(repo, 'params.yaml', 'train:\n  lr: 0.01\nepochs: 3\n');
    script(
      repo,
      'train.sh',
      [
        '#!/bin/sh',
        'node "$GHML_CLI" log metric loss 0.5 --step 1',
        'node "$GHML_CLI" log metric loss 0.25 --step 2',
        'node "$GHML_CLI" log param optimizer adam',
        'echo \'{"type":"metric","key":"nan_metric","value":"NaN","step":0}\' >> "$GHML_EVENTS"',
        'echo "epoch 1: acc=0.5"',
        'echo "epoch 2: acc=0.75"',
        'echo \'{"f1": 0.8}\' > metrics.json',
        'test -n "$GHML_RUN_ID" && test "$GHML_EXPERIMENT" = exp1 && test -d "$GHML_ARTIFACTS_DIR"',
        'echo model > "$GHML_ARTIFACTS_DIR/model.bin"',
      ].join('\n'),
    );
    const env = ghmlEnv({ GHML_CLI: join(process.cwd(), 'dist/cli.js') });
    const result = await runGhml(
      ['run', '-e', 'exp1', '-p', 'seed=7', '--stdout-metrics', '--', './train.sh'],
      { cwd: repo, env },
    );
    expect(result.stderr).not.toContain('warning');
    expect(result.code).toBe(0);
    const id = result.stdout.trim().split('\n').pop();
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(result.stdout).toContain('epoch 2: acc=0.75');

    const [run] = await listRuns(repo);
    expect(run?.id).toBe(id);
    expect(run?.status).toBe('FINISHED');
    expect(run?.exitCode).toBe(0);
    expect(run?.params).toEqual({ 'train.lr': '0.01', epochs: '3', seed: '7', optimizer: 'adam' });
    expect(run?.metrics.loss).toMatchObject({ value: 0.25, step: 2, min: 0.25, max: 0.5 });
    // 'epoch 2: acc=0.75' is recorded at step 2, as the README says.
    expect(run?.metrics.acc).toMatchObject({ value: 0.75, step: 2 });
    expect(run?.metrics.f1).toMatchObject({ value: 0.8 });
    expect(run?.metrics.nan_metric?.value).toBe('NaN');
    expect(run?.source.commit).toBe(git(repo, 'rev-parse', 'HEAD'));
    expect(run?.source.branch).toBe('main');
    // The work tree and HEAD are untouched; the open-run folder is gone.
    expect(git(repo, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(existsSync(join(repo, '.git', 'ghml', 'open', id ?? ''))).toBe(false);
    const show = await runGhml(['runs', 'show', id?.slice(0, 10) ?? '', '--no-fetch'], {
      cwd: repo,
    });
    expect(show.stdout).toContain('model.bin');
  });

  it('exits with the command exit code and records FAILED', async () => {
    const repo = makeRepo();
    script(
      repo,
      'fail.sh',
      '#!/bin/sh\necho \'{"type":"param","key":"a","value":"1"}\' >> "$GHML_EVENTS"\nexit 3\n',
    );
    const result = await runGhml(['run', '--', './fail.sh'], { cwd: repo });
    expect(result.code).toBe(3);
    const [run] = await listRuns(repo);
    expect(run).toMatchObject({
      status: 'FAILED',
      exitCode: 3,
      params: { a: '1' },
      experiment: 'default',
    });
  });

  it('records KILLED on SIGTERM and exits 143', async () => {
    const repo = makeRepo();
    script(
      repo,
      'slow.sh',
      '#!/bin/sh\necho \'{"type":"metric","key":"m","value":1}\' >> "$GHML_EVENTS"\necho started\nsleep 30\n',
    );
    const child = startGhml(['run', '--', './slow.sh'], { cwd: repo, env: ghmlEnv() });
    const done = collect(child);
    await new Promise<void>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('started')) resolve();
      });
    });
    child.kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(143);
    const [run] = await listRuns(repo);
    expect(run).toMatchObject({ status: 'KILLED', metrics: { m: { value: 1 } } });
  });

  it('fails clearly for a command that is not found, recording nothing', async () => {
    const repo = makeRepo();
    const result = await runGhml(['run', '--', 'pyhton-does-not-exist', 'train.py'], { cwd: repo });
    expect(result.code).toBe(127);
    expect(result.stderr).toContain("command not found: 'pyhton-does-not-exist'");
    expect(git(repo, 'branch', '--list', 'ghml/runs')).toBe('');
    expect(readdirSync(join(repo, '.git', 'ghml', 'open'))).toEqual([]);
  });

  it('refuses to run outside a repository', async () => {
    const dir = tempDir();
    const result = await runGhml(['run', '--', 'true'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not a git repository/);
    expect(result.stderr).toMatch(/hint: run ghml inside a repository or pass --repo/);
  });

  it('refuses a repository with no commits yet', async () => {
    const repo = makeRepo({ commit: false });
    const result = await runGhml(['run', '--', 'true'], { cwd: repo });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no commits yet/);
  });

  it('works on a detached HEAD (branch recorded as null)', async () => {
    const repo = makeRepo();
    git(repo, 'checkout', '-q', '--detach');
    const result = await runGhml(['run', '--', 'true'], { cwd: repo });
    expect(result.code).toBe(0);
    const [run] = await listRuns(repo);
    expect(run?.source.branch).toBeNull();
  });

  it('fails before running when params.yaml is not YAML, naming the file and line', async () => {
    const repo = makeRepo();
    commitFile(repo, 'params.yaml', 'lr: 0.1\nlayers: [1, 2\n');
    const result = await runGhml(['run', '--', 'touch', 'ran'], { cwd: repo });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/params\.yaml:\d+:\d+/);
    expect(existsSync(join(repo, 'ran'))).toBe(false);
  });

  it('rejects a bad --param key with the rule', async () => {
    const repo = makeRepo();
    const result = await runGhml(['run', '-p', 'bad|key=1', '--', 'true'], { cwd: repo });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad|key');
  });

  it('makes ghml_log importable from Python with no install', async () => {
    const repo = makeRepo();
    const result = await runGhml(
      [
        'run',
        '--',
        'python3',
        '-c',
        'import ghml_log; ghml_log.log_metric("acc", 0.9); ghml_log.log_param("k", "v")',
      ],
      { cwd: repo },
    );
    expect(result.code).toBe(0);
    const [run] = await listRuns(repo);
    expect(run).toMatchObject({ params: { k: 'v' }, metrics: { acc: { value: 0.9 } } });
  });

  it('keeps the run locally when the remote rejects the push, and ghml push resends it', async () => {
    const origin = makeBareRemote();
    const seed = makeRepo();
    git(seed, 'remote', 'add', 'origin', origin);
    git(seed, 'push', '-q', 'origin', 'main');
    const repo = cloneRepo(origin);
    const hook = join(origin, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      '#!/bin/sh\necho "policy: pushes to ghml/runs need approval" >&2\nexit 1\n',
    );
    chmodSync(hook, 0o755);

    const result = await runGhml(['run', '--', 'true'], { cwd: repo });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('policy: pushes to ghml/runs need approval');
    expect(result.stderr).toMatch(/ghml push/);
    const [run] = await listRuns(repo);
    expect(run?.status).toBe('FINISHED');
    expect(git(origin, 'branch', '--list', 'ghml/runs')).toBe('');

    writeFileSync(hook, '#!/bin/sh\nexit 0\n');
    const push = await runGhml(['push'], { cwd: repo });
    expect(push.stderr).toBe('');
    expect(push.stdout).toContain('pushed 1 run');
    const fresh = cloneRepo(origin);
    const runs = await runGhml(['runs', 'list', '--json'], { cwd: fresh });
    expect((JSON.parse(runs.stdout) as RunJson[]).map((r) => r.id)).toEqual([run?.id]);
  });

  it('ghml log outside a run says how to use it', async () => {
    const repo = makeRepo();
    const result = await runGhml(['log', 'metric', 'acc', '0.9'], { cwd: repo });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no open run/);
  });

  it('ghml log rejects a non-numeric metric, naming the key', async () => {
    const repo = makeRepo();
    const events = join(tempDir(), 'events.jsonl');
    const result = await runGhml(['log', 'metric', 'acc', 'high'], {
      cwd: repo,
      env: ghmlEnv({ GHML_EVENTS: events }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("metric 'acc' must be a number");
    expect(existsSync(events)).toBe(false);
  });
});
