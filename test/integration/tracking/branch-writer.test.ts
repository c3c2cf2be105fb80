import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGit, type Git } from '../../../src/git/git.js';
import { formatMetricLines } from '../../../src/tracking/run-record-json.js';
import {
  AmbiguousRunError,
  InvalidNameError,
  InvalidRunDataError,
  NewerFormatError,
  RunExistsError,
  RunNotFoundError,
} from '../../../src/tracking/tracking-errors.js';
import {
  openTrackingStore,
  type TrackingStore,
} from '../../../src/tracking/store/tracking-store.js';
import { cleanupTempDirs, commitFile, git, makeRepo, tempDir } from '../../support/temp-repo.js';
import { buildWriter } from './fixtures/build-writer.js';
import { startWriter } from './fixtures/run-process.js';
import { sampleInput, samplePoints } from './fixtures/sample-run.js';

afterAll(cleanupTempDirs);

const BRANCH = 'ghml/runs';

async function open(repo: string): Promise<{ g: Git; store: TrackingStore }> {
  const g = await createGit(repo);
  return {
    g,
    store: openTrackingStore(g, { branch: BRANCH, remote: 'origin', pushTimeoutMs: 30_000 }),
  };
}

function snapshot(repo: string): string {
  const index = createHash('sha256')
    .update(readFileSync(join(repo, '.git', 'index')))
    .digest('hex');
  return [
    git(repo, 'rev-parse', 'HEAD'),
    git(repo, 'symbolic-ref', 'HEAD'),
    git(repo, 'status', '--porcelain', '--untracked-files=all'),
    index,
  ].join('|');
}

