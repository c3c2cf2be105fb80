/**
 * `ghml repro` and `ghml status` on real git repositories through the built CLI: stages run in
 * DAG order and are skipped when nothing changed; status says why a stage would run as
 * `dvc status` does; each stage run is a ghml run with its pipeline tags, metrics and outputs;
 * a fresh clone restores outputs from the run cache instead of running; failures stop their
 * dependents (or not, with --keep-going); -j runs independent stages at once; Ctrl-C stops
 * every process of every stage and records them KILLED.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, ghmlEnv, GHML_CLI, runGhml, startGhml } from '../../support/run-ghml.js';
import {
  cleanupTempDirs,
  cloneRepo,
  git,
  makeBareRemote,
  makeRepo,
} from '../../support/temp-repo.js';

afterAll(() => cleanupTempDirs());

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

function commitAll(dir: string, message = 'pipeline'): void {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
}

const PIPELINE = [
  'stages:',
  '  prepare:',
  '    cmd: python3 prepare.py',
  '    deps: [raw.txt, prepare.py]',
  '    outs: [data/clean.txt]',
  '  train:',
  '    cmd: python3 train.py',
  '    deps: [data/clean.txt, train.py]',
  '    params: [train.lr]',
  '    outs: [model.txt]',
  '    metrics:',
  '      - metrics.json: {cache: false}',
  '',
].join('\n');

const FILES = {
  'raw.txt': 'Hello\n',
  'params.yaml': 'train:\n  lr: 0.1\n',
  'prepare.py': [
    'import os',
    "os.makedirs('data', exist_ok=True)",
    "open('data/clean.txt', 'w').write(open('raw.txt').read().lower())",
    '',
  ].join('\n'),
  'train.py': [
    'import json',
    "text = open('data/clean.txt').read()",
    "open('model.txt', 'w').write(text * 2)",
    "json.dump({'accuracy': 0.5 + len(text) / 100}, open('metrics.json', 'w'))",
    '',
  ].join('\n'),
};

function pipelineRepo(definition = PIPELINE, files: Record<string, string> = FILES): string {
  const dir = makeRepo();
  write(dir, { 'ghml.yml': definition, ...files });
  commitAll(dir);
  return dir;
}

async function ghml(dir: string, ...args: string[]) {
  return runGhml(args, { cwd: dir });
}

function runRecords(dir: string): Array<{
  status: string;
  experiment: string;
  tags: Record<string, string>;
  metrics: Record<string, { last: unknown }>;
  artifacts: Array<{ path: string; sha256: string }>;
}> {
  const out = execFileSync(process.execPath, [GHML_CLI, 'runs', 'list', '--json'], {
    cwd: dir,
    env: ghmlEnv(),
    encoding: 'utf8',
  });
  return JSON.parse(out) as ReturnType<typeof runRecords>;
}

describe('repro', () => {
  it('runs stages in order, records each as a run, then skips them while nothing changes', async () => {
    const dir = pipelineRepo();
    const first = await ghml(dir, 'repro');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr.indexOf("Stage 'prepare': done")).toBeLessThan(
      first.stderr.indexOf("Stage 'train': done"),
    );
    expect(readFileSync(join(dir, 'model.txt'), 'utf8')).toBe('hello\nhello\n');
    const lock = JSON.parse(readFileSync(join(dir, 'ghml.lock'), 'utf8')) as {
      format: string;
      stages: Record<string, { params: object; outs: Array<{ path: string }> }>;
    };
    expect(lock.format).toBe('ghml.lock/1');
    expect(lock.stages['train']?.params).toEqual({ 'params.yaml': { 'train.lr': 0.1 } });
    expect(lock.stages['train']?.outs.map((o) => o.path)).toEqual(['model.txt', 'metrics.json']);
    // Cached outputs are kept out of git, as DVC does; the uncached metrics file is not.
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('/data/clean.txt\n/model.txt\n');

    const runs = runRecords(dir);
    expect(runs.map((r) => r.experiment).sort()).toEqual(['prepare', 'train']);
    const train = runs.find((r) => r.experiment === 'train');
    expect(train?.status).toBe('FINISHED');
    expect(train?.tags['ghml.pipeline.stage']).toBe('train');
    expect(train?.tags['ghml.pipeline.cache_key']).toMatch(/^[0-9a-f]{64}$/);
    expect(train?.tags['ghml.pipeline.run_id']).toBe(
      runs.find((r) => r.experiment === 'prepare')?.tags['ghml.pipeline.run_id'],
    );
    expect(JSON.parse(train?.tags['ghml.pipeline.deps'] ?? '{}')).toHaveProperty('data/clean.txt');
    expect(Object.keys(train?.metrics ?? {})).toContain('accuracy');
    expect(train?.artifacts.map((a) => a.path)).toEqual(['metrics.json', 'model.txt']);

    const again = await ghml(dir, 'repro');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Stage 'prepare': up to date, skipped");
    expect(again.stderr).toContain("Stage 'train': up to date, skipped");
    expect(runRecords(dir)).toHaveLength(2);
    expect((await ghml(dir, 'status')).stdout.trim()).toBe('Data and pipelines are up to date.');
  });

  it('status says why each stage would run, in dvc status words', async () => {
    const dir = pipelineRepo();
    expect((await ghml(dir, 'repro')).code).toBe(0);
    write(dir, { 'params.yaml': 'train:\n  lr: 0.2\n', 'raw.txt': 'Changed\n' });
    writeFileSync(
      join(dir, 'ghml.yml'),
      PIPELINE.replace('python3 train.py', 'python3 train.py --fast'),
    );
    execFileSync('rm', [join(dir, 'model.txt')]);
    const status = await ghml(dir, 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toBe(
      [
        'prepare:',
        '\tchanged deps:',
        '\t\tmodified:           raw.txt',
        'train:',
        '\tchanged deps:',
        '\t\tparams.yaml:',
        '\t\t\tmodified:           train.lr',
        '\tchanged outs:',
        '\t\tdeleted:            model.txt',
        '\tchanged command',
        '',
      ].join('\n'),
    );
    const json = await ghml(dir, 'status', '--json');
    expect(JSON.parse(json.stdout)).toEqual({
      prepare: [{ 'changed deps': { 'raw.txt': 'modified' } }],
      train: [
        { 'changed deps': { 'params.yaml': { 'train.lr': 'modified' } } },
        { 'changed outs': { 'model.txt': 'deleted' } },
        'changed command',
      ],
    });
    expect((await ghml(dir, 'status', '-q')).code).toBe(1);
  });

  it('restores a deleted output from the cache instead of running the stage', async () => {
    const dir = pipelineRepo();
    expect((await ghml(dir, 'repro')).code).toBe(0);
    execFileSync('rm', ['-r', join(dir, 'data')]);
    const result = await ghml(dir, 'repro');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Stage 'prepare': restored");
    expect(readFileSync(join(dir, 'data/clean.txt'), 'utf8')).toBe('hello\n');
    expect(runRecords(dir)).toHaveLength(2);
  });

  it('writes ghml.lock beside dvc.yaml and never touches dvc.lock', async () => {
    const dir = makeRepo();
    const dvcLock = 'schema: "2.0"\nstages: {}\n';
    write(dir, { 'dvc.yaml': PIPELINE, 'dvc.lock': dvcLock, ...FILES });
    commitAll(dir);
    const result = await ghml(dir, 'repro');
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'dvc.lock'), 'utf8')).toBe(dvcLock);
    expect(existsSync(join(dir, 'ghml.lock'))).toBe(true);
  });

  it('--dry says what would run and runs nothing', async () => {
    const dir = pipelineRepo();
    const result = await ghml(dir, 'repro', '--dry');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Stage 'prepare': would run");
    expect(existsSync(join(dir, 'data'))).toBe(false);
    expect(existsSync(join(dir, 'ghml.lock'))).toBe(false);
  });
});

describe('the run cache', () => {
  it('restores outputs in a fresh clone from runs pushed before, without running anything', async () => {
    const remote = makeBareRemote();
    const dir = pipelineRepo();
    git(dir, 'remote', 'add', 'origin', `file://${remote}`);
    git(dir, 'push', '-q', 'origin', 'main');
    const first = await ghml(dir, 'repro');
    expect(first.code, first.stderr).toBe(0);
    const clone = cloneRepo(remote);
    // ghml.lock was not committed: only the run cache on the tracking branch knows the stages.
    const result = await ghml(clone, 'repro');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Stage 'prepare': restored (the same stage ran before (run ");
    expect(result.stderr).toContain("Stage 'train': restored");
    expect(result.stderr).not.toContain('Running stage');
    expect(readFileSync(join(clone, 'model.txt'), 'utf8')).toBe('hello\nhello\n');
    expect(runRecords(clone)).toHaveLength(2);
  });
});

describe('failures', () => {
  const BRANCHES = [
    'stages:',
    '  broken:',
    '    cmd: exit 3',
    '    outs: [b.txt]',
    '  after-broken:',
    '    cmd: cp b.txt c.txt',
    '    deps: [b.txt]',
    '    outs: [c.txt]',
    '  other:',
    '    cmd: echo fine > o.txt',
    '    outs: [o.txt]',
    '',
  ].join('\n');

  it('stop the dependents of a failed stage, and the rest without --keep-going', async () => {
    const dir = pipelineRepo(BRANCHES, {});
    const result = await ghml(dir, 'repro');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Stage 'broken': FAILED (the command failed (exit status 3))");
    expect(result.stderr).toContain("Stage 'after-broken': not run");
    expect(existsSync(join(dir, 'o.txt'))).toBe(false);
    expect(runRecords(dir).map((r) => r.status)).toEqual(['FAILED']);
  });

  it('with --keep-going, run the other branches', async () => {
    const dir = pipelineRepo(BRANCHES, {});
    const result = await ghml(dir, 'repro', '--keep-going');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "Stage 'after-broken': not run (upstream stage 'broken' did not succeed)",
    );
    expect(readFileSync(join(dir, 'o.txt'), 'utf8')).toBe('fine\n');
  });

  it('a stage that does not write a declared output fails', async () => {
    const dir = pipelineRepo('stages:\n  lazy:\n    cmd: "true"\n    outs: [never.txt]\n', {});
    const result = await ghml(dir, 'repro');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("did not write 'never.txt'");
    expect(existsSync(join(dir, 'ghml.lock'))).toBe(false);
  });
});

describe('parallel stages and interruption', () => {
  it('-j 2 runs two independent stages at the same time', async () => {
    // Each stage waits (bounded) for the other's start file: only concurrent runs succeed.
    const wait = (mine: string, other: string): string =>
      `touch ${mine}.started && for i in $(seq 1 200); do [ -f ${other}.started ] && break; sleep 0.05; done && [ -f ${other}.started ] && echo ok > ${mine}.txt`;
    const dir = pipelineRepo(
      `stages:\n  a:\n    cmd: ${JSON.stringify(wait('a', 'b'))}\n    outs: [a.txt]\n  b:\n    cmd: ${JSON.stringify(wait('b', 'a'))}\n    outs: [b.txt]\n`,
      {},
    );
    const result = await ghml(dir, 'repro', '-j', '2');
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('ok\n');
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('ok\n');
  });

  it('Ctrl-C stops every process of every running stage and records them KILLED', async () => {
    const dir = pipelineRepo(
      [
        'stages:',
        '  a:',
        '    cmd: echo $$ > a.pid && sleep 60 | cat && echo a > a.txt',
        '    outs: [a.txt]',
        '  b:',
        '    cmd: echo $$ > b.pid && sleep 61 | cat && echo b > b.txt',
        '    outs: [b.txt]',
        '  c:',
        '    cmd: cat a.txt b.txt > c.txt',
        '    deps: [a.txt, b.txt]',
        '    outs: [c.txt]',
        '',
      ].join('\n'),
      {},
    );
    const child = startGhml(['repro', '-j', '2'], { cwd: dir });
    const done = collect(child);
    for (
      let i = 0;
      i < 400 && !(existsSync(join(dir, 'a.pid')) && existsSync(join(dir, 'b.pid')));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const groups = ['a.pid', 'b.pid'].map((f) => Number(readFileSync(join(dir, f), 'utf8')));
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("Stage 'c': not run");
    for (const group of groups) {
      // The stage's shell led its own process group: nothing of it (sleep, cat) is left.
      expect(() => process.kill(-group, 0)).toThrow();
    }
    expect(runRecords(dir).map((r) => r.status)).toEqual(['KILLED', 'KILLED']);
  });
});

describe('bad definitions', () => {
  it('are refused with file:line before anything runs', async () => {
    const dir = pipelineRepo('stages:\n  a:\n    cmd: echo ${missing}\n    outs: [a.txt]\n', {});
    const result = await ghml(dir, 'repro');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "ghml.yml:3:10: stages.a.cmd has a ${} that does not resolve: 'missing' is not defined",
    );
    expect(existsSync(join(dir, 'ghml.lock'))).toBe(false);
  });
});
