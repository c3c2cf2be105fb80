import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import {
  deletedEvent,
  renamedEvent,
  restoredEvent,
  tagEvent,
} from '../../../src/tracking/run-lifecycle.js';
import type { MetricPoint } from '../../../src/tracking/run-record.js';
import { formatMetricLines } from '../../../src/tracking/run-record-json.js';
import {
  openTrackingStore,
  type TrackingStore,
} from '../../../src/tracking/store/tracking-store.js';
import {
  cleanupTempDirs,
  cloneRepo,
  commitFile,
  git,
  makeBareRemote,
  makeRepo,
  tempDir,
} from '../../support/temp-repo.js';
import { sampleInput, samplePoints } from './fixtures/sample-run.js';

afterAll(cleanupTempDirs);

const BRANCH = 'ghml/runs';

async function open(
  repo: string,
  options: { sealAt?: number; warnings?: string[] } = {},
): Promise<TrackingStore> {
  const warnings = options.warnings;
  return openTrackingStore(await createGit(repo), {
    branch: BRANCH,
    remote: 'origin',
    pushTimeoutMs: 30_000,
    ...(options.sealAt !== undefined ? { sealAt: options.sealAt } : {}),
    ...(warnings ? { warn: (m: string) => warnings.push(m) } : {}),
  });
}

function tipEntries(repo: string, ref = BRANCH): string[] {
  return git(repo, 'ls-tree', '--name-only', ref).split('\n');
}

function plant(repo: string, path: string, content: string, ref = `refs/heads/${BRANCH}`): void {
  const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], {
    cwd: repo,
    input: content,
    encoding: 'utf8',
  }).trim();
  const index = join(tempDir(), 'index');
  const env = { ...process.env, GIT_INDEX_FILE: index };
  execFileSync('git', ['read-tree', ref], { cwd: repo, env });
  execFileSync('git', ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], {
    cwd: repo,
    env,
  });
  const tree = execFileSync('git', ['write-tree'], { cwd: repo, env, encoding: 'utf8' }).trim();
  const commit = git(repo, 'commit-tree', tree, '-p', ref, '-m', 'planted by a test');
  git(repo, 'update-ref', ref, commit);
}

