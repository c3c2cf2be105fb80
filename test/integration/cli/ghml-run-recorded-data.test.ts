/**
 * `ghml run` records what the training really saw and did, through the built CLI and real
 * child processes: -p against params.yaml, -S with its restore (also on SIGINT and failure),
 * stale metrics files, `ghml log param` conflicts, --json, --matrix, the child's environment,
 * Object.prototype names, times a date cannot hold, and artifacts still being rotated.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import { recordAbandonedRun } from '../../../src/tracking/open-run.js';
import { collect, ghmlEnv, GHML_CLI, runGhml, startGhml } from '../../support/run-ghml.js';
import { cleanupTempDirs, commitFile, git, makeRepo, tempDir } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

interface RunJson {
  id: string;
  status: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, { value: number | string; step: number; count: number }>;
  github: { matrix?: Record<string, string> } | null;
  artifacts: Array<{ path: string; size: number; sha256: string; stored: boolean }>;
}

async function listRuns(repo: string): Promise<RunJson[]> {
  const result = await runGhml(['runs', 'list', '--json', '--no-fetch'], { cwd: repo });
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as RunJson[];
}

function script(repo: string, name: string, lines: string[]): void {
  const path = join(repo, name);
  writeFileSync(path, `${['#!/bin/sh', ...lines].join('\n')}\n`);
  chmodSync(path, 0o755);
}

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
  ghmlEnv({ GHML_CLI, ...extra });

/** Starts `ghml run …` and resolves once the command printed `started`. */
async function startRun(repo: string, args: string[]) {
  const child = startGhml(['run', ...args], { cwd: repo, env: env() });
  const done = collect(child);
  await new Promise<void>((resolve) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('started')) resolve();
    });
  });
  return { child, done };
}

const PARAMS = [
  '# training settings (kept byte for byte)',
  'train:',
  '  n_estimators: 2   # trees',
  '  lr: 0.1',
  'model: {kind: "rf", depth: 3}',
  '',
].join('\n');

