import { describe, expect, it } from 'vitest';
import { PushScheduler } from '../../../src/mlflow/runs/push-scheduler.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PushScheduler', () => {
  it('pushes once for a burst of recorded runs', async () => {
    let pushes = 0;
    const scheduler = new PushScheduler({
      push: async () => void pushes++,
      log: () => undefined,
      quietMs: 30,
      maxWaitMs: 1000,
    });
    for (let i = 0; i < 5; i++) scheduler.recorded();
    await wait(120);
    expect(pushes).toBe(1);
    scheduler.stop();
  });

  it('keeps runs pending after a failed push and flushes them on shutdown', async () => {
    const attempts: string[] = [];
    let fail = true;
    const logs: string[] = [];
    const scheduler = new PushScheduler({
      push: async () => {
        attempts.push(fail ? 'fail' : 'ok');
        if (fail) throw new Error('remote down');
      },
      log: (m) => logs.push(m),
      quietMs: 10,
      retryMs: 60_000,
    });
    scheduler.recorded();
    await wait(60);
    expect(attempts).toEqual(['fail']);
    expect(logs[0]).toMatch(/push failed, the runs are kept on the local branch.*remote down/);
    fail = false;
    await scheduler.flush();
    expect(attempts).toEqual(['fail', 'ok']);
    await scheduler.flush();
    expect(attempts).toEqual(['fail', 'ok']);
  });
});
