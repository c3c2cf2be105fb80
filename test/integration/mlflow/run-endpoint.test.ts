/**
 * startRunEndpoint used the way `ghml run` uses it: the main run's open folder is made, the
 * endpoint starts, a real child process (an MLflow-like client) runs with the endpoint's
 * variables, the endpoint closes when the child exits, then the main run is ingested from its
 * folder and recorded. Nested runs, an HPO loop, a killed child and a late grandchild.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/config-defaults.js';
import { createGit } from '../../../src/git/git.js';
import { startRunEndpoint } from '../../../src/mlflow/run-endpoint.js';
import { RunBuilder } from '../../../src/tracking/ingest/run-builder.js';
import {
  ingestOpenRun,
  openRunFolder,
  type OpenRunSession,
} from '../../../src/tracking/open-run.js';
import { recordRun } from '../../../src/tracking/run-recorder.js';
import { openTrackingStore, type StoredRun } from '../../../src/tracking/store/tracking-store.js';
import { TEST_GIT_ENV, cleanupTempDirs, git, makeRepo, tempDir } from '../../support/temp-repo.js';
import { MlflowTestClient } from './fixtures/mlflow-client.js';

afterAll(cleanupTempDirs);

const CLIENT = join(import.meta.dirname, 'fixtures', 'mlflow_like_client.py');

interface Outcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  killed: string[];
  result: Record<string, unknown>;
  runs: StoredRun[];
  main: StoredRun;
  logs: string[];
  outFile: string;
}

/** What run-session does around the child, with the endpoint wired in. */
async function trainWithEndpoint(
  repo: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Outcome> {
  const g = await createGit(repo);
  const config = defaultConfig();
  const head = git(repo, 'rev-parse', 'HEAD');
  const session: OpenRunSession = {
    id: ulid(),
    experiment: 'iris',
    name: null,
    startTime: Date.now(),
    source: { commit: head, branch: 'main', dirty: false },
    github: null,
    params: {},
    tags: {},
    cwd: repo,
    paramsFiles: [],
    metricsFiles: [],
  };
  const folder = openRunFolder(await g.gitDir(), session.id);
  await mkdir(join(folder, 'artifacts'), { recursive: true });
  await writeFile(join(folder, 'events.jsonl'), '');
  await writeFile(join(folder, 'session.json'), JSON.stringify(session));
  const logs: string[] = [];
  const endpoint = await startRunEndpoint({
    git: g,
    config,
    mainRun: {
      id: session.id,
      experiment: session.experiment,
      startTime: session.startTime,
      eventsFile: join(folder, 'events.jsonl'),
      artifactsDir: join(folder, 'artifacts'),
      source: session.source,
    },
    cwd: repo,
    log: (m) => logs.push(m),
  });
  expect(endpoint.env.MLFLOW_RUN_ID).toBe(session.id);
  expect(endpoint.env.MLFLOW_DISABLE_TELEMETRY).toBe('true');
  expect(endpoint.env.DO_NOT_TRACK).toBe('1');
  const outFile = join(tempDir(), 'out.json');
  const child = spawn('python3', [CLIENT, args[0] as string, outFile, ...args.slice(1)], {
    cwd: repo,
    env: { ...process.env, ...TEST_GIT_ENV, ...env, ...endpoint.env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (code, sig) => resolve([code, sig])),
  );
  const killed = await endpoint.close();
  const ingested = await ingestOpenRun(session, folder, config, new RunBuilder(), {
    status: exitCode === 0 ? 'FINISHED' : 'FAILED',
    exitCode,
    endTime: Date.now(),
  });
  await recordRun(g, config, folder, ingested, {
    push: false,
    log: (m) => logs.push(m),
    exitStatus: 0,
  });
  const store = openTrackingStore(g, config.tracking);
  const runs = await store.listRuns();
  const result = existsSync(outFile)
    ? (JSON.parse(readFileSync(outFile, 'utf8')) as Record<string, unknown>)
    : {};
  return {
    exitCode,
    signal,
    killed,
    result,
    runs,
    main: runs.find((r) => r.id === session.id) as StoredRun,
    logs,
    outFile,
  };
}

describe('startRunEndpoint', () => {
  it("knows the run's params from ghml run, refuses a change, and needs the run's token", async () => {
    const repo = makeRepo();
    const g = await createGit(repo);
    const folder = tempDir();
    const eventsFile = join(folder, 'events.jsonl');
    await writeFile(eventsFile, '');
    const endpoint = await startRunEndpoint({
      git: g,
      config: defaultConfig(),
      mainRun: {
        id: ulid(),
        experiment: 'iris',
        eventsFile,
        artifactsDir: join(folder, 'artifacts'),
        params: { lr: '0.1' },
        source: { commit: git(repo, 'rev-parse', 'HEAD'), branch: 'main', dirty: false },
      },
      log: () => undefined,
    });
    const runId = endpoint.env.MLFLOW_RUN_ID as string;
    const client = new MlflowTestClient(endpoint.url, endpoint.env.MLFLOW_TRACKING_TOKEN);
    const changed = await client.post('runs/log-parameter', {
      run_id: runId,
      key: 'lr',
      value: '0.2',
    });
    expect(changed.status).toBe(400);
    expect(String(changed.json?.message)).toMatch(/Changing param values is not allowed/);
    const same = await client.post('runs/log-parameter', {
      run_id: runId,
      key: 'lr',
      value: '0.1',
    });
    expect(same.status).toBe(200);
    const anonymous = await client.call('POST', '/api/2.0/mlflow/runs/log-parameter', {
      json: { run_id: runId, key: 'x', value: '1' },
      token: null,
    });
    expect(anonymous.status).toBe(401);
    expect(readFileSync(eventsFile, 'utf8')).toBe('');
    client.close();
    expect(await endpoint.close()).toEqual([]);
  });

  it('resumes the ghml run as MLFLOW_RUN_ID and records a nested run on the same commit', async () => {
    const repo = makeRepo();
    const out = await trainWithEndpoint(repo, ['article']);
    expect(out.exitCode).toBe(0);
    expect(out.killed).toEqual([]);
    expect(out.result.main).toBe(out.main.id);
    expect(out.main.record.params).toEqual({ n_estimators: '10' });
    expect(out.main.record.metrics.accuracy?.value).toBe(0.93);
    expect(out.main.record.artifacts.map((a) => a.path)).toEqual(['model/MLmodel']);
    const child = out.runs.find((r) => r.id === out.result.child);
    expect(child?.record).toMatchObject({
      experiment: 'iris',
      status: 'FINISHED',
      name: 'child',
      params: { depth: '3' },
      source: { commit: out.main.record.source.commit },
    });
    expect(child?.record.tags['mlflow.parentRunId']).toBe(out.main.id);
    expect(out.runs).toHaveLength(2);
  });

  it('records an HPO loop of 50 nested runs and a second top-level run, each as it ends', async () => {
    const repo = makeRepo();
    const out = await trainWithEndpoint(repo, ['hpo', '50']);
    expect(out.exitCode).toBe(0);
    const trials = out.result.trials as string[];
    expect(trials).toHaveLength(50);
    expect(out.runs).toHaveLength(52);
    for (const [i, id] of trials.entries()) {
      const run = out.runs.find((r) => r.id === id)?.record;
      expect(run?.status).toBe('FINISHED');
      expect(run?.tags['mlflow.parentRunId']).toBe(out.main.id);
      expect(run?.params.lr).toBe(String(0.001 * (i + 1)));
      expect(run?.metrics.loss?.count).toBe(3);
    }
    const second = out.runs.find((r) => r.id === out.result.second)?.record;
    expect(second?.status).toBe('FINISHED');
    expect(second?.tags['mlflow.parentRunId']).toBeUndefined();
  });

  it('records a run the killed child never ended as KILLED, with what it had logged', async () => {
    const repo = makeRepo();
    const out = await trainWithEndpoint(repo, ['killed']);
    expect(out.signal).toBe('SIGKILL');
    const openId = out.result.open as string;
    expect(out.killed).toEqual([openId]);
    const run = out.runs.find((r) => r.id === openId)?.record;
    expect(run?.status).toBe('KILLED');
    expect(run?.params).toEqual({ depth: '7' });
    expect(run?.metrics.loss).toMatchObject({ value: 0.25, step: 4 });
    expect(run?.tags['mlflow.parentRunId']).toBe(out.main.id);
    expect(out.main.record.status).toBe('FAILED');
    // Nothing is left open.
    expect(existsSync(openRunFolder(join(repo, '.git'), openId))).toBe(false);
  });

  it('refuses a request that arrives after the child exited, and writes nothing', async () => {
    const repo = makeRepo();
    const out = await trainWithEndpoint(repo, ['grandchild'], { LATE_DELAY: '1' });
    expect(out.exitCode).toBe(0);
    // The grandchild outlives the endpoint; wait for its answer.
    for (let i = 0; i < 100 && !existsSync(out.outFile); i++)
      await new Promise((r) => setTimeout(r, 100));
    const late = JSON.parse(readFileSync(out.outFile, 'utf8')) as Record<string, unknown>;
    if ('status' in late) {
      expect(late.status).toBe(400);
      expect(late.answer).toMatchObject({ error_code: 'INVALID_STATE' });
    } else {
      expect(String(late.refused)).toMatch(/refused|reset|closed/i);
    }
    expect(out.main.record.params).toEqual({});
  });
});