describe('ghml run -p and -S', () => {
  it('refuses -p for a key params.yaml sets to something else, before training starts', async () => {
    const repo = makeRepo();
    commitFile(repo, 'params.yaml', PARAMS);
    const result = await runGhml(['run', '-p', 'train.n_estimators=99', '--', 'touch', 'ran'], {
      cwd: repo,
      env: env(),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "-p train.n_estimators=99: params.yaml sets 'train.n_estimators' to '2'",
    );
    expect(result.stderr).toContain(
      'hint: set it in params.yaml for this run with -S train.n_estimators=99',
    );
    expect(readdirSync(repo)).not.toContain('ran');
    expect(git(repo, 'branch', '--list', 'ghml/runs')).toBe('');
    // The same value, or a key params.yaml does not set, is fine.
    const ok = await runGhml(['run', '-p', 'train.lr=0.1', '-p', 'seed=7', '--', 'true'], {
      cwd: repo,
      env: env(),
    });
    expect(ok.code).toBe(0);
    expect((await listRuns(repo))[0]?.params).toMatchObject({ 'train.lr': '0.1', seed: '7' });
  });

  it('-S sets the value the training reads and records it, then restores params.yaml byte for byte', async () => {
    const repo = makeRepo();
    commitFile(repo, 'params.yaml', PARAMS);
    script(repo, 'train.sh', ['cp params.yaml seen.yaml']);
    const result = await runGhml(
      [
        'run',
        '-S',
        'train.n_estimators=99',
        '-S',
        'model.depth=5',
        '-S',
        'new.flag=true',
        '--',
        './train.sh',
      ],
      { cwd: repo, env: env() },
    );
    expect(result.code).toBe(0);
    const seen = readFileSync(join(repo, 'seen.yaml'), 'utf8');
    expect(seen).toContain('n_estimators: 99 # trees');
    expect(seen).toContain('# training settings (kept byte for byte)');
    const [run] = await listRuns(repo);
    expect(run?.params).toMatchObject({
      'train.n_estimators': '99',
      'model.depth': '5',
      'new.flag': 'true',
      'train.lr': '0.1',
    });
    expect(readFileSync(join(repo, 'params.yaml'), 'utf8')).toBe(PARAMS);
    expect(git(repo, 'status', '--porcelain', 'params.yaml')).toBe('');
  });

  it('restores params.yaml when the command fails, and in a JSON params file', async () => {
    const repo = makeRepo();
    const json = '{\n    "lr": 0.1,\n    "opt": {"name": "adam"}\n}\n';
    commitFile(repo, 'params.json', json);
    commitFile(repo, 'ghml.yml', 'sources:\n  params: [params.json]\n');
    script(repo, 'fail.sh', [
      'python3 -c "import json; print(json.load(open(\'params.json\')))" > seen.txt',
      'exit 3',
    ]);
    const result = await runGhml(['run', '-S', 'opt.name=sgd', '--', './fail.sh'], {
      cwd: repo,
      env: env(),
    });
    expect(result.code).toBe(3);
    expect(readFileSync(join(repo, 'seen.txt'), 'utf8')).toContain("'name': 'sgd'");
    expect((await listRuns(repo))[0]).toMatchObject({
      status: 'FAILED',
      params: { lr: '0.1', 'opt.name': 'sgd' },
    });
    expect(readFileSync(join(repo, 'params.json'), 'utf8')).toBe(json);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'restores params.yaml on %s and records the run as KILLED with the value used',
    async (signal, code) => {
      const repo = makeRepo();
      commitFile(repo, 'params.yaml', PARAMS);
      script(repo, 'slow.sh', ['echo started', 'exec sleep 30']);
      const { child, done } = await startRun(repo, ['-S', 'train.lr=0.5', '--', './slow.sh']);
      expect(readFileSync(join(repo, 'params.yaml'), 'utf8')).toContain('lr: 0.5');
      child.kill(signal);
      const result = await done;
      expect(result.code).toBe(code);
      expect(readFileSync(join(repo, 'params.yaml'), 'utf8')).toBe(PARAMS);
      expect((await listRuns(repo))[0]).toMatchObject({
        status: 'KILLED',
        params: { 'train.lr': '0.5' },
      });
    },
  );

  it('refuses -S for a file that is not a params file, changing nothing', async () => {
    const repo = makeRepo();
    commitFile(repo, 'params.yaml', PARAMS);
    const result = await runGhml(['run', '-S', 'other.yaml:lr=1', '--', 'touch', 'ran'], {
      cwd: repo,
      env: env(),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'other.yaml' is not a params file of this run");
    expect(readdirSync(repo)).not.toContain('ran');
    expect(readFileSync(join(repo, 'params.yaml'), 'utf8')).toBe(PARAMS);
  });
});

describe('ghml run and metrics files', () => {
  it('ignores a metrics.json left by an earlier run, and the logged value wins over a fresh file', async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, 'metrics.json'), '{"acc": 0.1, "old_only": 1}');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(repo, 'metrics.json'), hourAgo, hourAgo);
    script(repo, 'train.sh', ['node "$GHML_CLI" log metric acc 0.9']);
    const stale = await runGhml(['run', '--', './train.sh'], { cwd: repo, env: env() });
    expect(stale.code).toBe(0);
    expect(stale.stderr).toMatch(
      /warning: metrics\.json: not read: it was last written at .* before this run started/,
    );
    const [first] = await listRuns(repo);
    expect(Object.keys(first?.metrics ?? {})).toEqual(['acc']);
    expect(first?.metrics.acc?.value).toBe(0.9);

    script(repo, 'train2.sh', [
      'node "$GHML_CLI" log metric acc 0.9',
      'echo \'{"acc": 0.8, "f1": 0.7}\' > metrics.json',
    ]);
    const fresh = await runGhml(['run', '--', './train2.sh'], { cwd: repo, env: env() });
    expect(fresh.stderr).toContain(
      "warning: metrics.json: metric 'acc' is 0.8 here but the run logged 0.9 last; the logged value is kept",
    );
    const second = (await listRuns(repo)).find((r) => r.id !== first?.id);
    expect(second?.metrics.acc?.value).toBe(0.9);
    expect(second?.metrics.f1?.value).toBe(0.7);
  });

  it('does not read an old metrics.json into a run whose ghml crashed', async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, 'metrics.json'), '{"acc": 0.1, "old_only": 1}');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(repo, 'metrics.json'), hourAgo, hourAgo);
    script(repo, 'slow.sh', [
      'node "$GHML_CLI" log metric acc 0.9',
      'echo $$ > pid',
      'echo started',
      'exec sleep 30',
    ]);
    const { child, done } = await startRun(repo, ['--', './slow.sh']);
    child.kill('SIGKILL');
    // The orphaned command holds our pipe open: end it too.
    process.kill(Number(readFileSync(join(repo, 'pid'), 'utf8')), 'SIGKILL');
    await done;
    const [runId] = readdirSync(join(repo, '.git', 'ghml', 'open'));
    const recorded = await recordAbandonedRun(await createGit(repo), runId ?? '', {
      push: false,
      log: () => undefined,
    });
    expect(recorded?.record.status).toBe('KILLED');
    expect(Object.keys(recorded?.record.metrics ?? {})).toEqual(['acc']);
    expect(recorded?.warnings.map((w) => w.message).join('\n')).toMatch(
      /not read: it was last written/,
    );
  });
});

