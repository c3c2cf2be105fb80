/**
 * Bad input to the endpoint: each case is answered with MLflow's error JSON (status, error_code,
 * message) and leaves nothing half-written: the run's events file, artifacts and the tracking
 * branch are checked after each refusal.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunFolder } from '../../../src/tracking/open-run.js';
import { cleanupTempDirs, git, makeRepo } from '../../support/temp-repo.js';
import { MlflowTestClient, type Reply } from './fixtures/mlflow-client.js';
import { startServerFixture, type ServerFixture } from './fixtures/mlflow-repo.js';

afterAll(cleanupTempDirs);

const TOKEN = 'a-test-token-that-is-long-enough';

function expectError(reply: Reply, status: number, code: string, message?: RegExp): void {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.json?.error_code).toBe(code);
  expect(typeof reply.json?.message).toBe('string');
  if (message !== undefined) expect(String(reply.json?.message)).toMatch(message);
}

describe('bad input', () => {
  let fx: ServerFixture;
  let runId: string;
  let folder: string;
  const events = () => readFileSync(join(folder, 'events.jsonl'), 'utf8');

  beforeAll(async () => {
    fx = await startServerFixture({ token: TOKEN });
    const created = await fx.client.post('runs/create', { experiment_id: '0', start_time: 1 });
    runId = String((created.json?.run as { info: { run_id: string } }).info.run_id);
    folder = openRunFolder(join(fx.repo, '.git'), runId);
    await fx.client.post('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.1' });
  });
  afterAll(() => fx.stop());

  it('refuses a missing or wrong token before reading anything', async () => {
    const before = events();
    const anonymous = new MlflowTestClient(fx.server.url);
    const missing = await anonymous.post('runs/log-parameter', {
      run_id: runId,
      key: 'x',
      value: '1',
    });
    expectError(missing, 401, 'UNAUTHENTICATED', /MLFLOW_TRACKING_TOKEN/);
    anonymous.close();
    const wrong = await fx.client.call('POST', '/api/2.0/mlflow/runs/create', {
      json: { experiment_id: '0' },
      token: 'not-the-token',
    });
    expectError(wrong, 401, 'UNAUTHENTICATED');
    expect(wrong.text).not.toContain(TOKEN);
    expect(events()).toBe(before);
    expect(readdirSync(join(fx.repo, '.git', 'ghml', 'open'))).toEqual([runId]);
  });

  it('answers unknown routes and server-info with ENDPOINT_NOT_FOUND', async () => {
    expectError(
      await fx.client.call('GET', '/api/3.0/mlflow/server-info'),
      404,
      'ENDPOINT_NOT_FOUND',
    );
    expectError(await fx.client.post('runs/frobnicate', {}), 404, 'ENDPOINT_NOT_FOUND');
    expectError(await fx.client.call('GET', '/'), 404, 'ENDPOINT_NOT_FOUND');
  });

  it('refuses a body over the caps, and a batch over MLflow limits, writing none of it', async () => {
    const before = events();
    const metric = (i: number) => ({ key: `m${i % 10}`, value: i, timestamp: 1, step: i });
    const tooMany = await fx.client.post('runs/log-batch', {
      run_id: runId,
      metrics: Array.from({ length: 1001 }, (_, i) => metric(i)),
    });
    expectError(tooMany, 400, 'INVALID_PARAMETER_VALUE', /at most 1000 metrics. Got 1001 metrics/);
    const params = await fx.client.post('runs/log-batch', {
      run_id: runId,
      params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' })),
    });
    expectError(params, 400, 'INVALID_PARAMETER_VALUE', /at most 100 params/);
    const big = await fx.client.post('runs/log-batch', {
      run_id: runId,
      tags: [{ key: 'note', value: 'x'.repeat(1_000_001) }],
    });
    expectError(big, 400, 'INVALID_PARAMETER_VALUE', /must be at most 1000000 bytes/);
    const huge = await fx.client.call('POST', '/api/2.0/mlflow/runs/set-tag', {
      body: Buffer.alloc(17 * 1024 * 1024, 0x20),
    });
    expectError(huge, 400, 'INVALID_PARAMETER_VALUE', /at most 16777216 bytes/);
    // One bad metric in a batch: nothing of the batch is kept.
    const mixed = await fx.client.post('runs/log-batch', {
      run_id: runId,
      metrics: [metric(1), { key: 'acc', value: 'high', timestamp: 1, step: 0 }],
    });
    expectError(mixed, 400, 'INVALID_PARAMETER_VALUE', /metrics\[1\]\.value/);
    expect(events()).toBe(before);
    const got = await fx.client.get('runs/get', { run_id: runId });
    expect((got.json?.run as { data: { metrics: unknown[] } }).data.metrics).toEqual([]);
  });

  it("refuses artifact paths with '..' or absolute, writing nothing", async () => {
    const root = `/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts`;
    const upload = (path: string) =>
      fx.client.call('PUT', `${root}/${path}`, {
        body: Buffer.from('x'),
        contentType: 'text/plain',
      });
    expectError(
      await upload('%2E%2E/%2E%2E/escape.txt'),
      400,
      'INVALID_PARAMETER_VALUE',
      /Invalid path/,
    );
    expectError(
      await upload('model/..%2F..%2Fescape.txt'),
      400,
      'INVALID_PARAMETER_VALUE',
      /Invalid path/,
    );
    expectError(
      await fx.client.call('PUT', '/api/2.0/mlflow-artifacts/artifacts/%2Fetc%2Fescape.txt', {
        body: Buffer.from('x'),
      }),
      400,
      'INVALID_PARAMETER_VALUE',
      /Invalid path/,
    );
    const list = await fx.client.get('artifacts/list', { run_id: runId, path: '../..' });
    expectError(list, 400, 'INVALID_PARAMETER_VALUE', /Invalid path/);
    expect(readdirSync(join(folder, 'artifacts'))).toEqual([]);
    expect(existsSync(join(folder, 'escape.txt'))).toBe(false);
    expect(existsSync(join(fx.repo, '.git', 'ghml', 'escape.txt'))).toBe(false);
  });

  it('refuses a key over 250 characters, a changed param and an over-long tag value', async () => {
    const before = events();
    const key = 'k'.repeat(251);
    expectError(
      await fx.client.post('runs/log-parameter', { run_id: runId, key, value: '1' }),
      400,
      'INVALID_PARAMETER_VALUE',
      /'Param key' exceeds the maximum length of 250 characters/,
    );
    expectError(
      await fx.client.post('runs/log-metric', {
        run_id: runId,
        key,
        value: 1,
        timestamp: 1,
        step: 0,
      }),
      400,
      'INVALID_PARAMETER_VALUE',
      /'Metric name' exceeds the maximum length of 250/,
    );
    expectError(
      await fx.client.post('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.2' }),
      400,
      'INVALID_PARAMETER_VALUE',
      /Changing param values is not allowed. Param with key='lr' was already logged with value='0.1'/,
    );
    expectError(
      await fx.client.post('runs/set-tag', { run_id: runId, key: 'note', value: 'x'.repeat(5001) }),
      400,
      'INVALID_PARAMETER_VALUE',
      /exceeds the maximum length of 5000/,
    );
    expectError(
      await fx.client.post('runs/log-parameter', { run_id: runId, key: '../up', value: '1' }),
      400,
      'INVALID_PARAMETER_VALUE',
      /would resolve to/,
    );
    expectError(
      await fx.client.post('runs/log-parameter', { run_id: runId, value: '1' }),
      400,
      'INVALID_PARAMETER_VALUE',
      /Missing value for required parameter 'key'/,
    );
    expect(events()).toBe(before);
  });

  it('answers RESOURCE_DOES_NOT_EXIST for a run, experiment or model that does not exist', async () => {
    const id = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    expectError(
      await fx.client.get('runs/get', { run_id: id }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      /Run with id=01ARZ3NDEKTSV4RRFFQ69G5FAV not found/,
    );
    expectError(
      await fx.client.post('runs/log-metric', {
        run_id: id,
        key: 'a',
        value: 1,
        timestamp: 1,
        step: 0,
      }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    // A unique prefix of a real run is not its id.
    expectError(
      await fx.client.get('runs/get', { run_id: runId.slice(0, 10) }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(
      await fx.client.get('experiments/get', { experiment_id: '42' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      /No Experiment with id=42 exists/,
    );
    expectError(
      await fx.client.get('experiments/get', { experiment_id: '../x' }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(
      await fx.client.call('GET', '/api/2.0/mlflow/logged-models/m-nothing'),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  it('refuses logging to a finished run, leaving its record as it was', async () => {
    const created = await fx.client.post('runs/create', { experiment_id: '0', start_time: 1 });
    const id = String((created.json?.run as { info: { run_id: string } }).info.run_id);
    await fx.client.post('runs/log-metric', {
      run_id: id,
      key: 'acc',
      value: 0.5,
      timestamp: 2,
      step: 0,
    });
    const ended = await fx.client.post('runs/update', {
      run_id: id,
      status: 'FINISHED',
      end_time: 3,
    });
    expect(ended.status).toBe(200);
    const tip = git(fx.repo, 'rev-parse', 'refs/heads/ghml/runs');
    expectError(
      await fx.client.post('runs/log-metric', {
        run_id: id,
        key: 'acc',
        value: 0.9,
        timestamp: 4,
        step: 1,
      }),
      400,
      'INVALID_PARAMETER_VALUE',
      new RegExp(`The run ${id} must be in the 'active' state. Current state is finished`),
    );
    expectError(
      await fx.client.call(
        'PUT',
        `/api/2.0/mlflow-artifacts/artifacts/0/${id}/artifacts/late.txt`,
        { body: Buffer.from('x') },
      ),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(
      await fx.client.post('runs/update', { run_id: id, status: 'FAILED' }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expect(git(fx.repo, 'rev-parse', 'refs/heads/ghml/runs')).toBe(tip);
    const stored = await fx.store.findRun(id);
    expect(stored.record.status).toBe('FINISHED');
    expect(stored.record.metrics.acc).toMatchObject({ value: 0.5, count: 1 });
    expect(stored.record.artifacts).toEqual([]);
  });

  it('refuses malformed JSON and wrong types with MLflow messages', async () => {
    const malformed = await fx.client.call('POST', '/api/2.0/mlflow/runs/log-batch', {
      body: Buffer.from('{"run_id": '),
    });
    expectError(malformed, 400, 'INVALID_PARAMETER_VALUE', /Malformed JSON/);
    expectError(
      await fx.client.post('runs/log-metric', {
        run_id: runId,
        key: 'a',
        value: 1,
        timestamp: -5,
        step: 0,
      }),
      400,
      'INVALID_PARAMETER_VALUE',
      /Timestamp must be a nonnegative long/,
    );
    expectError(
      await fx.client.post('runs/log-metric', {
        run_id: runId,
        key: 'a',
        value: 1,
        timestamp: 1,
        step: 1.5,
      }),
      400,
      'INVALID_PARAMETER_VALUE',
      /Step must be a valid long/,
    );
    expectError(
      await fx.client.post('runs/create', { experiment_id: '0', tags: 'nope' }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });
});

describe('after close', () => {
  it('answers a request that arrives while closing with an error JSON, and refuses connections after', async () => {
    const fx = await startServerFixture({ repo: makeRepo(), token: TOKEN });
    const created = await fx.client.post('runs/create', { experiment_id: '0', start_time: 1 });
    const id = String((created.json?.run as { info: { run_id: string } }).info.run_id);
    const closing = fx.server.close();
    const during = await fx.client.post('runs/log-parameter', {
      run_id: id,
      key: 'late',
      value: '1',
    });
    expectError(during, 400, 'INVALID_STATE', /shutting down/);
    await closing;
    await expect(new MlflowTestClient(fx.server.url, TOKEN).post('runs/get', {})).rejects.toThrow(
      /ECONNREFUSED/,
    );
    const run = await fx.store.findRun(id);
    expect(run.record.status).toBe('KILLED');
    expect(run.record.params).toEqual({});
    fx.client.close();
  });
});
