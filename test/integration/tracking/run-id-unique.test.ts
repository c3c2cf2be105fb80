/**
 * M2: a run id is written once anywhere on the branch (docs/storage-format.md, "Writing"): in
 * the open bucket under another experiment, in a sealed segment, waiting in the inbox, or
 * arriving through the fork-PR importer. The importer says the id is taken (not "already
 * recorded") when the content differs, and a fold never lands a second run with one id.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPullRequestRuns } from '../../../src/action/pull-request-run-import.js';
import { createGit } from '../../../src/git/git.js';
import { createGitHubClient } from '../../../src/github/github-client.js';
import { openRepository } from '../../../src/tracking/repository-context.js';
import { formatMetricLines, formatRunRecord } from '../../../src/tracking/run-record-json.js';
import { entryMessage } from '../../../src/tracking/store/entry-commit.js';
import { runPath } from '../../../src/tracking/store/run-path.js';
import {
  openTrackingStore,
  type TrackingStore,
} from '../../../src/tracking/store/tracking-store.js';
import { RunExistsError, RunIdTakenError } from '../../../src/tracking/tracking-errors.js';
import {
  startGitHubEmulator,
  TEST_TOKENS,
  type GitHubEmulator,
} from '../../support/github-emulator/index.js';
import {
  cleanupTempDirs,
  cloneRepo,
  git,
  makeBareRemote,
  makeRepo,
  tempDir,
} from '../../support/temp-repo.js';
import { sampleInput } from './fixtures/sample-run.js';

let gh: GitHubEmulator;
beforeAll(async () => {
  gh = await startGitHubEmulator();
});
afterAll(async () => {
  await gh.close();
  cleanupTempDirs();
});

const BRANCH = 'ghml/runs';

async function open(
  repo: string,
  options: { sealAt?: number; warnings?: string[] } = {},
): Promise<TrackingStore> {
  const { warnings } = options;
  return openTrackingStore(await createGit(repo), {
    branch: BRANCH,
    remote: 'origin',
    pushTimeoutMs: 30_000,
    ...(options.sealAt !== undefined ? { sealAt: options.sealAt } : {}),
    ...(warnings ? { warn: (m: string) => warnings.push(m) } : {}),
  });
}

/** Puts a run folder tree into the origin's inbox as a writer's delivery would. */
function deliverToInbox(
  repo: string,
  origin: string,
  path: string,
  tree: string,
  id: string,
): void {
  const env = { ...process.env, GIT_INDEX_FILE: join(tempDir(), 'index') };
  const marker = execFileSync('git', ['hash-object', '-w', '--stdin'], {
    cwd: repo,
    input: '{"format": 2}\n',
    encoding: 'utf8',
  }).trim();
  execFileSync('git', ['read-tree', '--empty'], { cwd: repo, env });
  execFileSync('git', ['update-index', '--add', '--cacheinfo', `100644,${marker},ghml.json`], {
    cwd: repo,
    env,
  });
  execFileSync('git', ['read-tree', `--prefix=${path}/`, tree], { cwd: repo, env });
  const root = execFileSync('git', ['write-tree'], { cwd: repo, env, encoding: 'utf8' }).trim();
  const commit = execFileSync(
    'git',
    ['commit-tree', root, '-m', entryMessage(`run ${id}`, { runPaths: [path] })],
    { cwd: repo, encoding: 'utf8' },
  ).trim();
  git(repo, 'push', '-q', `file://${origin}`, `${commit}:refs/ghml/inbox/${BRANCH}/${id}`);
}

