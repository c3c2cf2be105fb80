/**
 * Replays what the real MLflow Python client (2.11, 2.22, 3.5, 3.11) sent running the
 * article's program (fixtures/traces, recorded against a real MLflow server) against ghml's
 * endpoint: ids and artifact locations from earlier responses are substituted, every response
 * is checked against what the clients need, and the run is read back from the tracking branch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs } from '../../support/temp-repo.js';
import { startServerFixture } from './fixtures/mlflow-repo.js';
import type { Reply } from './fixtures/mlflow-client.js';

afterAll(cleanupTempDirs);

interface TraceLine {
  method: string;
  path: string;
  query: Record<string, string>;
  content_type?: string;
  body?: unknown;
  body_bytes?: number;
}

const TRACES = ['mlflow-2.11.jsonl', 'mlflow-2.22.jsonl', 'mlflow-3.5.jsonl', 'mlflow-3.11.jsonl'];

function readTrace(name: string): TraceLine[] {
  return readFileSync(join(import.meta.dirname, 'fixtures', 'traces', name), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TraceLine);
}

/** Bytes standing in for an uploaded file: deterministic, of the traced size. */
function uploadBytes(path: string, size: number): Buffer {
  const seed = Buffer.from(`${path}\n`);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = seed[i % seed.length] as number;
  return out;
}

function object(value: unknown): Record<string, unknown> {
  expect(typeof value).toBe('object');
  expect(value).not.toBeNull();
  return value as Record<string, unknown>;
}

