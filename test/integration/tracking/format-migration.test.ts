import { afterAll, describe, expect, it } from 'vitest';
import { createGit, type Git } from '../../../src/git/git.js';
import { formatMetricLines } from '../../../src/tracking/run-record-json.js';
import {
  openTrackingStore,
  type TrackingStore,
} from '../../../src/tracking/store/tracking-store.js';
import { FormatMigrationNeededError } from '../../../src/tracking/tracking-errors.js';
import {
  cleanupTempDirs,
  cloneRepo,
  git,
  makeBareRemote,
  makeRepo,
} from '../../support/temp-repo.js';
import { writeFormat1Branch, type Format1Run } from './fixtures/format1-branch.js';
import { newRunId, sampleInput, samplePoints, sampleRecord } from './fixtures/sample-run.js';

afterAll(cleanupTempDirs);

const BRANCH = 'ghml/runs';

function open(g: Git, warnings?: string[], sealAt?: number): TrackingStore {
  return openTrackingStore(g, {
    branch: BRANCH,
    remote: 'origin',
    pushTimeoutMs: 30_000,
    ...(warnings ? { warn: (m: string) => warnings.push(m) } : {}),
    ...(sealAt !== undefined ? { sealAt } : {}),
  });
}

function format1Runs(commit: string, count: number): Format1Run[] {
  return Array.from({ length: count }, (_, i) => ({
    record: sampleRecord(commit, { format: 1, experiment: i % 2 ? 'iris' : 'other' }),
    metrics: formatMetricLines(samplePoints()),
    ...(i === 0
      ? { events: [{ id: newRunId(), event: { kind: 'register', at: 5, version: 'v1.0.0' } }] }
      : {}),
  }));
}

/** The records as a format-2 reader gives them (the record's own format field aside). */
function asRead(runs: readonly Format1Run[]): unknown[] {
  return runs.map((r) => ({ ...r.record, format: expect.any(Number) as number }));
}

describe('format 1 branches', () => {
  it('stay readable, and a writer refuses them before writing, naming ghml migrate', async () => {
    const repo = makeRepo();
    const head = git(repo, 'rev-parse', 'HEAD');
    const runs = format1Runs(head, 3);
    writeFormat1Branch(repo, runs);
    const store = open(await createGit(repo));
    expect((await store.listRuns()).map((r) => r.record)).toEqual(asRead(runs));
    const first = await store.findRun(runs[0]!.record.id);
    expect(await store.readMetrics(first)).toEqual(samplePoints());
    expect((await store.readRunEvents(first)).map((e) => e.event)).toEqual([
      { kind: 'register', at: 5, version: 'v1.0.0' },
    ]);
    expect(await store.runsAtCommit(head)).toHaveLength(3);
    const tip = git(repo, 'rev-parse', BRANCH);
    await expect(store.checkWritable()).rejects.toThrow(FormatMigrationNeededError);
    const error = await store.writeRun(sampleInput(head)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatMigrationNeededError);
    expect((error as FormatMigrationNeededError).hint).toContain('run `ghml migrate` once');
    await expect(store.addRunEvent(first, { kind: 'x', at: 1 })).rejects.toThrow(
      FormatMigrationNeededError,
    );
    expect(git(repo, 'rev-parse', BRANCH)).toBe(tip);
  });
});