describe('tracking branch writer and reader', () => {
  it('round-trips a run with metrics and artifacts, leaving HEAD, index and work tree alone', async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, 'wip.txt'), 'untracked work in progress');
    const before = snapshot(repo);
    const { g, store } = await open(repo);
    const artifact = join(tempDir(), 'model.bin');
    writeFileSync(artifact, Buffer.from([0, 255, 10, 13, 10]));
    const input = sampleInput(await g.headCommit());
    input.artifacts = [
      { path: 'model/model.bin', file: artifact },
      { path: 'notes with space.txt', file: artifact },
    ];
    const result = await store.writeRun(input);

    expect(snapshot(repo)).toBe(before);
    expect(git(repo, 'rev-parse', `refs/heads/${BRANCH}`)).toBe(result.commit);
    expect(git(repo, 'log', '--format=%P', `refs/heads/${BRANCH}`)).toBe('');
    expect(git(repo, 'log', '-1', '--format=%B', result.commit)).toBe(
      `run ${input.record.id} iris FINISHED\n\nGhml-Run: ${result.path}\nGhml-Open: 1`,
    );
    expect(JSON.parse(git(repo, 'show', `${BRANCH}:ghml.json`))).toEqual({ format: 2 });
    expect(git(repo, 'ls-tree', '-r', '--name-only', BRANCH, result.path).split('\n')).toEqual([
      `${result.path}/artifacts/model/model.bin`,
      `${result.path}/artifacts/notes with space.txt`,
      `${result.path}/metrics.jsonl`,
      `${result.path}/run.json`,
    ]);

    const [run] = await store.listRuns();
    expect(run?.record).toEqual(input.record);
    expect(Number.isNaN(run?.record.metrics['loss']?.value)).toBe(true);
    expect(await store.readMetrics(run!)).toEqual(samplePoints());
    expect(await store.readArtifact(run!, 'model/model.bin')).toEqual(
      Buffer.from([0, 255, 10, 13, 10]),
    );
    await expect(store.readArtifact(run!, 'nope.bin')).rejects.toThrow(
      "has no stored artifact 'nope.bin'",
    );
    expect((await store.findRun(input.record.id.slice(0, 12).toLowerCase())).id).toBe(
      input.record.id,
    );
    expect(await store.unpushedRunIds()).toEqual([input.record.id]);
    expect(git(repo, 'fsck', '--strict')).toBe('');
  });

  it('records events on a run and reads them back', async () => {
    const repo = makeRepo();
    const { g, store } = await open(repo);
    const input = sampleInput(await g.headCommit());
    await store.writeRun(input);
    await store.addRunEvent(input.record.id, { kind: 'register', at: 1, version: 'v1.0.0' });
    await store.addRunEvent(input.record.id, { kind: 'deploy', at: 2, stage: 'prod' });
    const run = await store.findRun(input.record.id);
    expect((await store.readRunEvents(run)).map((e) => e.event)).toEqual([
      { kind: 'register', at: 1, version: 'v1.0.0' },
      { kind: 'deploy', at: 2, stage: 'prod' },
    ]);
    await expect(
      store.addRunEvent('01HV5Z3K8Q9W7X6Y5T4S3R2P1N', { kind: 'x', at: 1 }),
    ).rejects.toThrow(RunNotFoundError);
  });

  it('finds the runs at a commit with tree listings only', async () => {
    const repo = makeRepo();
    const { g, store } = await open(repo);
    const first = await g.headCommit();
    const second = commitFile(repo, 'train.py', 'print(1)\n');
    const a = sampleInput(first);
    const b = sampleInput(second);
    const c = sampleInput(second, { experiment: 'other' });
    for (const input of [a, b, c]) await store.writeRun(input);
    expect((await store.runsAtCommit(first)).map((r) => r.id)).toEqual([a.record.id]);
    expect((await store.runsAtCommit(second)).map((r) => r.id)).toEqual([b.record.id, c.record.id]);
    expect((await store.runsAtCommit(second, 'other')).map((r) => r.id)).toEqual([c.record.id]);
    expect(await store.runsAtCommit('f'.repeat(40))).toEqual([]);
    const records = await store.readRuns(await store.runsAtCommit(second));
    expect(records.map((r) => r.record.experiment)).toEqual(['iris', 'other']);
    expect((await store.listRuns({ experiment: 'iris' })).map((r) => r.id)).toEqual([
      a.record.id,
      b.record.id,
    ]);
    await expect(store.runsAtCommit('abc')).rejects.toThrow(InvalidNameError);
  });

  it('refuses to write the same run id twice and keeps the branch as it was', async () => {
    const repo = makeRepo();
    const { g, store } = await open(repo);
    const input = sampleInput(await g.headCommit());
    await store.writeRun(input);
    const tip = git(repo, 'rev-parse', BRANCH);
    await expect(store.writeRun(input)).rejects.toThrow(RunExistsError);
    await expect(store.writeRun(input)).rejects.toThrow(
      `run '${input.record.id}' is already recorded in the open bucket`,
    );
    expect(git(repo, 'rev-parse', BRANCH)).toBe(tip);
  });

  it('refuses bad names and artifact paths before writing anything', async () => {
    const repo = makeRepo();
    const { g, store } = await open(repo);
    const head = await g.headCommit();
    await expect(store.writeRun(sampleInput(head, { experiment: '../x' }))).rejects.toThrow(
      InvalidNameError,
    );
    await expect(
      store.writeRun(sampleInput(head, { source: { commit: 'HEAD', branch: null, dirty: false } })),
    ).rejects.toThrow("invalid commit 'HEAD'");
    const file = join(tempDir(), 'f');
    writeFileSync(file, 'x');
    for (const path of ['../escape', '/abs', 'a//b', '.git/hooks/x']) {
      const input = sampleInput(head);
      input.artifacts = [{ path, file }];
      await expect(store.writeRun(input)).rejects.toThrow(`invalid artifact path '${path}'`);
    }
    const dup = sampleInput(head);
    dup.artifacts = [
      { path: 'a', file },
      { path: 'a', file },
    ];
    await expect(store.writeRun(dup)).rejects.toThrow(InvalidNameError);
    expect(git(repo, 'for-each-ref', 'refs/heads/ghml')).toBe('');
    expect(() =>
      openTrackingStore(g, { branch: 'bad..name', remote: 'origin', pushTimeoutMs: 1 }),
    ).toThrow(InvalidNameError);
    expect(() => openTrackingStore(g, { branch: 'ok', remote: '-x', pushTimeoutMs: 1 })).toThrow(
      "invalid remote name '-x'",
    );
  });

  it('refuses a branch written by a newer ghml, for reads and writes', async () => {
    const repo = makeRepo();
    const { g, store } = await open(repo);
    await store.writeRun(sampleInput(await g.headCommit()));
    const blob = execInput(repo, '{"format": 3}\n');
    const tree = execInput(repo, `100644 blob ${blob}\tghml.json\n`, 'mktree');
    const commit = git(repo, 'commit-tree', tree, '-p', BRANCH, '-m', 'from the future');
    git(repo, 'update-ref', `refs/heads/${BRANCH}`, commit);
    await expect(store.listRuns()).rejects.toThrow(NewerFormatError);
    await expect(store.listRuns()).rejects.toThrow(
      'written by a newer ghml (format 3): upgrade ghml',
    );
    await expect(store.writeRun(sampleInput(await g.headCommit()))).rejects.toThrow(
      NewerFormatError,
    );
    await expect(store.ensureBranch()).rejects.toThrow(NewerFormatError);
    expect(git(repo, 'rev-parse', BRANCH)).toBe(commit);
  });

  it('refuses a branch that is not a ghml tracking branch', async () => {
    const repo = makeRepo();
    git(repo, 'branch', BRANCH);
    const { g, store } = await open(repo);
    await expect(store.listRuns()).rejects.toThrow(InvalidRunDataError);
    await expect(store.writeRun(sampleInput(await g.headCommit()))).rejects.toThrow(
      'not a ghml tracking branch',
    );
  });

  it('ensureBranch creates an orphan branch with the format marker, once', async () => {
    const repo = makeRepo();
    const { store } = await open(repo);
    const first = await store.ensureBranch();
    expect(await store.ensureBranch()).toBe(first);
    expect(git(repo, 'ls-tree', '--name-only', first)).toBe('ghml.json');
    expect(git(repo, 'rev-list', '--count', first)).toBe('1');
    expect(await store.listRuns()).toEqual([]);
    expect(await store.unpushedRunIds()).toEqual([]);
  });

  it('finds runs by unique prefix and explains ambiguity and absence', async () => {
    const repo = makeRepo();
    const { g, store } = await open(repo);
    const head = await g.headCommit();
    const a = sampleInput(head, { id: '01HV5Z3K8Q9W7X6Y5T4S3R2P1A' });
    const b = sampleInput(head, { id: '01HV5Z3K8Q9W7X6Y5T4S3R2P1B' });
    await store.writeRun(a);
    await store.writeRun(b);
    await expect(store.findRun('01HV5Z')).rejects.toThrow(AmbiguousRunError);
    expect((await store.findRun('01HV5Z3K8Q9W7X6Y5T4S3R2P1B')).record.id).toBe(b.record.id);
    await expect(store.findRun('01HX')).rejects.toThrow("no run '01HX'");
    await expect(store.findRun('not an id')).rejects.toThrow(RunNotFoundError);
  });

  it('reads nothing (and fails nothing) when there is no tracking branch', async () => {
    const { store } = await open(makeRepo());
    expect(await store.listRuns()).toEqual([]);
    expect(await store.tip()).toBeUndefined();
    await expect(store.findRun('01HV')).rejects.toThrow(RunNotFoundError);
  });
});

