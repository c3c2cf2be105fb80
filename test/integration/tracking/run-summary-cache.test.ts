import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { createGit, type Git } from '../../../src/git/git.js';
import { BranchReader, type StoredRun } from '../../../src/tracking/store/branch-reader.js';
import { encodeCacheSegment } from '../../../src/tracking/store/run-cache-codec.js';
import type { RunRecord } from '../../../src/tracking/run-record.js';
import { formatMetricLines, formatRunRecord } from '../../../src/tracking/run-record-json.js';
import { runPath } from '../../../src/tracking/store/run-path.js';
import {
  parseRunCacheFile,
  parseRunFolderList,
  runCacheDir,
} from '../../../src/tracking/store/run-summary-cache.js';
import { trackingRefs } from '../../../src/tracking/store/tracking-refs.js';
import {
  openTrackingStore,
  type TrackingStore,
} from '../../../src/tracking/store/tracking-store.js';
import {
  TEST_GIT_ENV,
  cleanupTempDirs,
  cloneRepo,
  git,
  makeBareRemote,
  makeRepo,
  tempDir,
} from '../../support/temp-repo.js';
import { sampleInput, samplePoints, sampleRecord } from './fixtures/sample-run.js';

afterAll(cleanupTempDirs);

const BRANCH = 'ghml/runs';
const EXPERIMENTS = ['digits', 'iris', 'wine'];

interface Fixture {
  repo: string;
  g: Git;
  store: TrackingStore;
  cacheDir: string;
  head: string;
}

async function open(repo: string): Promise<Fixture> {
  const g = await createGit(repo);
  return {
    repo,
    g,
    store: openTrackingStore(g, { branch: BRANCH, remote: 'origin', pushTimeoutMs: 30_000 }),
    cacheDir: runCacheDir(await g.gitDir()),
    head: await g.headCommit(),
  };
}

function reader(f: Fixture, cache?: null): BranchReader {
  return new BranchReader(f.g, trackingRefs(BRANCH, 'origin'), cache === null ? { cache } : {});
}

/** What listing gives without any cache: the truth every cached listing must equal. */
function truth(f: Fixture): Promise<StoredRun[]> {
  return reader(f, null).listRuns();
}

/** Writes `count` runs (spread over EXPERIMENTS) in one fast-import commit. */
function importRuns(f: Fixture, count: number): RunRecord[] {
  const records: RunRecord[] = [];
  const data = (text: string): string => `data ${Buffer.byteLength(text)}\n${text}\n`;
  let stream = `commit refs/heads/${BRANCH}\ncommitter T <t@example.com> 1700000000 +0000\n${data('import\n')}`;
  stream += `M 100644 inline ghml.json\n${data('{\n  "format": 1\n}\n')}`;
  for (let i = 0; i < count; i++) {
    const commit = createHash('sha1')
      .update(String(i % 7))
      .digest('hex');
    const record = sampleRecord(commit, {
      experiment: EXPERIMENTS[i % EXPERIMENTS.length] as string,
      params: { i: String(i), model: i % 2 ? 'rf' : 'svm' },
      tags: i % 5 === 0 ? { note: `run ${i} «ü»` } : {},
      github:
        i % 3 === 0
          ? {
              repository: 'acme/iris',
              serverUrl: 'https://github.com',
              workflow: 'train',
              runId: String(1000 + i),
              runAttempt: '1',
              job: 'train',
              prNumber: i,
              matrix: { seed: String(i % 4) },
            }
          : null,
    });
    records.push(record);
    const path = runPath(record.experiment, commit, record.id);
    stream += `M 100644 inline ${path}/run.json\n${data(formatRunRecord(record))}`;
    stream += `M 100644 inline ${path}/metrics.jsonl\n${data(formatMetricLines(samplePoints()))}`;
  }
  execFileSync('git', ['fast-import', '--quiet'], {
    cwd: f.repo,
    input: `${stream}\n`,
    env: { ...process.env, ...TEST_GIT_ENV },
  });
  return records;
}

