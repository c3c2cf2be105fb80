import { describe, expect, it } from 'vitest';
import {
  parseRegistryEvent,
  recordRegistryEvent,
  versionsFromRunEvents,
} from '../../../src/registry/registry-provenance.js';
import type { RunEvent } from '../../../src/tracking/run-record.js';

const event = (fields: Record<string, unknown>): RunEvent => ({
  kind: 'registry',
  at: 1,
  model: 'iris',
  version: 'v1.0.0',
  tag: 'iris@v1.0.0',
  action: 'register',
  ...fields,
});

describe('versionsFromRunEvents', () => {
  it('folds registrations, promotions, demotions and deregistrations per version', () => {
    const events = [
      { id: '1', event: event({ at: 10 }) },
      {
        id: '2',
        event: event({ at: 11, action: 'promote', stage: 'staging', tag: 'iris#staging#1' }),
      },
      { id: '3', event: event({ at: 12, action: 'promote', stage: 'prod', tag: 'iris#prod#2' }) },
      {
        id: '4',
        event: event({ at: 13, action: 'demote', stage: 'staging', tag: 'iris#staging!#3' }),
      },
      { id: '5', event: event({ at: 14, version: 'v2.0.0', tag: 'iris@v2.0.0', action: 'adopt' }) },
      {
        id: '6',
        event: event({ at: 15, version: 'v2.0.0', action: 'deregister', tag: 'iris@v2.0.0!' }),
      },
      { id: '7', event: { kind: 'deploy', at: 16 } },
      { id: '8', event: event({ action: 'bogus' }) },
    ];
    expect(versionsFromRunEvents(events)).toEqual([
      {
        model: 'iris',
        version: 'v1.0.0',
        tag: 'iris@v1.0.0',
        registeredAt: 10,
        deregistered: false,
        promotedTo: ['prod'],
      },
      {
        model: 'iris',
        version: 'v2.0.0',
        tag: 'iris@v2.0.0',
        registeredAt: 14,
        deregistered: true,
        promotedTo: [],
      },
    ]);
    // Plain RunEvents work too.
    expect(versionsFromRunEvents([event({})])).toHaveLength(1);
  });

  it('ignores malformed events', () => {
    expect(parseRegistryEvent(event({ at: 'soon' }))).toBeUndefined();
    expect(parseRegistryEvent(event({ tag: 3 }))).toBeUndefined();
    expect(parseRegistryEvent(event({ version: 1 }))).toBeUndefined();
    expect(parseRegistryEvent(event({ stage: 'prod' }))?.stage).toBe('prod');
  });
});

describe('recordRegistryEvent', () => {
  const fields = {
    at: 5,
    action: 'register' as const,
    tag: 'iris@v1.0.0',
    model: 'iris',
    version: 'v1.0.0',
  };

  it('appends the event and pushes; failures become a problem, never an exception', async () => {
    const added: Array<[string, RunEvent]> = [];
    let pushes = 0;
    const store = {
      addRunEvent: async (run: unknown, e: RunEvent) => {
        added.push([run as string, e]);
        return { commit: 'c', path: 'p' };
      },
      push: async () => {
        pushes++;
        throw new Error('remote rejected');
      },
    };
    const result = await recordRegistryEvent(store as never, 'RUN', fields, { push: true });
    expect(added).toEqual([['RUN', { kind: 'registry', ...fields }]]);
    expect(pushes).toBe(1);
    expect(result).toEqual({ recorded: true, pushed: false, problem: 'remote rejected' });
    expect(await recordRegistryEvent(store as never, undefined, fields, { push: true })).toEqual({
      recorded: false,
      pushed: false,
      problem: 'the version names no run',
    });
  });
});