describe('concurrent local writers', () => {
  let writer: string;
  beforeAll(async () => {
    writer = await buildWriter();
  });

  it('loses no run when writers in one process and in other processes race on one repository', async () => {
    const repo = makeRepo();
    const head = git(repo, 'rev-parse', 'HEAD');
    const processes = Array.from({ length: 4 }, () =>
      startWriter(writer, { repo, count: 5, push: false, experiment: 'iris' }),
    );
    const inProcess = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const { store } = await open(repo);
        const input = sampleInput(head, { experiment: 'local' });
        input.metricsJsonl = Buffer.from(formatMetricLines(samplePoints()));
        await store.writeRun(input);
        return input.record.id;
      }),
    );
    const outcomes = await Promise.all(processes.map((p) => p.done));
    for (const outcome of outcomes) expect(outcome.stderr).toBe('');
    const expected = [...inProcess, ...outcomes.flatMap((o) => o.written)].sort();
    expect(expected).toHaveLength(28);
    const { store } = await open(repo);
    expect((await store.listRuns()).map((r) => r.id)).toEqual(expected);
    expect(git(repo, 'rev-list', '--count', BRANCH)).toBe('28');
    expect(git(repo, 'fsck', '--strict', '--no-dangling')).toBe('');
  }, 120_000);
});

function execInput(repo: string, input: string, command = 'hash-object'): string {
  const args = command === 'mktree' ? ['mktree'] : ['hash-object', '-w', '--stdin'];
  return execFileSyncInput(repo, args, input);
}

function execFileSyncInput(cwd: string, args: string[], input: string): string {
  return execFileSync('git', args, { cwd, input, encoding: 'utf8' }).trim();
}