describe('ghml log', () => {
  it('fails at the call when a param changes, keeping the first value', async () => {
    const repo = makeRepo();
    script(repo, 'train.sh', [
      'node "$GHML_CLI" log param lr 0.1',
      'node "$GHML_CLI" log param lr 0.1 || echo "same=$?" >> codes',
      'node "$GHML_CLI" log param lr 0.2 2> err.txt || echo "changed=$?" >> codes',
    ]);
    const result = await runGhml(['run', '--', './train.sh'], { cwd: repo, env: env() });
    expect(result.code).toBe(0);
    expect(readFileSync(join(repo, 'codes'), 'utf8')).toBe('changed=2\n');
    expect(readFileSync(join(repo, 'err.txt'), 'utf8')).toContain(
      "param 'lr' was already logged as '0.1'; params are immutable within a run, cannot change it to '0.2'.",
    );
    expect(result.stderr).not.toContain('warning');
    expect((await listRuns(repo))[0]?.params).toEqual({ lr: '0.1' });
  });

  it('refuses a timestamp no date can hold', async () => {
    const repo = makeRepo();
    const events = join(tempDir(), 'events.jsonl');
    const result = await runGhml(
      ['log', 'metric', 'acc', '0.9', '--timestamp', '8640000000000001'],
      { cwd: repo, env: env({ GHML_EVENTS: events }) },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "metric 'acc' timestamp must be whole milliseconds since the epoch, from 0 to 8640000000000000",
    );
  });
});