describe('a run id exists once on the whole branch', () => {
  it('refuses the same id under another experiment in the open bucket, saying it is taken', async () => {
    const repo = makeRepo();
    const store = await open(repo);
    const head = git(repo, 'rev-parse', 'HEAD');
    const first = sampleInput(head);
    await store.writeRun(first);
    const tip = git(repo, 'rev-parse', BRANCH);
    const shadow = sampleInput(head, { id: first.record.id, experiment: 'other' });
    await expect(store.writeRun(shadow)).rejects.toThrow(RunIdTakenError);
    await expect(store.writeRun(shadow)).rejects.toThrow(
      `run id '${first.record.id}' is taken: another run with this id is already in the open bucket`,
    );
    // The same run again is "already recorded", not taken.
    await expect(store.writeRun(first)).rejects.toThrow(RunExistsError);
    expect(git(repo, 'rev-parse', BRANCH)).toBe(tip);
    expect((await store.listRuns()).map((r) => r.experiment)).toEqual(['iris']);
  });

  it('refuses an id that is in a sealed segment', async () => {
    const repo = makeRepo();
    const store = await open(repo, { sealAt: 2 });
    const head = git(repo, 'rev-parse', 'HEAD');
    const inputs = [sampleInput(head), sampleInput(head), sampleInput(head)];
    for (const input of inputs) await store.writeRun(input);
    const segment = git(repo, 'ls-tree', '--name-only', BRANCH, 'segments/').split('/')[1];
    expect(segment).toMatch(/^000001-/);
    const tip = git(repo, 'rev-parse', BRANCH);
    const sealedId = inputs[0]!.record.id;
    const shadow = sampleInput(head, { id: sealedId, experiment: 'other', params: {} });
    await expect(store.writeRun(shadow)).rejects.toThrow(
      `run id '${sealedId}' is taken: another run with this id is already in segment ${segment}`,
    );
    await expect(store.writeRun(inputs[0]!)).rejects.toThrow(RunExistsError);
    expect(git(repo, 'rev-parse', BRANCH)).toBe(tip);
  });

  it('refuses an id waiting in an inbox ref, and a fold never lands a second run with one id', async () => {
    const origin = makeBareRemote();
    const seed = makeRepo();
    git(seed, 'remote', 'add', 'origin', `file://${origin}`);
    git(seed, 'push', '-q', 'origin', 'main');
    const head = git(seed, 'rev-parse', 'HEAD');
    const seedStore = await open(seed);
    const waiting = sampleInput(head, { experiment: 'other' });
    await seedStore.writeRun(sampleInput(head));
    expect((await seedStore.push()).pushed).toBe(1);
    // A run delivered to the inbox and not folded yet.
    await seedStore.writeRun(waiting);
    const path = runPath('other', head, waiting.record.id);
    deliverToInbox(
      seed,
      origin,
      path,
      git(seed, 'rev-parse', `${BRANCH}:${path}`),
      waiting.record.id,
    );

    const clone = cloneRepo(origin);
    const store = await open(clone);
    expect(await store.fetch()).toBe(true);
    const tip = git(clone, 'rev-parse', `refs/remotes/origin/${BRANCH}`);
    await expect(
      store.writeRun(sampleInput(head, { id: waiting.record.id, experiment: 'iris' })),
    ).rejects.toThrow(
      `run id '${waiting.record.id}' is taken: another run with this id is already in the inbox`,
    );

    // Another writer got the same id onto the branch (another experiment) before the fold:
    // the fold drops the inbox entry with a warning instead of landing the id twice.
    const racer = cloneRepo(origin);
    const racerStore = await open(racer);
    await racerStore.fetch();
    git(racer, 'update-ref', '-d', `refs/ghml/remotes/origin/inbox/${BRANCH}/${waiting.record.id}`);
    await racerStore.writeRun(sampleInput(head, { id: waiting.record.id, experiment: 'iris' }));
    expect((await racerStore.push()).pushed).toBe(1);

    const warnings: string[] = [];
    const folder = await open(clone, { warnings });
    await folder.fetch();
    expect(git(clone, 'rev-parse', `refs/remotes/origin/${BRANCH}`)).not.toBe(tip);
    await folder.fold();
    expect(git(origin, 'for-each-ref', `refs/ghml/inbox/`)).toBe('');
    const onBranch = git(origin, 'ls-tree', '-r', '-d', '--name-only', BRANCH, 'runs')
      .split('\n')
      .filter((p) => p.endsWith(`/${waiting.record.id}`));
    expect(onBranch).toEqual([runPath('iris', head, waiting.record.id)]);
    expect(warnings).toContain(
      `dropped inbox entry ${path}: run id ${waiting.record.id} is already taken on ${BRANCH} by another run`,
    );
  });
});

describe('the fork-PR importer', () => {
  it('says the id is taken when an imported run reuses an id with other content', async () => {
    const repo = makeRepo();
    const head = git(repo, 'rev-parse', 'HEAD');
    const store = await open(repo);
    const registered = sampleInput(head);
    await store.writeRun(registered);
    const tip = git(repo, 'rev-parse', BRANCH);

    // A fork's artifact naming PR 21 at `head`, reusing the registered run's id.
    const dir = mkdtempSync(join(tmpdir(), 'ghml-artifact-'));
    const record = {
      ...registered.record,
      format: 1 as const,
      experiment: 'shadow',
      github: {
        repository: 'o/r',
        serverUrl: 'https://github.com',
        workflow: 'w',
        runId: '1',
        runAttempt: '1',
        job: 'j',
        prNumber: 21,
      },
    };
    mkdirSync(join(dir, record.id), { recursive: true });
    writeFileSync(join(dir, record.id, 'run.json'), formatRunRecord(record));
    writeFileSync(join(dir, record.id, 'metrics.jsonl'), formatMetricLines([]));
    gh.state.addPullRequest({
      owner: 'o',
      repo: 'r',
      number: 21,
      head: { sha: head, ref: 'fork-branch', repo: 'fork/r' },
      base: { sha: head, ref: 'main' },
    });
    const logged: string[] = [];
    const importing = importPullRequestRuns({
      repo: await openRepository(repo),
      folder: dir,
      workflowRun: { headSha: head, event: 'pull_request', pullRequests: [] },
      client: createGitHubClient({ token: TEST_TOKENS.actions, baseUrl: gh.url, env: {} }),
      repository: { owner: 'o', repo: 'r' },
      serverUrl: undefined,
      fetch: false,
      log: (m) => logged.push(m),
    });
    await expect(importing).rejects.toThrow(RunIdTakenError);
    await expect(importing).rejects.toThrow(`run id '${record.id}' is taken`);
    expect(logged.join('\n')).not.toContain('already recorded');
    expect(git(repo, 'rev-parse', BRANCH)).toBe(tip);
  });
});