describe('tracking branch format 2: sealed segments', () => {
  it('seals the open bucket into segments and reads every run back the same as before', async () => {
    const repo = makeRepo();
    const store = await open(repo, { sealAt: 5 });
    const a = git(repo, 'rev-parse', 'HEAD');
    const b = commitFile(repo, 'train.py', 'print(2)\n');
    const inputs = Array.from({ length: 12 }, (_, i) =>
      sampleInput(i % 3 === 0 ? a : b, { experiment: i % 2 === 0 ? 'iris' : 'other' }),
    );
    for (const input of inputs) await store.writeRun(input);
    const ids = inputs.map((i) => i.record.id);

    expect(tipEntries(repo)).toEqual(['ghml.json', 'runs', 'segments']);
    const segments = git(repo, 'ls-tree', '--name-only', BRANCH, 'segments/').split('\n');
    expect(segments).toEqual([
      `segments/000001-${ids[0]}-${ids[4]}`,
      `segments/000002-${ids[5]}-${ids[9]}`,
    ]);
    expect(git(repo, 'ls-tree', '--name-only', BRANCH, `${segments[0]}/`).split('\n')).toEqual([
      `${segments[0]}/commits.txt`,
      `${segments[0]}/events.json`,
      `${segments[0]}/summary-0.json`,
      `${segments[0]}/trees.txt`,
    ]);
    // Two runs are still open; the branch is still one commit per run plus the seals.
    expect(
      git(repo, 'ls-tree', '-r', '-d', '--name-only', BRANCH, 'runs')
        .split('\n')
        .filter((p) => p.split('/').length === 5),
    ).toHaveLength(2);
    expect(
      git(repo, 'log', '--format=%s', BRANCH)
        .split('\n')
        .filter((s) => s.startsWith('ghml: seal')),
    ).toHaveLength(2);

    const listed = await store.listRuns();
    expect(listed.map((r) => r.id)).toEqual(ids);
    expect(listed.map((r) => r.record)).toEqual(inputs.map((i) => i.record));
    // A bulk listing leaves sealed runs' trees to be resolved; every store read does it.
    expect(listed.slice(0, 10).every((r) => r.tree === '')).toBe(true);
    expect(listed.slice(10).every((r) => r.tree !== '')).toBe(true);
    const resolved = await store.resolveTrees(listed);
    expect(resolved.map((r) => git(repo, 'cat-file', '-t', r.tree))).toEqual(ids.map(() => 'tree'));
    expect(await store.readMetrics(listed[0]!)).toEqual(samplePoints());
    expect((await store.runsAtCommit(a)).map((r) => r.id)).toEqual(
      ids.filter((_, i) => i % 3 === 0),
    );
    expect((await store.runsAtCommit(b, 'other')).map((r) => r.id)).toEqual(
      ids.filter((_, i) => i % 3 !== 0 && i % 2 === 1),
    );
    // Which commits have runs: open and sealed alike (compare's baseline walk asks this).
    const none = 'f'.repeat(40);
    expect(await store.commitsWithRuns([a, b, none])).toEqual(new Set([a, b]));
    expect(await store.commitsWithRuns([a, none], 'other')).toEqual(
      new Set(ids.some((_, i) => i % 3 === 0 && i % 2 === 1) ? [a] : []),
    );
    const sealed = await store.findRun(ids[1] as string);
    expect(sealed.record).toEqual(inputs[1]?.record);
    expect(await store.readMetrics(sealed)).toEqual(samplePoints());
    expect(await store.whereIsRun(ids[6] as string)).toBe(
      `segment ${segments[1]?.slice(9)} (refs/heads/${BRANCH})`,
    );
    expect(await store.whereIsRun(ids[11] as string)).toBe(
      `the open bucket (refs/heads/${BRANCH})`,
    );
    expect(await store.whereIsRun('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeUndefined();
    // A sealed run id is still taken.
    await expect(store.writeRun(inputs[2]!)).rejects.toThrow(
      `is already recorded in segment 000001`,
    );
    expect(git(repo, 'fsck', '--strict', '--no-dangling')).toBe('');
  });

  it('applies lifecycle events to sealed and open runs: delete hides, restore shows, tags and names change', async () => {
    const repo = makeRepo();
    const store = await open(repo, { sealAt: 3 });
    const head = git(repo, 'rev-parse', 'HEAD');
    const inputs = Array.from({ length: 4 }, () => sampleInput(head));
    for (const input of inputs) await store.writeRun(input);
    const [first, , , last] = inputs.map((i) => i.record.id);
    await store.addRunEvent(first as string, deletedEvent(1));
    await store.addRunEvent(first as string, tagEvent(2, 'review', 'ok'));
    await store.addRunEvent(last as string, renamedEvent(3, 'best run'));
    await store.addRunEvent(last as string, tagEvent(4, 'review', 'done'));
    await store.addRunEvent(last as string, tagEvent(5, 'review', null));
    // The events themselves fill the open bucket and get sealed too.
    expect(tipEntries(repo)).toContain('segments');
    const visible = await store.listRuns();
    expect(visible.map((r) => r.id)).toEqual(inputs.slice(1).map((i) => i.record.id));
    expect(visible.at(-1)?.record.name).toBe('best run');
    expect(visible.at(-1)?.record.tags).toEqual({});
    const all = await store.listRuns({ includeDeleted: true });
    expect(all[0]).toMatchObject({ id: first, deleted: true });
    expect(all[0]?.record.tags).toEqual({ review: 'ok' });
    const found = await store.findRun(first as string);
    expect(found.deleted).toBe(true);
    expect((await store.readRunEvents(found)).map((e) => e.event.kind)).toEqual([
      'run.deleted',
      'run.tag',
    ]);
    expect(await store.runsAtCommit(head)).toHaveLength(3);
    await store.addRunEvent(first as string, restoredEvent(6));
    expect((await store.listRuns()).map((r) => r.id)).toEqual(inputs.map((i) => i.record.id));
  });

  it('reads sealed runs from a depth-1 blobless CI clone, fetching only what it reads', async () => {
    const origin = makeBareRemote();
    const seed = makeRepo();
    git(seed, 'remote', 'add', 'origin', `file://${origin}`);
    git(seed, 'push', '-q', 'origin', 'main');
    const store = await open(seed, { sealAt: 4 });
    const head = git(seed, 'rev-parse', 'HEAD');
    const inputs = Array.from({ length: 10 }, () => sampleInput(head));
    for (const input of inputs) await store.writeRun(input);
    await store.push();

    const ci = cloneRepo(origin, ['--depth', '1']);
    const reader = await open(ci);
    expect(await reader.fetch()).toBe(true);
    expect(git(ci, 'rev-list', '--count', `refs/remotes/origin/${BRANCH}`)).toBe('1');
    const runs = await reader.listRuns();
    expect(runs.map((r) => r.record)).toEqual(inputs.map((i) => i.record));
    // The listing read summaries, not the sealed runs' files…
    // (A bulk listing leaves a sealed run's tree ''; the seed resolves it from trees.txt.)
    const [sealed] = await store.resolveTrees([runs[0]!]);
    const metricsBlob = git(seed, 'rev-parse', `${sealed!.tree}:metrics.jsonl`);
    const present = (oid: string): boolean => {
      try {
        execFileSync('git', ['cat-file', '-e', oid], {
          cwd: ci,
          stdio: 'ignore',
          env: { ...process.env, GIT_NO_LAZY_FETCH: '1' },
        });
        return true;
      } catch {
        return false;
      }
    };
    expect(present(metricsBlob)).toBe(false);
    // …which arrive when read.
    expect(await reader.readMetrics(runs[0]!)).toEqual(samplePoints());
    expect(present(metricsBlob)).toBe(true);
    expect((await reader.runsAtCommit(head)).map((r) => r.id)).toEqual(runs.map((r) => r.id));
  });

  it('keeps sealed run folders out of the tip tree, so its size stays bounded', async () => {
    const repo = makeRepo();
    const store = await open(repo, { sealAt: 5 });
    const head = git(repo, 'rev-parse', 'HEAD');
    for (let i = 1; i <= 60; i++) await store.writeRun(sampleInput(head));
    const openFolders = git(repo, 'ls-tree', '-r', '-d', '--name-only', BRANCH, 'runs')
      .split('\n')
      .filter((p) => p.split('/').length === 5);
    expect(openFolders).toHaveLength(5);
    expect(git(repo, 'ls-tree', '--name-only', BRANCH, 'segments/').split('\n')).toHaveLength(11);
    expect(await store.listRuns()).toHaveLength(60);
  });
});

describe('one bad record never stops a read', () => {
  it('skips a malformed run.json in the open bucket and a broken segment entry, naming each', async () => {
    const repo = makeRepo();
    const store = await open(repo, { sealAt: 3 });
    const head = git(repo, 'rev-parse', 'HEAD');
    const inputs = Array.from({ length: 5 }, () => sampleInput(head));
    for (const input of inputs) await store.writeRun(input);
    const open2 = inputs[4]!.record.id;
    const folder = `runs/iris/${head.slice(0, 2)}/${head.slice(2)}/${open2}`;
    // A fork once pushed a record with a time no Date can hold, and one that is not JSON.
    plant(repo, `${folder}/run.json`, JSON.stringify({ ...inputs[4]!.record, startTime: 1e300 }));
    const bad = `runs/iris/${head.slice(0, 2)}/${head.slice(2)}/01ARZ3NDEKTSV4RRFFQ69G5FAV/run.json`;
    plant(repo, bad, '{"format": 2, "id": ');
    const segment = git(repo, 'ls-tree', '--name-only', BRANCH, 'segments/');
    const summary = JSON.parse(
      git(repo, 'show', `${BRANCH}:${segment}/summary-0.json`),
    ) as unknown[][];
    (summary[3] as unknown[][])[0]![6] = -8.64e15 - 1;
    plant(repo, `${segment}/summary-0.json`, JSON.stringify(summary));

    const warnings: string[] = [];
    const reading = await open(repo, { warnings });
    const listed = await reading.listRuns();
    expect(listed.map((r) => r.id)).toEqual(inputs.slice(1, 4).map((i) => i.record.id));
    expect(warnings).toEqual(
      expect.arrayContaining([
        `skipped 1 unreadable run summaries in ${segment}/summary-0.json`,
        expect.stringMatching(/^skipped 2 unreadable run records: /),
      ]),
    );
    // One warning for the open bucket's bad records, naming both files.
    expect(warnings).toHaveLength(2);
    const records = warnings.find((w) => w.startsWith('skipped 2 unreadable run records'));
    expect(records).toContain(`${folder}/run.json (`);
    expect(records).toContain(`${bad} (`);
  });
});

describe('metric series over the chunk size', () => {
  it('splits metrics.jsonl at 16 MiB line boundaries and reads the series back exactly', async () => {
    const repo = makeRepo();
    const store = await open(repo);
    const head = git(repo, 'rev-parse', 'HEAD');
    const points: MetricPoint[] = [];
    for (let step = 0; step < 300_000; step++) {
      points.push({
        key: 'loss',
        value: 1 / (step + 1),
        step,
        timestamp: 1_700_000_000_000 + step,
      });
    }
    const input = sampleInput(head);
    input.metricsJsonl = Buffer.from(formatMetricLines(points));
    expect(input.metricsJsonl.length).toBeGreaterThan(16 * 1024 * 1024);
    const { path } = await store.writeRun(input);
    const files = git(repo, 'ls-tree', '-l', BRANCH, `${path}/`)
      .split('\n')
      .map((line) => ({ size: Number(line.split(/\s+/)[3]), name: line.split('/').pop() }));
    expect(files.map((f) => f.name)).toEqual(['metrics-1.jsonl', 'metrics.jsonl', 'run.json']);
    for (const f of files) expect(f.size).toBeLessThanOrEqual(16 * 1024 * 1024);
    const run = await store.findRun(input.record.id);
    const back = await store.readMetrics(run);
    expect(back).toHaveLength(points.length);
    expect(back).toEqual(points);
  });
});

describe('a fresh clone reading what others delivered', () => {
  it('skips an inbox entry already on the branch when folding, and deletes its ref', async () => {
    const origin = makeBareRemote();
    const seed = makeRepo();
    git(seed, 'remote', 'add', 'origin', `file://${origin}`);
    git(seed, 'push', '-q', 'origin', 'main');
    const store = await open(seed);
    const head = git(seed, 'rev-parse', 'HEAD');
    const input = sampleInput(head);
    await store.writeRun(input);
    await store.push();
    // A writer killed after delivering but before noting it, whose next push then went to the
    // branch: the same run is on the branch and in the inbox.
    const path = git(seed, 'log', '-1', '--format=%(trailers:key=Ghml-Run,valueonly)', BRANCH);
    const entryTree = git(seed, 'rev-parse', `${BRANCH}:${path}`);
    const marker = git(seed, 'rev-parse', `${BRANCH}:ghml.json`);
    const idx = join(tempDir(), 'index');
    const env = { ...process.env, GIT_INDEX_FILE: idx };
    execFileSync('git', ['update-index', '--add', '--cacheinfo', `100644,${marker},ghml.json`], {
      cwd: seed,
      env,
    });
    execFileSync('git', ['read-tree', '--prefix', `${path}/`, entryTree], { cwd: seed, env });
    const tree = execFileSync('git', ['write-tree'], { cwd: seed, env, encoding: 'utf8' }).trim();
    const commit = git(
      seed,
      'commit-tree',
      tree,
      '-m',
      `run ${input.record.id}\n\nGhml-Run: ${path}`,
    );
    git(seed, 'push', '-q', 'origin', `${commit}:refs/ghml/inbox/${BRANCH}/${input.record.id}`);

    const reader = await open(cloneRepo(origin, ['--depth', '1']));
    await reader.fetch();
    expect((await reader.listRuns()).map((r) => r.id)).toEqual([input.record.id]);
    expect(await reader.fold()).toMatchObject({ folded: 0 });
    expect(git(origin, 'for-each-ref', 'refs/ghml')).toBe('');
    expect(git(origin, 'rev-list', '--count', BRANCH)).toBe('1');
  });

  it('ignores refs in the inbox that are not ghml entries, saying so', async () => {
    const origin = makeBareRemote();
    const seed = makeRepo();
    git(seed, 'remote', 'add', 'origin', `file://${origin}`);
    git(seed, 'push', '-q', 'origin', 'main');
    git(seed, 'push', '-q', 'origin', `main:refs/ghml/inbox/${BRANCH}/01ARZ3NDEKTSV4RRFFQ69G5FAV`);
    const warnings: string[] = [];
    const reader = await open(cloneRepo(origin), { warnings });
    await reader.fetch();
    expect(await reader.listRuns()).toEqual([]);
    expect(warnings).toEqual([
      `ignored refs/ghml/remotes/origin/inbox/${BRANCH}/01ARZ3NDEKTSV4RRFFQ69G5FAV: not a ghml inbox entry`,
    ]);
  });
});

describe('refused entries', () => {
  it('pushes every run but the refused one, which is reported by id and can be dropped with its files saved', async () => {
    const origin = makeBareRemote();
    const seed = makeRepo();
    git(seed, 'remote', 'add', 'origin', `file://${origin}`);
    git(seed, 'push', '-q', 'origin', 'main');
    const store = await open(seed);
    const head = git(seed, 'rev-parse', 'HEAD');
    const inputs = Array.from({ length: 3 }, () => sampleInput(head));
    for (const input of inputs) await store.writeRun(input);
    const refusedId = inputs[1]!.record.id;
    // A hook that refuses the branch update and the one inbox ref holding a "too large" file.
    writeFileSync(
      join(origin, 'hooks', 'update'),
      `#!/bin/sh\ncase "$1" in\n  refs/heads/${BRANCH}) echo "\u001b[31mfile too large\u001b[0m" >&2; exit 1;;\n  *${refusedId}) echo "\u001b[31mfile too large\u001b[0m" >&2; exit 1;;\nesac\nexit 0\n`,
      { mode: 0o755 },
    );
    const error = (await store.push().catch((e: unknown) => e)) as Error & {
      refused: Array<{ id: string }>;
    };
    expect(error.name).toBe('EntriesRefusedError');
    expect(error.refused.map((r) => r.id)).toEqual([refusedId]);
    expect(error.message).toContain('the remote said: file too large');
    expect(error.message).not.toContain('\u001b');
    expect(await store.unpushedRunIds()).toEqual([refusedId]);
    const inbox = git(
      origin,
      'for-each-ref',
      '--format=%(refname:lstrip=5)',
      'refs/ghml/inbox',
    ).split('\n');
    expect(inbox.sort()).toEqual([inputs[0]!.record.id, inputs[2]!.record.id].sort());

    const saveDir = tempDir();
    const dropped = await store.drop(refusedId.toLowerCase(), saveDir);
    expect(dropped).toEqual({ id: refusedId, kind: 'run', savedTo: join(saveDir, refusedId) });
    expect(await store.unpushedRunIds()).toEqual([]);
    const runJson = JSON.parse(readFileSync(join(saveDir, refusedId, 'run.json'), 'utf8')) as {
      id: string;
    };
    expect(runJson.id).toBe(refusedId);
    expect((await store.listRuns()).map((r) => r.id)).not.toContain(refusedId);
    await expect(store.drop(refusedId, saveDir)).rejects.toThrow(
      `'${refusedId}' is not waiting in the local queue of 'ghml/runs'`,
    );
  });
});