/** What the README says each response needs. */
function checkShape(line: TraceLine, reply: Reply): void {
  expect(reply.status, `${line.method} ${line.path}: ${reply.text}`).toBe(200);
  if (line.method === 'PUT') return;
  const json = object(reply.json);
  if (/\/runs\/(create|get)$/.test(line.path)) {
    const run = object(json.run);
    const info = object(run.info);
    expect(info.run_id).toMatch(/^[a-zA-Z0-9][\w-]{0,255}$/);
    expect(info.experiment_id).toBe('0');
    expect(info.artifact_uri).toBe(`mlflow-artifacts:/0/${String(info.run_id)}/artifacts`);
    const data = object(run.data);
    expect(Array.isArray(data.params)).toBe(true);
    for (const metric of data.metrics as unknown[]) {
      expect(Object.keys(object(metric)).sort()).toEqual(['key', 'step', 'timestamp', 'value']);
    }
  } else if (/\/logged-models(\/m-[^/]+)?$/.test(line.path) && line.method !== 'PATCH') {
    const info = object(object(json.model).info);
    expect(info.model_id).toMatch(/^m-/);
    expect(info.experiment_id).toBe('0');
    expect(String(info.artifact_uri)).toMatch(/^mlflow-artifacts:\/0\//);
  }
}

describe.each(TRACES)('replaying %s', (name) => {
  it('answers every request as the client needs and records the run on the branch', async () => {
    const fx = await startServerFixture({ token: 'trace-token' });
    try {
      const trace = readTrace(name);
      const ids = new Map<string, string>();
      const roots = new Map<string, string>();
      const substitute = (text: string): string => {
        let out = text;
        for (const [from, to] of roots) out = out.split(from).join(to);
        for (const [from, to] of ids) out = out.split(from).join(to);
        return out;
      };
      let runId = '';
      let modelId = '';
      for (const line of trace) {
        const path = substitute(line.path);
        const query = JSON.parse(substitute(JSON.stringify(line.query))) as Record<string, string>;
        let reply: Reply;
        if (line.method === 'PUT') {
          reply = await fx.client.call('PUT', path, {
            body: uploadBytes(path.split('/').pop() ?? '', line.body_bytes ?? 0),
            contentType: line.content_type ?? 'application/octet-stream',
          });
        } else {
          const body =
            line.body === undefined
              ? undefined
              : (JSON.parse(substitute(JSON.stringify(line.body))) as unknown);
          reply = await fx.client.call(line.method, path, {
            query,
            ...(body === undefined ? {} : { json: body }),
          });
        }
        checkShape(line, reply);
        if (line.path.endsWith('/runs/create')) {
          const info = object(object(object(reply.json).run).info);
          runId = String(info.run_id);
          const oldRun = /\/artifacts\/0\/([0-9a-f]{32})\//.exec(
            trace.find((l) => l.method === 'PUT' && !l.path.includes('/models/'))?.path ?? '',
          )?.[1];
          const traced = trace.find((l) => l.path.endsWith('/runs/log-parameter'));
          const oldId = String(object(traced?.body).run_id);
          ids.set(oldId, runId);
          if (oldRun !== undefined) {
            roots.set(
              `mlflow-artifacts/artifacts/0/${oldRun}/artifacts/`,
              `mlflow-artifacts/artifacts/${String(info.artifact_uri).slice('mlflow-artifacts:/'.length)}/`,
            );
          }
        }
        if (line.method === 'POST' && line.path.endsWith('/logged-models')) {
          const info = object(object(object(reply.json).model).info);
          modelId = String(info.model_id);
          const oldModel = /\/models\/(m-[0-9a-f]{32})\//.exec(
            trace.find((l) => l.method === 'PUT')?.path ?? '',
          )?.[1] as string;
          roots.set(
            `mlflow-artifacts/artifacts/0/models/${oldModel}/artifacts/`,
            `mlflow-artifacts/artifacts/${String(info.artifact_uri).slice('mlflow-artifacts:/'.length)}/`,
          );
          ids.set(oldModel, modelId);
        }
      }

      // The run, read back from the tracking branch.
      const stored = await fx.store.findRun(runId);
      expect(stored.id).toBe(runId);
      const record = stored.record;
      expect(record.experiment).toBe('default');
      expect(record.status).toBe('FINISHED');
      expect(record.params).toEqual({ n_estimators: '10' });
      expect(record.metrics.accuracy?.value).toBe(1);
      expect(record.tags['mlflow.user']).toBe('root');
      expect(record.tags['mlflow.source.name']).toBe('/home/user/iris/train.py');
      expect(record.source.commit).toMatch(/^[0-9a-f]{40}$/);
      const uploads = trace.filter((l) => l.method === 'PUT');
      const paths = record.artifacts.map((a) => a.path).sort();
      for (const put of uploads) {
        const file = put.path.split('/artifacts/').pop() as string;
        const expected = put.path.includes('/models/') ? `model/${file}` : file;
        expect(paths).toContain(expected);
        const entry = record.artifacts.find((a) => a.path === expected);
        expect(entry?.size).toBe(put.body_bytes);
      }
      // The model folder is the run's model output, with a model id.
      const outputs = Object.keys(record.tags).filter((k) => k.startsWith('ghml.mlflow.output.'));
      expect(outputs).toHaveLength(1);
      if (modelId !== '') expect(outputs[0]).toBe(`ghml.mlflow.output.${modelId}`);
      const modelTag = Object.entries(record.tags).find(([k]) =>
        k.startsWith('ghml.mlflow.model.'),
      );
      expect(JSON.parse(modelTag?.[1] ?? '{}')).toMatchObject({
        path: 'model',
        status: 'LOGGED_MODEL_READY',
      });

      // And MLflow reads of the recorded run answer from the branch.
      const got = await fx.client.get('runs/get', { run_id: runId });
      expect(object(object(object(got.json).run).info).status).toBe('FINISHED');
      const mlmodel = await fx.client.call(
        'GET',
        `/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/model/MLmodel`,
      );
      expect(mlmodel.status).toBe(200);
      expect(mlmodel.body.length).toBe(
        uploads.find((u) => u.path.endsWith('/MLmodel'))?.body_bytes,
      );
    } finally {
      await fx.stop();
    }
  });
});
