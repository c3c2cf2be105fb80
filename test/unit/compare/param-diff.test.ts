import { describe, expect, it } from 'vitest';
import { diffParams } from '../../../src/compare/param-diff.js';

describe('diffParams', () => {
  it('lists changed, added and removed params, and counts the unchanged ones', () => {
    const result = diffParams(
      { lr: '0.01', epochs: '10', dropped: 'x', same: 'y' },
      { lr: '0.1', epochs: '10', added: 'z', same: 'y' },
    );
    expect(result.changed).toEqual([
      { key: 'added', base: null, head: 'z' },
      { key: 'dropped', base: 'x', head: null },
      { key: 'lr', base: '0.01', head: '0.1' },
    ]);
    expect(result.unchangedCount).toBe(2);
    expect(result.all.map((p) => p.key)).toEqual(['added', 'dropped', 'epochs', 'lr', 'same']);
    expect(result.all.find((p) => p.key === 'epochs')).toEqual({
      key: 'epochs',
      base: '10',
      head: '10',
    });
  });

  it('compares values as exact strings', () => {
    const result = diffParams({ lr: '0.10', flag: 'True' }, { lr: '0.1', flag: 'true' });
    expect(result.changed.map((p) => p.key)).toEqual(['flag', 'lr']);
    expect(result.unchangedCount).toBe(0);
  });

  it('changes nothing without a base run, but lists every head param', () => {
    const result = diffParams(null, { b: '2', a: '1' });
    expect(result.changed).toEqual([]);
    expect(result.unchangedCount).toBe(0);
    expect(result.all).toEqual([
      { key: 'a', base: null, head: '1' },
      { key: 'b', base: null, head: '2' },
    ]);
  });

  it('handles empty params and a param named __proto__', () => {
    expect(diffParams({}, {})).toEqual({ changed: [], all: [], unchangedCount: 0 });
    const result = diffParams({}, JSON.parse('{"__proto__": "x"}'));
    expect(result.changed).toEqual([{ key: '__proto__', base: null, head: 'x' }]);
  });
});