async function fixture(count: number): Promise<Fixture> {
  const f = await open(makeRepo());
  importRuns(f, count);
  return f;
}

function cacheFile(f: Fixture, experiment: string): string {
  return join(f.cacheDir, `${experiment}.jsonl`);
}

function badEntries(f: Fixture): number {
  return readdirSync(f.cacheDir)
    .filter((name) => name.endsWith('.jsonl'))
    .reduce((sum, name) => sum + parseRunCacheFile(readFileSync(join(f.cacheDir, name))).bad, 0);
}

function digest(runs: readonly StoredRun[]): string {
  return createHash('sha256').update(JSON.stringify(runs)).digest('hex');
}

describe('run summary cache', () => {
  it('serves later listings from the cache with records identical to run.json, NaN included', async () => {
    const f = await fixture(30);
    const rich = sampleInput(f.head, { experiment: 'iris', tags: { owner: '@alice' } });
    await f.store.writeRun(rich);
    const expected = await truth(f);
    expect(expected).toHaveLength(31);

    const cold = reader(f);
    const first = await cold.listRuns();
    expect(cold.lastListing).toMatchObject({ runs: 31, hits: 0, misses: 31 });
    expect(cold.lastListing?.walked.sort()).toEqual(EXPERIMENTS);
    expect(Object.values(cold.lastListing?.saved ?? {})).toEqual([
      'appended',
      'appended',
      'appended',
    ]);

    const warm = reader(f);
    const second = await warm.listRuns();
    expect(warm.lastListing).toMatchObject({ runs: 31, hits: 31, misses: 0, walked: [] });
    for (const listing of [first, second, await f.store.listRuns()]) {
      expect(listing).toEqual(expected);
      expect(JSON.stringify(listing)).toBe(JSON.stringify(expected));
    }
    const cachedRich = second.find((run) => run.id === rich.record.id);
    expect(cachedRich?.record).toEqual(rich.record);
    expect(Number.isNaN(cachedRich?.record.metrics['loss']?.value)).toBe(true);
    expect(cachedRich?.record.metrics['loss']?.max).toBe(Number.POSITIVE_INFINITY);

    const scoped = reader(f);
    expect(await scoped.listRuns({ experiment: 'wine' })).toEqual(
      expected.filter((run) => run.experiment === 'wine'),
    );
    expect(scoped.lastListing).toMatchObject({ hits: 10, misses: 0, walked: [] });
    expect(await reader(f).listRuns({ experiment: 'nope' })).toEqual([]);
  });

  it('reads only what changed: a new run, or a run whose folder got an event', async () => {
    const f = await fixture(12);
    await reader(f).listRuns();
    const added = sampleInput(f.head, { experiment: 'wine' });
    await f.store.writeRun(added);
    const after = reader(f);
    expect(await after.listRuns()).toEqual(await truth(f));
    expect(after.lastListing).toMatchObject({ runs: 13, hits: 12, misses: 1, walked: ['wine'] });

    const [target] = await f.store.listRuns({ experiment: 'iris' });
    await f.store.addRunEvent(target!, { kind: 'registered', at: 1_700_000_000_000 });
    const again = reader(f);
    const listed = await again.listRuns();
    expect(listed).toEqual(await truth(f));
    expect(again.lastListing).toMatchObject({ hits: 12, misses: 1, walked: ['iris'] });
    expect(listed.find((run) => run.id === target!.id)?.record).toEqual(target!.record);
  });

  it('ignores a truncated or corrupt cache, lists correctly, and repairs it', async () => {
    const f = await fixture(30);
    const expected = await truth(f);
    await reader(f).listRuns();

    truncateSync(cacheFile(f, 'iris'), Math.floor(readFileSync(cacheFile(f, 'iris')).length / 2));
    appendFileSync(cacheFile(f, 'wine'), 'garbage\u0000\n["ghml-run-cache",1,[],[[1,2,3]]]\n');
    // A well-formed entry that lies: another run's record under a live run's tree.
    const [digitsA, digitsB] = expected.filter((run) => run.experiment === 'digits');
    appendFileSync(
      cacheFile(f, 'digits'),
      `${encodeCacheSegment([{ tree: digitsA!.tree, record: digitsB!.record }])}\n`,
    );
    writeFileSync(join(f.cacheDir, 'digits.folders.json'), '["ghml-run-folders",1,');
    writeFileSync(
      join(f.cacheDir, 'wine.folders.json'),
      `["ghml-run-folders",1,"${'0'.repeat(40)}",[]]`,
    );

    const repaired = reader(f);
    expect(await repaired.listRuns()).toEqual(expected);
    expect(repaired.lastListing?.misses).toBe(11);
    expect(repaired.lastListing?.walked.sort()).toEqual(['digits', 'wine']);
    expect(repaired.lastListing?.saved).toMatchObject({ iris: 'rewritten', wine: 'rewritten' });
    expect(badEntries(f)).toBe(0);

    const warm = reader(f);
    expect(await warm.listRuns()).toEqual(expected);
    expect(warm.lastListing).toMatchObject({ hits: 30, misses: 0, walked: [] });
  });

  it('rebuilds a deleted cache, and lists without one when it cannot be written', async () => {
    const f = await fixture(9);
    const expected = await truth(f);
    await reader(f).listRuns();
    rmSync(f.cacheDir, { recursive: true, force: true });
    const rebuilt = reader(f);
    expect(await rebuilt.listRuns()).toEqual(expected);
    expect(rebuilt.lastListing).toMatchObject({ hits: 0, misses: 9 });
    const warm = reader(f);
    expect(await warm.listRuns()).toEqual(expected);
    expect(warm.lastListing).toMatchObject({ hits: 9, misses: 0 });

    const ghmlDir = join(await f.g.gitDir(), 'ghml');
    rmSync(ghmlDir, { recursive: true, force: true });
    writeFileSync(ghmlDir, 'not a folder');
    const blocked = reader(f);
    expect(await blocked.listRuns()).toEqual(expected);
    expect(Object.values(blocked.lastListing?.saved ?? {})).toEqual(['failed', 'failed', 'failed']);
    expect(await f.store.listRuns()).toEqual(expected);
    rmSync(ghmlDir);
  });

  it('compacts a cache file holding over twice as many entries as live runs', async () => {
    const f = await fixture(6);
    const expected = await truth(f);
    await reader(f).listRuns();
    const [template] = expected;
    const dead = Array.from({ length: 400 }, (_, i) => ({
      tree: createHash('sha1').update(`dead ${i}`).digest('hex'),
      record: template!.record,
    }));
    appendFileSync(cacheFile(f, template!.experiment), `${encodeCacheSegment(dead)}\n`);
    const compacting = reader(f);
    expect(await compacting.listRuns()).toEqual(expected);
    expect(compacting.lastListing?.saved[template!.experiment]).toBe('rewritten');
    const after = parseRunCacheFile(readFileSync(cacheFile(f, template!.experiment)));
    expect(after.entries).toBe(2);
    const folders = parseRunFolderList(
      readFileSync(join(f.cacheDir, `${template!.experiment}.folders.json`), 'utf8'),
    );
    expect(folders?.folders.map((x) => x.id)).toEqual(
      expected.filter((run) => run.experiment === template!.experiment).map((run) => run.id),
    );
  });

  it('stays whole when listers in several processes append and compact at once', async () => {
    const f = await fixture(90);
    const expected = digest(await truth(f));
    // Dead entries make the first listers compact while others append.
    mkdirSync(f.cacheDir, { recursive: true });
    const [template] = await truth(f);
    const dead = Array.from({ length: 400 }, (_, i) => ({
      tree: createHash('sha1').update(`dead ${i}`).digest('hex'),
      record: template!.record,
    }));
    for (const name of EXPERIMENTS)
      writeFileSync(cacheFile(f, name), `${encodeCacheSegment(dead)}\n`);

    const script = await buildLister();
    const rounds = 4;
    const children = Array.from({ length: 3 }, () => runLister(script, f.repo, rounds));
    const inProcess = Array.from({ length: 2 }, async () => {
      const digests: string[] = [];
      for (let i = 0; i < rounds; i++) digests.push(digest(await reader(f).listRuns()));
      return digests;
    });
    const results = await Promise.all([...children, ...inProcess]);
    for (const digests of results) expect(digests).toEqual(Array<string>(rounds).fill(expected));
    expect(badEntries(f)).toBe(0);
    const final = reader(f);
    expect(digest(await final.listRuns())).toBe(expected);
    expect(final.lastListing?.misses).toBe(0);
  });

  it('in a blobless clone, reads cached runs offline and fetches only new run records', async () => {
    const origin = makeBareRemote();
    const seed = makeRepo();
    git(seed, 'remote', 'add', 'origin', `file://${origin}`);
    git(seed, 'push', '-q', 'origin', 'main');
    const laptop = await open(cloneRepo(origin));
    for (let i = 0; i < 4; i++) await laptop.store.writeRun(sampleInput(laptop.head));
    await laptop.store.push();

    const ci = await open(cloneRepo(origin, ['--depth', '1']));
    expect(await ci.store.fetch()).toBe(true);
    expect(git(ci.repo, 'config', 'remote.origin.promisor')).toBe('true');
    const cold = reader(ci);
    expect(await cold.listRuns()).toHaveLength(4);
    expect(cold.lastListing?.misses).toBe(4);

    const added = sampleInput(laptop.head);
    await laptop.store.writeRun(added);
    await laptop.store.push();
    expect(await ci.store.fetch()).toBe(true);
    const [, , , , newest] = await reader(ci, null).locateRuns();
    const blob = git(ci.repo, 'rev-parse', `${newest!.tree}:run.json`);
    const missingBefore = git(ci.repo, 'rev-list', '--objects', '--missing=print', newest!.tree);
    expect(missingBefore).toContain(`?${blob}`);

    const warm = reader(ci);
    const listed = await warm.listRuns();
    expect(warm.lastListing).toMatchObject({ runs: 5, hits: 4, misses: 1 });
    expect(listed[4]?.record).toEqual(added.record);
    expect(listed.map((run) => run.record)).toEqual(
      (await laptop.store.listRuns()).map((run) => run.record),
    );
    const missingAfter = git(ci.repo, 'rev-list', '--objects', '--missing=print', newest!.tree);
    expect(missingAfter).not.toContain(`?${blob}`);
  });
});

/** Bundles a tiny lister (the real BranchReader) so tests can run it as separate processes. */
async function buildLister(): Promise<string> {
  const outfile = join(tempDir('ghml-lister-'), 'lister.mjs');
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  await build({
    stdin: {
      contents: `
        import { createHash } from 'node:crypto';
        import { createGit } from './src/git/git.js';
        import { BranchReader } from './src/tracking/store/branch-reader.js';
        import { trackingRefs } from './src/tracking/store/tracking-refs.js';
        const [repo, rounds] = process.argv.slice(2);
        const g = await createGit(repo);
        for (let i = 0; i < Number(rounds); i++) {
          const runs = await new BranchReader(g, trackingRefs('${BRANCH}', 'origin')).listRuns();
          console.log(createHash('sha256').update(JSON.stringify(runs)).digest('hex'));
        }
      `,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

function runLister(script: string, repo: string, rounds: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, repo, String(rounds)], {
      env: { ...process.env, ...TEST_GIT_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout.trim().split('\n'));
      else reject(new Error(`lister exited ${code}: ${stderr}`));
    });
  });
}
