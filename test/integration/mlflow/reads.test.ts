/**
 * The read side on git-tracked runs: runs/search with MLflow's filter grammar, order_by and
 * page tokens (against a 10,000-run branch too), metric history pages, artifact listings and
 * downloads, experiments, delete/restore, logged models; and two clients at once.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrackingHistory } from '../../../bench/support/tracking-history.js';
import { derivedExperimentId } from '../../../src/mlflow/ids/experiment-id.js';
import { cleanupTempDirs, makeRepo, tempDir } from '../../support/temp-repo.js';
import { readFileSync } from 'node:fs';
import { startServerFixture, type ServerFixture } from './fixtures/mlflow-repo.js';
import type { MlflowTestClient } from './fixtures/mlflow-client.js';

afterAll(cleanupTempDirs);

interface RunJson {
  info: {
    run_id: string;
    status: string;
    lifecycle_stage: string;
    experiment_id: string;
    artifact_uri: string;
  };
  data: {
    metrics: Array<{ key: string; value: unknown; step: number }>;
    params: Array<{ key: string; value: string }>;
    tags: Array<{ key: string; value: string }>;
  };
}

async function newRun(
  client: MlflowTestClient,
  experimentId = '0',
  tags: Array<{ key: string; value: string }> = [],
): Promise<string> {
  const reply = await client.post('runs/create', {
    experiment_id: experimentId,
    start_time: Date.now(),
    tags,
  });
  expect(reply.status, reply.text).toBe(200);
  return (reply.json?.run as RunJson).info.run_id;
}

async function ok(
  reply: Promise<{ status: number; text: string; json: Record<string, unknown> | undefined }>,
) {
  const r = await reply;
  expect(r.status, r.text).toBe(200);
  return r.json as Record<string, unknown>;
}

describe('reads of recorded runs', () => {
  let fx: ServerFixture;
  const ids: string[] = [];

  beforeAll(async () => {
    fx = await startServerFixture();
    for (let i = 0; i < 5; i++) {
      const id = await newRun(fx.client, '0', [{ key: 'group', value: i % 2 ? 'odd' : 'even' }]);
      ids.push(id);
      await ok(
        fx.client.post('runs/log-batch', {
          run_id: id,
          params: [{ key: 'i', value: String(i) }],
          metrics: Array.from({ length: 30 }, (_, step) => ({
            key: 'loss',
            value: 1 / (step + 1 + i),
            timestamp: 1000 + step,
            step,
          })),
        }),
      );
      await ok(
        fx.client.post('runs/log-metric', {
          run_id: id,
          key: 'acc',
          value: i === 4 ? 'NaN' : i / 10,
          timestamp: 5,
          step: 0,
        }),
      );
      await fx.client.call(
        'PUT',
        `/api/2.0/mlflow-artifacts/artifacts/0/${id}/artifacts/model/MLmodel`,
        { body: Buffer.from(`run ${i}\n`) },
      );
      await fx.client.call(
        'PUT',
        `/api/2.0/mlflow-artifacts/artifacts/0/${id}/artifacts/notes.txt`,
        { body: Buffer.from('n') },
      );
      await ok(
        fx.client.post('runs/update', {
          run_id: id,
          status: i === 3 ? 'FAILED' : 'FINISHED',
          end_time: Date.now(),
        }),
      );
    }
  });
  afterAll(() => fx.stop());

  it('searches with the filter grammar, orders and pages', async () => {
    const search = (body: Record<string, unknown>) =>
      ok(fx.client.post('runs/search', { experiment_ids: ['0'], ...body }));
    const even = await search({ filter: "tags.group = 'even' and attributes.status = 'FINISHED'" });
    expect((even.runs as RunJson[]).map((r) => r.info.run_id).sort()).toEqual(
      [ids[0], ids[2], ids[4]].sort(),
    );
    const ordered = await search({ filter: 'metrics.acc >= 0', order_by: ['metrics.acc DESC'] });
    expect((ordered.runs as RunJson[]).map((r) => r.info.run_id)).toEqual([
      ids[3],
      ids[2],
      ids[1],
      ids[0],
    ]);
    const pages: string[] = [];
    let token: string | undefined;
    do {
      const page = await search({
        max_results: 2,
        order_by: ['params.i ASC'],
        ...(token ? { page_token: token } : {}),
      });
      pages.push(...(page.runs as RunJson[]).map((r) => r.info.run_id));
      token = page.next_page_token as string | undefined;
    } while (token !== undefined);
    expect(pages).toEqual(ids);
    const bad = await fx.client.post('runs/search', {
      experiment_ids: ['0'],
      filter: 'metrics.acc > 1 or params.i = 1',
    });
    expect(bad.status).toBe(400);
    expect(bad.json?.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(String(bad.json?.message)).toMatch(/OR is not supported/);
  });

  it('keeps NaN as NaN and pages the metric history', async () => {
    const run = (await ok(fx.client.get('runs/get', { run_id: ids[4] as string }))).run as RunJson;
    expect(run.data.metrics.find((m) => m.key === 'acc')?.value).toBe('NaN');
    const first = await ok(
      fx.client.get('metrics/get-history', {
        run_id: ids[0] as string,
        metric_key: 'loss',
        max_results: '20',
      }),
    );
    expect((first.metrics as unknown[]).length).toBe(20);
    const rest = await ok(
      fx.client.get('metrics/get-history', {
        run_id: ids[0] as string,
        metric_key: 'loss',
        max_results: '20',
        page_token: first.next_page_token as string,
      }),
    );
    expect((rest.metrics as Array<{ step: number }>).map((m) => m.step)).toEqual([
      20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
    ]);
    expect(rest.next_page_token).toBeUndefined();
    const none = await ok(
      fx.client.get('metrics/get-history', { run_id: ids[0] as string, metric_key: 'nope' }),
    );
    expect(none.metrics).toEqual([]);
  });

  it('lists and downloads artifacts of recorded runs', async () => {
    const id = ids[1] as string;
    const list = await ok(fx.client.get('artifacts/list', { run_id: id }));
    expect(list.root_uri).toBe(`mlflow-artifacts:/0/${id}/artifacts`);
    expect(list.files).toEqual([
      { path: 'model', is_dir: true },
      { path: 'notes.txt', is_dir: false, file_size: 1 },
    ]);
    const proxied = await ok(
      fx.client.call('GET', '/api/2.0/mlflow-artifacts/artifacts', {
        query: { path: `0/${id}/artifacts/model` },
      }),
    );
    expect(proxied.files).toEqual([{ path: 'MLmodel', is_dir: false, file_size: 6 }]);
    const file = await fx.client.call(
      'GET',
      `/api/2.0/mlflow-artifacts/artifacts/0/${id}/artifacts/model/MLmodel`,
    );
    expect(file.text).toBe('run 1\n');
    const missing = await fx.client.call(
      'GET',
      `/api/2.0/mlflow-artifacts/artifacts/0/${id}/artifacts/nothing`,
    );
    expect(missing.status).toBe(404);
  });

  it('deletes and restores a recorded run as a lifecycle event', async () => {
    const id = ids[2] as string;
    await ok(fx.client.post('runs/delete', { run_id: id }));
    const got = (await ok(fx.client.get('runs/get', { run_id: id }))).run as RunJson;
    expect(got.info.lifecycle_stage).toBe('deleted');
    const active = await ok(fx.client.post('runs/search', { experiment_ids: ['0'] }));
    expect((active.runs as RunJson[]).map((r) => r.info.run_id)).not.toContain(id);
    const deleted = await ok(
      fx.client.post('runs/search', { experiment_ids: ['0'], run_view_type: 'DELETED_ONLY' }),
    );
    expect((deleted.runs as RunJson[]).map((r) => r.info.run_id)).toEqual([id]);
    const events = await fx.store.readRunEvents(await fx.store.findRun(id));
    expect(events.map((e) => e.event.kind)).toEqual(['run.deleted']);
    await ok(fx.client.post('runs/restore', { run_id: id }));
    expect(
      ((await ok(fx.client.get('runs/get', { run_id: id }))).run as RunJson).info.lifecycle_stage,
    ).toBe('active');
  });

  it('changes tags and the name of a recorded run as lifecycle events, as MLflow allows', async () => {
    const id = ids[0] as string;
    await ok(fx.client.post('runs/set-tag', { run_id: id, key: 'reviewed', value: 'yes' }));
    await ok(fx.client.post('runs/delete-tag', { run_id: id, key: 'group' }));
    await ok(fx.client.post('runs/update', { run_id: id, run_name: 'renamed' }));
    const run = (await ok(fx.client.get('runs/get', { run_id: id }))).run as RunJson;
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    expect(tags.reviewed).toBe('yes');
    expect(tags.group).toBeUndefined();
    expect(run.info).toMatchObject({ run_name: 'renamed', status: 'FINISHED' });
    const stored = await fx.store.findRun(id);
    expect(stored.record.name).toBe('renamed');
    expect(stored.record.tags.reviewed).toBe('yes');
    const missing = await fx.client.post('runs/delete-tag', { run_id: id, key: 'nope' });
    expect(missing.json?.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('serves experiments by name, id and search, with ids derived from names', async () => {
    const created = await ok(
      fx.client.post('experiments/create', {
        name: 'iris-exp',
        tags: [{ key: 'team', value: 'ml' }],
      }),
    );
    expect(created.experiment_id).toBe(derivedExperimentId('iris-exp'));
    const dup = await fx.client.post('experiments/create', { name: 'iris-exp' });
    expect(dup.json?.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    const byName = await ok(
      fx.client.get('experiments/get-by-name', { experiment_name: 'iris-exp' }),
    );
    expect(byName.experiment).toMatchObject({
      name: 'iris-exp',
      experiment_id: created.experiment_id,
      tags: [{ key: 'team', value: 'ml' }],
    });
    const defaults = await ok(fx.client.get('experiments/get', { experiment_id: '0' }));
    expect((defaults.experiment as { name: string }).name).toBe('default');
    await ok(
      fx.client.post('experiments/set-experiment-tag', {
        experiment_id: created.experiment_id,
        key: 'stage',
        value: 'dev',
      }),
    );
    const search = await ok(fx.client.post('experiments/search', { filter: "name LIKE 'iris%'" }));
    expect(search.experiments as Array<{ name: string; tags: unknown[] }>).toEqual([
      expect.objectContaining({
        name: 'iris-exp',
        tags: [
          { key: 'team', value: 'ml' },
          { key: 'stage', value: 'dev' },
        ],
      }),
    ]);
    const missing = await fx.client.get('experiments/get-by-name', { experiment_name: 'nope' });
    expect(missing.status).toBe(404);
    const bad = await fx.client.post('experiments/create', { name: 'my experiment' });
    expect(bad.json?.error_code).toBe('INVALID_PARAMETER_VALUE');
    // A run in the new experiment lands in its folder on the branch.
    const run = await newRun(fx.client, created.experiment_id as string);
    await ok(fx.client.post('runs/update', { run_id: run, status: 'FINISHED' }));
    expect((await fx.store.findRun(run)).record.experiment).toBe('iris-exp');
  });

  it('creates, finalizes and searches logged models, including one outside any run', async () => {
    const run = await newRun(fx.client);
    const model = await ok(
      fx.client.post('logged-models', { experiment_id: '0', name: 'clf', source_run_id: run }),
    );
    const info = (
      model.model as { info: { model_id: string; artifact_uri: string; status: string } }
    ).info;
    expect(info.artifact_uri).toBe(`mlflow-artifacts:/0/${run}/artifacts/clf`);
    expect(info.status).toBe('LOGGED_MODEL_PENDING');
    await fx.client.call(
      'PUT',
      `/api/2.0/mlflow-artifacts/artifacts/0/${run}/artifacts/clf/MLmodel`,
      { body: Buffer.from('m') },
    );
    const done = await ok(
      fx.client.call('PATCH', `/api/2.0/mlflow/logged-models/${info.model_id}`, {
        json: { status: 'LOGGED_MODEL_READY' },
      }),
    );
    expect((done.model as { info: { status: string } }).info.status).toBe('LOGGED_MODEL_READY');
    await ok(fx.client.post('runs/update', { run_id: run, status: 'FINISHED' }));
    const found = await ok(
      fx.client.post('logged-models/search', { experiment_ids: ['0'], filter: "name = 'clf'" }),
    );
    expect(
      (found.models as Array<{ info: { model_id: string; source_run_id: string } }>).map(
        (m) => m.info,
      ),
    ).toEqual([expect.objectContaining({ model_id: info.model_id, source_run_id: run })]);
    // Without a run: the model gets a run of its own, recorded when it is finalized.
    const alone = await ok(fx.client.post('logged-models', { experiment_id: '0', name: 'solo' }));
    const soloInfo = (alone.model as { info: { model_id: string; source_run_id: string } }).info;
    await ok(
      fx.client.call('PATCH', `/api/2.0/mlflow/logged-models/${soloInfo.model_id}`, {
        json: { status: 'LOGGED_MODEL_READY' },
      }),
    );
    const own = await fx.store.findRun(soloInfo.source_run_id);
    expect(own.record).toMatchObject({ status: 'FINISHED', name: 'solo' });
    expect(
      (await ok(fx.client.call('GET', `/api/2.0/mlflow/logged-models/${soloInfo.model_id}`))).model,
    ).toMatchObject({
      info: { status: 'LOGGED_MODEL_READY' },
    });
  });
});

describe('search_runs against a 10,000-run branch', () => {
  it('matches what a scan of the branch finds, in order, across pages', async () => {
    const repo = makeRepo();
    await buildTrackingHistory(repo, { format: 2, runs: 10_000, experiments: 4 });
    const fx = await startServerFixture({ repo });
    try {
      const id = (await ok(fx.client.get('experiments/get-by-name', { experiment_name: 'exp1' })))
        .experiment as { experiment_id: string };
      const expected = (await fx.store.listRuns({ experiment: 'exp1' }))
        .filter(
          (r) =>
            r.record.params.n_estimators === '10' && (r.record.metrics.accuracy?.value ?? 0) > 0.5,
        )
        .sort(
          (a, b) =>
            (b.record.metrics.accuracy?.value ?? 0) - (a.record.metrics.accuracy?.value ?? 0),
        )
        .map((r) => r.id);
      expect(expected.length).toBeGreaterThan(100);
      const got: string[] = [];
      let token: string | undefined;
      do {
        const page = await ok(
          fx.client.post('runs/search', {
            experiment_ids: [id.experiment_id],
            filter: "params.n_estimators = '10' and metrics.accuracy > 0.5",
            order_by: ['metrics.accuracy DESC'],
            max_results: 100,
            ...(token ? { page_token: token } : {}),
          }),
        );
        got.push(...(page.runs as RunJson[]).map((r) => r.info.run_id));
        token = page.next_page_token as string | undefined;
      } while (token !== undefined);
      expect(got).toEqual(expected);
    } finally {
      await fx.stop();
    }
  });
});

describe('concurrency', () => {
  it('records every run of two client processes logging at once', async () => {
    const fx = await startServerFixture();
    try {
      const client = join(import.meta.dirname, 'fixtures', 'mlflow_like_client.py');
      const outs = [join(tempDir(), 'a.json'), join(tempDir(), 'b.json')];
      const mains = [await newRun(fx.client), await newRun(fx.client)];
      await Promise.all(
        outs.map(
          (out, i) =>
            new Promise<void>((resolve, reject) => {
              const child = spawn('python3', [client, 'hpo', out, '10'], {
                env: {
                  ...process.env,
                  MLFLOW_TRACKING_URI: fx.server.url,
                  MLFLOW_RUN_ID: mains[i] as string,
                },
                stdio: ['ignore', 'inherit', 'inherit'],
              });
              child.on('exit', (code) =>
                code === 0 ? resolve() : reject(new Error(`client exited ${code}`)),
              );
            }),
        ),
      );
      const trials = outs.flatMap(
        (out) => (JSON.parse(readFileSync(out, 'utf8')) as { trials: string[] }).trials,
      );
      expect(new Set(trials).size).toBe(20);
      const runs = await fx.store.listRuns();
      for (const id of trials)
        expect(runs.find((r) => r.id === id)?.record.status).toBe('FINISHED');
      // Two resumed runs, 20 trials and each client's second top-level run.
      expect(runs).toHaveLength(24);
    } finally {
      await fx.stop();
    }
  });

  it('loses no run when two servers record into the same repository at once', async () => {
    const repo = makeRepo();
    const a = await startServerFixture({ repo });
    const b = await startServerFixture({ repo });
    try {
      const make = async (fxc: ServerFixture, n: number) => {
        const made: string[] = [];
        for (let i = 0; i < n; i++) made.push(await newRun(fxc.client));
        await Promise.all(
          made.map((id) => ok(fxc.client.post('runs/update', { run_id: id, status: 'FINISHED' }))),
        );
        return made;
      };
      const [fromA, fromB] = await Promise.all([make(a, 8), make(b, 8)]);
      const stored = new Set((await a.store.listRuns()).map((r) => r.id));
      for (const id of [...fromA, ...fromB]) expect(stored.has(id)).toBe(true);
      expect(stored.size).toBe(16);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
