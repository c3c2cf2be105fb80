import { describe, expect, it } from 'vitest';
import { mlflowJson } from '../../../src/mlflow/http/endpoint-server.js';
import { eventBytes, metricBatchLine } from '../../../src/mlflow/runs/event-lines.js';
import { formatEvent } from '../../../src/tracking/ingest/event-file.js';
import { parseJsonBody, queryFields } from '../../../src/mlflow/http/request-input.js';
import { Router } from '../../../src/mlflow/http/router.js';
import {
  appendLogModelHistory,
  decodeInputTags,
  decodeModelTags,
  decodeOutputTags,
  encodeInputTag,
  encodeModelTag,
  encodeOutputTag,
} from '../../../src/mlflow/runs/model-tags.js';

describe('the wire format', () => {
  it('writes non-finite numbers as proto3 JSON strings', () => {
    expect(mlflowJson({ a: Number.NaN, b: [Number.POSITIVE_INFINITY, -Infinity, 1.5] })).toBe(
      '{"a":"NaN","b":["Infinity","-Infinity",1.5]}',
    );
  });

  it('reads Python’s bare NaN tokens, and keys without the prototype', () => {
    const fields = parseJsonBody(
      Buffer.from('{"value": NaN, "s": "NaN in text", "__proto__": {"x": 1}}'),
    );
    expect(fields.value).toBe('NaN');
    expect(fields.s).toBe('NaN in text');
    expect(Object.hasOwn(fields, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(() => parseJsonBody(Buffer.from('[1]'))).toThrow(/must be a JSON object/);
    expect(queryFields(new URLSearchParams('a=1&a=2&b=3'))).toEqual(
      Object.assign(Object.create(null), { a: ['1', '2'], b: '3' }),
    );
  });

  it('routes with path parameters and tails, and 404s the rest', async () => {
    const hit = () => Promise.resolve({ json: {} });
    const router = new Router()
      .add('GET', '/mlflow/logged-models/{model_id}', hit)
      .add('PUT', '/mlflow-artifacts/artifacts/*', hit);
    expect(router.match('GET', '/api/2.0/mlflow/logged-models/m-a%20b').params).toEqual(
      Object.assign(Object.create(null), { model_id: 'm-a b' }),
    );
    expect(
      router.match('PUT', '/ajax-api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/x').params.tail,
    ).toBe('0/r/artifacts/x');
    expect(() => router.match('PUT', '/api/2.0/mlflow-artifacts/artifacts')).toThrow(
      /No API endpoint found/,
    );
    expect(() => router.match('POST', '/api/2.0/mlflow/logged-models/m-1')).toThrow(
      /No API endpoint found/,
    );
    expect(() => router.match('GET', '/api/3.0/mlflow/logged-models/m-1')).toThrow(
      /No API endpoint found/,
    );
  });
});

describe('MLflow objects kept in run tags', () => {
  it('round-trips logged models, outputs and inputs', () => {
    const model = {
      id: 'm-x-1',
      name: 'model',
      path: 'model',
      status: 'LOGGED_MODEL_READY' as const,
      created: 1,
      updated: 2,
    };
    const tags = new Map([
      encodeModelTag(model),
      encodeOutputTag('m-x-1', 3),
      encodeInputTag(1, { name: 'd', digest: 'abc', source_type: 'code' }),
    ]);
    expect(decodeModelTags(tags)).toEqual([model]);
    expect(decodeOutputTags(Object.fromEntries(tags))).toEqual([{ model_id: 'm-x-1', step: 3 }]);
    expect(decodeInputTags(tags)).toEqual([{ name: 'd', digest: 'abc', source_type: 'code' }]);
  });

  it('keeps tag values within 5000 characters', () => {
    const big = {
      id: 'm-x-1',
      name: 'm',
      path: 'm',
      status: 'LOGGED_MODEL_READY' as const,
      created: 1,
      updated: 1,
      tags: { t: 'x'.repeat(6000) },
    };
    const [, value] = encodeModelTag(big);
    expect(value.length).toBeLessThanOrEqual(5000);
    expect(decodeModelTags(new Map([['ghml.mlflow.model.m-x-1', value]]))[0]?.tags).toBeUndefined();
    let history: string | undefined;
    for (let i = 0; i < 100; i++)
      history = appendLogModelHistory(history, {
        artifact_path: `model-${i}`,
        pad: 'p'.repeat(100),
      });
    expect((history as string).length).toBeLessThanOrEqual(5000);
    expect(JSON.parse(history as string).at(-1).artifact_path).toBe('model-99');
  });
});

describe('event lines', () => {
  it('writes metric batches byte for byte as formatEvent does', () => {
    const event = {
      type: 'metric_batch' as const,
      keys: ['loss', 'train/acc', 'loss', 'a b'],
      values: [0.5, Number.NaN, -Infinity, 1e-7],
      steps: [0, null, 2, -3],
      timestamps: [1, 2, 1_700_000_000_000, 0],
    };
    expect(metricBatchLine(event)).toBe(formatEvent(event));
    const mixed = eventBytes([
      { type: 'param', key: 'name', value: 'naïve «ü»' },
      event,
      { type: 'tag', key: 't', value: '✓' },
    ]);
    expect(mixed.toString('utf8')).toBe(
      formatEvent({ type: 'param', key: 'name', value: 'naïve «ü»' }) +
        formatEvent(event) +
        formatEvent({ type: 'tag', key: 't', value: '✓' }),
    );
  });
});
