/**
 * `ghml server` as users run it (the built CLI, a real process): it prints where it listens,
 * records runs, pushes them when stopped, requires a token off loopback without printing it,
 * and records as KILLED the runs a killed server left open.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGit } from '../../../src/git/git.js';
import { defaultConfig } from '../../../src/config/config-defaults.js';
import { openTrackingStore } from '../../../src/tracking/store/tracking-store.js';
import { collect, ghmlEnv, startGhml } from '../../support/run-ghml.js';
import {
  cleanupTempDirs,
  git,
  makeBareRemote,
  makeRepo,
  tempDir,
} from '../../support/temp-repo.js';
import { MlflowTestClient } from './fixtures/mlflow-client.js';

afterAll(cleanupTempDirs);

/** Starts `ghml server` and waits for the URL it prints. */
async function serve(repo: string, args: string[] = [], env: NodeJS.ProcessEnv = ghmlEnv()) {
  const child = startGhml(['server', '--port', '0', ...args], { cwd: repo, env });
  const done = collect(child);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /endpoint on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.once('exit', () => reject(new Error(`server exited: ${out}`)));
  });
  return { child, done, url };
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  child.kill(signal);
}

async function createRun(client: MlflowTestClient): Promise<string> {
  const reply = await client.post('runs/create', { experiment_id: '0', start_time: Date.now() });
  expect(reply.status, reply.text).toBe(200);
  return (reply.json?.run as { info: { run_id: string } }).info.run_id;
}

describe('ghml server', () => {
  it('records runs on the tracking branch and pushes them when stopped', async () => {
    const remote = makeBareRemote();
    const repo = makeRepo();
    git(repo, 'remote', 'add', 'origin', remote);
    git(repo, 'push', '-q', 'origin', 'main');
    const { child, done, url } = await serve(repo);
    const client = new MlflowTestClient(url);
    const id = await createRun(client);
    await client.post('runs/log-parameter', { run_id: id, key: 'lr', value: '0.1' });
    expect((await client.post('runs/update', { run_id: id, status: 'FINISHED' })).status).toBe(200);
    client.close();
    stop(child);
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`export MLFLOW_TRACKING_URI=${url}`);
    expect(git(remote, 'ls-tree', '-r', '--name-only', 'ghml/runs')).toContain(`/${id}/run.json`);
  });

  it('keeps runs on the local branch when the push fails, and says so', async () => {
    const repo = makeRepo();
    git(repo, 'remote', 'add', 'origin', join(tempDir(), 'no-such-remote.git'));
    const { child, done, url } = await serve(repo);
    const client = new MlflowTestClient(url);
    const id = await createRun(client);
    expect((await client.post('runs/update', { run_id: id, status: 'FINISHED' })).status).toBe(200);
    client.close();
    stop(child);
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/push failed, the runs are kept on the local branch/);
    expect(git(repo, 'ls-tree', '-r', '--name-only', 'ghml/runs')).toContain(`/${id}/run.json`);
  });

  it('needs a token off loopback: generates one into a private file and never prints it', async () => {
    const repo = makeRepo();
    const tokenFile = join(tempDir(), 'token');
    const { child, done, url } = await serve(repo, [
      '--host',
      '0.0.0.0',
      '--token-file',
      tokenFile,
    ]);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const local = url.replace('0.0.0.0', '127.0.0.1');
    const anonymous = new MlflowTestClient(local);
    const refused = await anonymous.post('runs/create', { experiment_id: '0' });
    expect(refused.status).toBe(401);
    expect(refused.json?.error_code).toBe('UNAUTHENTICATED');
    anonymous.close();
    const client = new MlflowTestClient(local, token);
    await createRun(client);
    client.close();
    stop(child);
    const result = await done;
    expect(result.stdout + result.stderr).not.toContain(token);
    expect(result.stderr).toContain(tokenFile);
  });

  it('refuses a short token', async () => {
    const repo = makeRepo();
    const result = await collect(
      startGhml(['server', '--port', '0', '--token', 'short'], { cwd: repo, env: ghmlEnv() }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/shorter than 16 characters/);
  });

  it('records the runs a killed server left open as KILLED when it starts again', async () => {
    const repo = makeRepo();
    const first = await serve(repo, ['--no-push']);
    const client = new MlflowTestClient(first.url);
    const id = await createRun(client);
    await client.post('runs/log-metric', {
      run_id: id,
      key: 'loss',
      value: 0.3,
      timestamp: 1,
      step: 2,
    });
    client.close();
    stop(first.child, 'SIGKILL');
    await first.done;
    const second = await serve(repo, ['--no-push']);
    const store = openTrackingStore(await createGit(repo), defaultConfig().tracking);
    const run = await store.findRun(id);
    expect(run.record.status).toBe('KILLED');
    expect(run.record.metrics.loss).toMatchObject({ value: 0.3, step: 2 });
    stop(second.child);
    expect((await second.done).stderr).toContain(
      `run ${id} was left open by a ghml process that is gone`,
    );
  });
});