describe('ghml run --json and --matrix', () => {
  it('--json keeps stdout to the JSON: the command prints to stderr', async () => {
    const repo = makeRepo();
    script(repo, 'train.sh', ['echo "hello from training"', 'echo "loss=0.5"']);
    const result = await runGhml(['run', '--json', '--stdout-metrics', '--', './train.sh'], {
      cwd: repo,
      env: env(),
    });
    expect(result.code).toBe(0);
    const run = JSON.parse(result.stdout) as RunJson;
    expect(run.metrics.loss?.value).toBe(0.5);
    expect(result.stderr).toContain('hello from training');
    const plain = await runGhml(['run', '--json', '--', './train.sh'], { cwd: repo, env: env() });
    expect(() => JSON.parse(plain.stdout) as unknown).not.toThrow();
    expect(plain.stderr).toContain('hello from training');
  });

  it('--matrix records matrix values outside Actions, so a local sweep gets a leaderboard', async () => {
    const repo = makeRepo();
    for (const lr of ['0.1', '0.01']) {
      script(repo, 'train.sh', [`node "$GHML_CLI" log metric acc ${lr === '0.1' ? '0.8' : '0.9'}`]);
      const result = await runGhml(
        [
          'run',
          '-e',
          'sweep',
          '--matrix',
          `lr=${lr}`,
          '--matrix',
          'python:version=3.12',
          '--',
          './train.sh',
        ],
        { cwd: repo, env: env() },
      );
      expect(result.code).toBe(0);
    }
    const runs = await listRuns(repo);
    expect(runs.map((r) => r.github?.matrix)).toEqual(
      expect.arrayContaining([
        { lr: '0.1', 'python:version': '3.12' },
        { lr: '0.01', 'python:version': '3.12' },
      ]),
    );
    const compare = await runGhml(['compare', '--format', 'json', '--no-fetch'], {
      cwd: repo,
      env: env(),
    });
    const report = JSON.parse(compare.stdout) as {
      experiments: Array<{ leaderboard: { rows: unknown[] } | null }>;
    };
    expect(report.experiments[0]?.leaderboard?.rows).toHaveLength(2);
  });

  it('refuses a run name over 250 characters before training starts', async () => {
    const repo = makeRepo();
    const result = await runGhml(['run', '-n', 'n'.repeat(251), '--', 'touch', 'ran'], {
      cwd: repo,
      env: env(),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'name' must be at most 250 characters");
    expect(readdirSync(repo)).not.toContain('ran');
  });
});

describe("the training command's environment", () => {
  it('has no tokens or action inputs, except those named in GHML_PASS_ENV', async () => {
    const repo = makeRepo();
    const secrets = {
      GITHUB_TOKEN: 'ghs_job',
      GH_TOKEN: 'gho_cli',
      INPUT_TOKEN: 'ghs_input',
      ACTIONS_RUNTIME_TOKEN: 'runtime',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
      GHML_REGISTRY_PASSWORD: 'registry',
      NPM_TOKEN: 'npm',
      aws_secret: 'lowercase',
      HF_TOKEN: 'hf_wanted',
      GHML_PASS_ENV: 'HF_TOKEN',
      PLAIN_SETTING: 'kept',
    };
    const result = await runGhml(['run', '--', 'sh', '-c', 'env > env.txt'], {
      cwd: repo,
      env: env(secrets),
    });
    expect(result.code).toBe(0);
    const seen = readFileSync(join(repo, 'env.txt'), 'utf8');
    for (const name of [
      'GITHUB_TOKEN',
      'GH_TOKEN',
      'INPUT_TOKEN',
      'ACTIONS_RUNTIME_TOKEN',
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      'GHML_REGISTRY_PASSWORD',
      'NPM_TOKEN',
      'aws_secret',
    ]) {
      expect(seen).not.toContain(`${name}=`);
    }
    expect(seen).toContain('HF_TOKEN=hf_wanted');
    expect(seen).toContain('PLAIN_SETTING=kept');
    expect(seen).toMatch(/^GHML_EVENTS=/m);
  });
});

describe('Object.prototype names as keys', () => {
  const NAMES = Object.getOwnPropertyNames(Object.prototype);

  it('records every name as a param, metric and tag from each source, and refuses __proto__ everywhere', async () => {
    const repo = makeRepo();
    const names = NAMES.filter((n) => n !== '__proto__');
    commitFile(
      repo,
      'params.yaml',
      `${names.map((n) => `${n}: file-${n}`).join('\n')}\n__proto__: polluted\n`,
    );
    // Written as text: in a JS object literal `__proto__` would set the prototype instead.
    const events = [
      ...names.flatMap((n) => [
        `{"type":"metric","key":"${n}","value":0.5,"step":0}`,
        `{"type":"tag","key":"${n}","value":"t-${n}"}`,
      ]),
      '{"type":"metrics","values":{"__proto__":1,"hasOwnProperty":0.25},"step":1}',
      '{"type":"tag","key":"__proto__","value":"x"}',
    ];
    script(repo, 'train.sh', [
      `cat >> "$GHML_EVENTS" <<'EOF'`,
      ...events,
      'EOF',
      'node "$GHML_CLI" log param __proto__ x 2>> err.txt || echo "param=$?" >> codes',
      'node "$GHML_CLI" log metric __proto__ 1 2>> err.txt || echo "metric=$?" >> codes',
      `echo '{"valueOf": 0.75, "__proto__": 0.5}' > metrics.json`,
    ]);
    const result = await runGhml(['run', '--', './train.sh'], { cwd: repo, env: env() });
    expect(result.code).toBe(0);
    expect(readFileSync(join(repo, 'codes'), 'utf8')).toBe('param=2\nmetric=2\n');
    expect(readFileSync(join(repo, 'err.txt'), 'utf8')).toContain(
      "Invalid param key '__proto__': is reserved",
    );
    // Each refused __proto__ is a warning naming its place.
    expect(result.stderr).toMatch(/params\.yaml:\d+: param name '__proto__' is reserved/);
    expect(result.stderr).toMatch(/events:\d+: Invalid metric key '__proto__': is reserved/);
    expect(result.stderr).toMatch(/events:\d+: Invalid tag key '__proto__': is reserved/);
    expect(result.stderr).toContain("metrics.json: metric name '__proto__' is reserved");

    const [id] = (await listRuns(repo)).map((r) => r.id);
    const show = await runGhml(['runs', 'show', id ?? '', '--json', '--no-fetch'], { cwd: repo });
    const run = JSON.parse(show.stdout, (key, value: unknown) =>
      key === '__proto__' ? `FOUND:${String(value)}` : value,
    ) as RunJson;
    for (const n of names) {
      expect(Object.getOwnPropertyDescriptor(run.params, n)?.value).toBe(`file-${n}`);
      expect(Object.getOwnPropertyDescriptor(run.tags, n)?.value).toBe(`t-${n}`);
      expect(Object.hasOwn(run.metrics, n)).toBe(true);
    }
    expect(run.metrics.valueOf).toMatchObject({ value: 0.5 }); // logged wins over metrics.json
    expect(run.metrics.hasOwnProperty).toMatchObject({ value: 0.25, step: 1 });
    expect(show.stdout).not.toContain('__proto__');
  });
});

describe('artifacts of a process that outlives the command', () => {
  it('records the run with every artifact that could be read while checkpoints rotate', async () => {
    const repo = makeRepo();
    const rotator = join(tempDir(), 'rotate.cjs');
    const stop = join(tempDir(), 'stop');
    writeFileSync(
      rotator,
      `const fs = require('fs'), path = require('path');
       const dir = path.join(process.env.GHML_ARTIFACTS_DIR, 'ckpt');
       const pause = new Int32Array(new SharedArrayBuffer(4));
       fs.mkdirSync(dir, { recursive: true });
       for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(dir, 'step-' + i + '.pt'), 'w'.repeat(1000) + i);
       fs.writeFileSync(process.argv[3], String(process.pid));
       let next = 300;
       const end = Date.now() + 60000;
       while (!fs.existsSync(process.argv[2]) && Date.now() < end) {
         fs.rmSync(path.join(dir, 'step-' + (next - 300) + '.pt'), { force: true });
         fs.writeFileSync(path.join(dir, 'step-' + next + '.pt'), 'n'.repeat(1000) + next);
         fs.writeFileSync(path.join(dir, 'step-' + (next - 150) + '.pt'), 'r'.repeat(900 + (next % 7)));
         next++;
         Atomics.wait(pause, 0, 0, 1);
       }`,
    );
    const pidFile = join(tempDir(), 'pid');
    script(repo, 'train.sh', [
      'echo final > "$GHML_ARTIFACTS_DIR/model.bin"',
      `node ${rotator} ${stop} ${pidFile} < /dev/null > /dev/null 2>&1 &`,
      `while [ ! -s ${pidFile} ]; do sleep 0.05; done`,
    ]);
    let result;
    try {
      result = await runGhml(['run', '--', './train.sh'], { cwd: repo, env: env() });
    } finally {
      writeFileSync(stop, '');
    }
    expect(result.stderr).not.toMatch(/could not open/);
    expect(result.code).toBe(0);
    const [run] = await listRuns(repo);
    expect(run?.status).toBe('FINISHED');
    expect(run?.artifacts.map((a) => a.path)).toContain('model.bin');
    expect(run?.artifacts.length).toBeGreaterThan(1);
    for (const line of result.stderr.split('\n').filter((l) => l.includes("'ckpt/"))) {
      expect(line).toMatch(
        /warning: artifacts: 'ckpt\/step-\d+\.pt': (vanished before it could be read|vanished while it was read|kept changing while it was read \(3 tries\)); skipped$/,
      );
    }
    // What is stored on the branch is what was hashed.
    const stored = run?.artifacts.filter((a) => a.stored) ?? [];
    expect(stored.length).toBeGreaterThan(0);
    const folder = runFolder(repo, run?.id ?? '');
    for (const artifact of stored) {
      const bytes = execFileSync(
        'git',
        ['cat-file', 'blob', `ghml/runs:${folder}/artifacts/${artifact.path}`],
        {
          cwd: repo,
        },
      );
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(artifact.sha256);
    }
  });
});

/** The run's folder on the tracking branch. */
function runFolder(repo: string, id: string): string {
  const paths = git(repo, 'ls-tree', '-r', '--name-only', 'ghml/runs').split('\n');
  const runJson = paths.find((p) => p.endsWith(`/${id}/run.json`)) ?? '';
  return runJson.slice(0, -'/run.json'.length);
}
