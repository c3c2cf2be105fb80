import { describe, expect, it } from 'vitest';
import {
  formatTagMessage,
  paramsDigest,
  parseTagMessage,
} from '../../../src/registry/tags/tag-message.js';
import type { TagMetadata } from '../../../src/registry/tags/tag-message.js';

const FULL: TagMetadata = {
  version: 'v1.3.0',
  runId: '01J0000000000000000000000A',
  experiment: 'iris',
  metrics: {
    accuracy: 0.9733,
    loss: Number.NaN,
    best: Number.POSITIVE_INFINITY,
    worst: Number.NEGATIVE_INFINITY,
  },
  paramsDigest: paramsDigest({ lr: '0.1', depth: '3' }),
  artifacts: [{ uri: 'https://example.com/model.pkl', sha256: 'a'.repeat(64), size: 1234 }],
};

describe('tag message', () => {
  it('formats one human line and a fenced JSON block', () => {
    expect(formatTagMessage('Register iris v1.3.0', { runId: 'r1', metrics: { acc: 1 } })).toBe(
      [
        'Register iris v1.3.0',
        '',
        '```json',
        '{',
        '  "ghml": 1,',
        '  "runId": "r1",',
        '  "metrics": {',
        '    "acc": 1',
        '  }',
        '}',
        '```',
        '',
      ].join('\n'),
    );
  });

  it.each<[string, TagMetadata | undefined]>([
    ['Register iris v1.3.0', FULL],
    ['Promote iris v1.3.0 to prod', { version: 'v1.3.0', stage: 'prod' }],
    ['Deprecate iris', {}],
    ['No block', undefined],
    ['Tricky ```json\n{"ghml":1}', { experiment: '```\n```json', runId: '"}\n```' }],
  ])('round-trips %j', (summary, metadata) => {
    const parsed = parseTagMessage(formatTagMessage(summary, metadata));
    expect(parsed.summary).toBe(summary.replace(/\s+/g, ' '));
    expect(parsed.metadata).toEqual(metadata);
  });

  it('keeps NaN and infinities', () => {
    const m = parseTagMessage(formatTagMessage('x', FULL)).metadata;
    expect(Number.isNaN(m?.metrics?.loss)).toBe(true);
    expect(m?.metrics?.best).toBe(Number.POSITIVE_INFINITY);
    expect(m?.metrics?.worst).toBe(Number.NEGATIVE_INFINITY);
  });

  it('tolerates messages GTO writes (no JSON block)', () => {
    expect(parseTagMessage('Registering artifact churn version v3.1.0\n')).toEqual({
      summary: 'Registering artifact churn version v3.1.0',
      metadata: undefined,
    });
    expect(parseTagMessage('')).toEqual({ summary: '', metadata: undefined });
  });

  it('ignores broken or foreign JSON blocks and bad fields', () => {
    expect(parseTagMessage('x\n\n```json\n{not json\n```\n').metadata).toBeUndefined();
    expect(parseTagMessage('x\n\n```json\n{"a":1}\n```\n').metadata).toBeUndefined();
    expect(parseTagMessage('x\n\n```json\n[1]\n```\n').metadata).toBeUndefined();
    const odd = parseTagMessage(
      'x\n\n```json\n{"ghml":1,"runId":5,"metrics":{"a":"high","b":2},"artifacts":[{"uri":"u","sha256":"zz","size":1},{"uri":"u","sha256":"' +
        'b'.repeat(64) +
        '","size":2}]}\n```\n',
    ).metadata;
    expect(odd).toEqual({
      metrics: { b: 2 },
      artifacts: [{ uri: 'u', sha256: 'b'.repeat(64), size: 2 }],
    });
  });

  it('strips a signature and cleans the summary to one line', () => {
    const signed = `${formatTagMessage('x', { runId: 'r' })}-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n`;
    expect(parseTagMessage(signed).metadata).toEqual({ runId: 'r' });
    expect(formatTagMessage('  two\nlines  ').split('\n')[0]).toBe('two lines');
    expect(formatTagMessage('y'.repeat(500)).split('\n')[0]?.length).toBe(200);
  });

  it('digests params independent of key order', () => {
    expect(paramsDigest({ a: '1', b: '2' })).toBe(paramsDigest({ b: '2', a: '1' }));
    expect(paramsDigest({ a: '1', b: '2' })).not.toBe(paramsDigest({ a: '2', b: '1' }));
    expect(paramsDigest({})).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps every Object.prototype name as a metric name, both ways', () => {
    const names = Object.getOwnPropertyNames(Object.prototype);
    const metrics = Object.fromEntries(names.map((name, i) => [name, i]));
    const parsed = parseTagMessage(formatTagMessage('x', { metrics })).metadata;
    expect(Object.keys(parsed?.metrics ?? {}).sort()).toEqual([...names].sort());
    expect(Object.getPrototypeOf(parsed?.metrics)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed?.metrics ?? {}, '__proto__')).toBe(true);
  });
});