describe('ghml migrate', () => {
  it('seals every run into segments in one commit, keeping events and unreadable runs', async () => {
    const repo = makeRepo();
    const head = git(repo, 'rev-parse', 'HEAD');
    const runs = format1Runs(head, 5);
    const broken: Format1Run = {
      record: sampleRecord(head, { format: 1 }),
      metrics: '',
      rawRunJson: '{"format": 1, "id": 42}',
    };
    writeFormat1Branch(repo, [...runs, broken]);
    const before = git(repo, 'rev-parse', BRANCH);
    const warnings: string[] = [];
    const store = open(await createGit(repo), warnings);
    const result = await store.migrate(false);
    expect(result).toMatchObject({
      migrated: true,
      runs: 5,
      events: 1,
      segments: 1,
      leftOpen: 1,
      pushed: false,
    });
    expect(git(repo, 'rev-parse', `${BRANCH}^`)).toBe(before);
    expect(JSON.parse(git(repo, 'show', `${BRANCH}:ghml.json`))).toEqual({ format: 2 });
    expect(git(repo, 'ls-tree', '--name-only', BRANCH).split('\n')).toEqual([
      'ghml.json',
      'runs',
      'segments',
    ]);
    expect(warnings.some((w) => w.includes(broken.record.id))).toBe(true);
    const listed = await store.listRuns();
    expect(listed.map((r) => r.id)).toEqual(runs.map((r) => r.record.id).sort());
    const first = await store.findRun(runs[0]!.record.id);
    expect((await store.readRunEvents(first)).map((e) => e.event)).toEqual([
      { kind: 'register', at: 5, version: 'v1.0.0' },
    ]);
    expect(await store.readMetrics(first)).toEqual(samplePoints());
    // Writes work now, and a second migration does nothing.
    await store.writeRun(sampleInput(head));
    expect(await store.migrate(false)).toMatchObject({ migrated: false });
    expect(git(repo, 'fsck', '--strict', '--no-dangling')).toBe('');
  });

  it('pushes atomically: a run pushed by an old writer meanwhile makes it start again and keeps that run', async () => {
    const origin = makeBareRemote();
    const seed = makeRepo();
    git(seed, 'remote', 'add', 'origin', `file://${origin}`);
    git(seed, 'push', '-q', 'origin', 'main');
    const head = git(seed, 'rev-parse', 'HEAD');
    const runs = format1Runs(head, 4);
    writeFormat1Branch(seed, runs);
    git(seed, 'push', '-q', 'origin', BRANCH);

    const oldWriter = cloneRepo(origin);
    git(oldWriter, 'fetch', '-q', 'origin', `${BRANCH}:${BRANCH}`);
    const late = format1Runs(head, 1);
    writeFormat1Branch(oldWriter, late);

    const laptop = cloneRepo(origin);
    // An unpushed run the laptop recorded with format-1 ghml before upgrading.
    git(laptop, 'fetch', '-q', 'origin', `${BRANCH}:${BRANCH}`);
    const unpushed = format1Runs(head, 1);
    writeFormat1Branch(laptop, unpushed);

    const real = await createGit(laptop);
    let pushes = 0;
    // The same git door, except that the old writer pushes between our fetch and our push.
    const racing = new Proxy(real, {
      get(target, key, receiver) {
        if (key !== 'tryExec') return Reflect.get(target, key, receiver) as unknown;
        return (args: readonly string[], options?: Parameters<Git['tryExec']>[1]) => {
          if (args[0] === 'push' && pushes++ === 0) git(oldWriter, 'push', '-q', 'origin', BRANCH);
          return target.tryExec(args, options);
        };
      },
    });
    const result = await open(racing).migrate(true);
    expect(result).toMatchObject({ migrated: true, pushed: true, attempts: 2, runs: 5 });
    const store = open(real);
    await store.push();
    const reader = open(await createGit(cloneRepo(origin, ['--depth', '1'])));
    await reader.fetch();
    expect((await reader.listRuns()).map((r) => r.id)).toEqual(
      [...runs, ...late, ...unpushed].map((r) => r.record.id).sort(),
    );
    // The unpushed run went to the open bucket, with its event.
    const id = unpushed[0]!.record.id;
    expect(await reader.whereIsRun(id)).toContain('the open bucket');
    expect((await reader.readRunEvents(await reader.findRun(id))).map((e) => e.event.kind)).toEqual(
      ['register'],
    );
    expect(git(origin, 'fsck', '--strict', '--no-dangling')).toBe('');
  });
});
