import { describe, expect, it } from 'vitest';
import { createSpacingGroup } from '../../../src/github/request-spacing.js';

describe('createSpacingGroup', () => {
  it('starts jobs in order and returns their results, with or without Bottleneck job options', async () => {
    const limiter = createSpacingGroup(0).key('client');
    const order: string[] = [];
    const job = async (name: string): Promise<string> => {
      order.push(`start ${name}`);
      await new Promise((resolve) => setImmediate(resolve));
      order.push(`end ${name}`);
      return name.toUpperCase();
    };
    const results = await Promise.all([
      limiter.schedule(job, 'a'),
      limiter.schedule({ priority: 0, weight: 0 }, job, 'b'),
    ]);
    expect(results).toEqual(['A', 'B']);
    expect(order.indexOf('start a')).toBeLessThan(order.indexOf('start b'));
  });

  it('keeps one limiter per key and survives a failing job', async () => {
    const group = createSpacingGroup(0);
    expect(group.key('x')).toBe(group.key('x'));
    expect(group.key('x')).not.toBe(group.key('y'));
    const limiter = group.key('x');
    await expect(limiter.schedule(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.schedule(() => 'still works')).resolves.toBe('still works');
  });
});
